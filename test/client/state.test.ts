import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../src/protocol/internal.js';
import { apply, initialState, type ChatEvent, type ChatState } from '../../src/client/state.js';
import type { ChatLine } from '../../src/client/line.js';

const now = 1_700_000_000_000;
const welcome = {
  type: 'welcome',
  protocol: 2,
  server: 'test',
  version: '0.1.0',
  you: 'alice',
  address: '127.0.0.1:4000',
  rooms: [{ room: '#main', topic: '', users: ['bob', 'alice'] }],
  clients: 2,
  maxFrame: 65536,
  limits: { maxRooms: 20, text: 4096, topic: 512 },
} satisfies ServerMessage;

/** Apply events in order; return the final state and every line they added. */
function run(
  events: (ChatEvent | ServerMessage)[],
  start: ChatState = initialState('localhost:5005', 'alice'),
): { state: ChatState; lines: ChatLine[] } {
  let state = start;
  const lines: ChatLine[] = [];
  for (const e of events) {
    const event: ChatEvent = 'now' in e ? e : { type: 'server', message: e, now };
    const out = apply(state, event);
    state = out.state;
    lines.push(...out.lines);
  }
  return { state, lines };
}
const texts = (lines: ChatLine[]): string[] => lines.map((l) => l.text);
const say = (text: string, kind: 'say' | 'me' = 'say'): ChatEvent => ({ type: 'send', line: { kind, text }, now });
const online: ChatEvent = { type: 'status', status: 'online', now };
/** Put on the wire what may go (labels count from 1). */
const flush: ChatEvent = { type: 'flush', now };
const pendingTexts = (s: ChatState): string[] => s.outgoing.lines.map((p) => p.text);
const message = (id: number, from: string, text: string, extra: object = {}): ServerMessage => ({
  type: 'message',
  id,
  ts: now,
  room: '#main',
  from,
  text,
  ...extra,
});

describe('client state', () => {
  it('takes name, rooms and count from the welcome', () => {
    const { state, lines } = run([welcome]);
    expect(state).toMatchObject({ me: 'alice', rooms: ['#main'], clients: 2, serverName: 'test' });
    expect(texts(lines)).toEqual(['Connected to test as alice. #main']);
  });

  it('takes the account from the welcome, and forgets it at a welcome without one', () => {
    // welcome.account is not in src/protocol's types until the server speaks accounts.
    const withAccount = { ...welcome, account: 'alice' } as ServerMessage;
    expect(run([withAccount]).state.account).toBe('alice');
    expect(run([withAccount, welcome]).state.account).toBeUndefined();
    expect(run([welcome]).state.account).toBeUndefined();
  });

  it('names every room of the welcome in its line', () => {
    const two: ServerMessage = {
      ...welcome,
      rooms: [
        { room: '#main', topic: '', users: ['alice'] },
        { room: '#rust', topic: 'crabs', users: ['alice'] },
      ],
    } as ServerMessage;
    expect(texts(run([two]).lines)).toEqual(['Connected to test as alice. #main, #rust']);
  });

  it('says Reconnected, in one line, for a welcome after a drop', () => {
    const { lines } = run([welcome, { type: 'status', status: 'reconnecting', line: 'Disconnected.', now }, welcome]);
    expect(texts(lines)).toEqual(['Connected to test as alice. #main', 'Disconnected.', 'Reconnected to test as alice. #main']);
  });

  it('shows the message of the day', () => {
    expect(texts(run([{ ...welcome, motd: 'be nice\nhave fun' }]).lines).slice(1)).toEqual(['be nice', 'have fun']);
  });

  it('shows a message once, even if the same id arrives again', () => {
    const { lines } = run([welcome, message(1, 'bob', 'hi'), message(1, 'bob', 'hi'), message(2, 'bob', 'again')]);
    expect(texts(lines.slice(1))).toEqual(['hi', 'again']);
  });

  it('starts counting ids afresh on a new welcome (the server may have restarted)', () => {
    const { lines } = run([welcome, message(7, 'bob', 'before'), welcome, message(1, 'bob', 'after restart')]);
    expect(texts(lines.filter((l) => l.kind === 'message'))).toEqual(['before', 'after restart']);
  });

  it('keeps what we send pending until its labelled echo arrives, then shows the echo', () => {
    const sent = run([welcome, online, say('one'), say('two'), flush]);
    expect(pendingTexts(sent.state)).toEqual(['one', 'two']);
    expect(sent.lines).toHaveLength(1);
    // Our own copy carries the label of the line it delivers; the same text without it settles nothing.
    const echoed = run([message(5, 'alice', 'two'), message(6, 'alice', 'one', { label: '1' })], sent.state);
    expect(pendingTexts(echoed.state)).toEqual(['two']);
    expect(echoed.lines).toEqual([
      { kind: 'message', ts: now, from: 'alice', text: 'two', own: true, id: 5 },
      { kind: 'message', ts: now, from: 'alice', text: 'one', own: true, id: 6 },
    ]);
  });

  it('settles the line the label names, whatever its text and kind', () => {
    const { state } = run([
      welcome,
      online,
      say('waves'),
      say('waves', 'me'),
      flush,
      message(3, 'alice', 'waves', { action: true, label: '2' }),
    ]);
    expect(state.outgoing.lines.map((p) => p.kind)).toEqual(['say']);
  });

  it('settles a pending /msg from the labelled private echo', () => {
    const { state, lines } = run([
      welcome,
      online,
      { type: 'send', line: { kind: 'msg', to: 'Bob', text: 'psst' }, now },
      flush,
      { type: 'private', id: 4, ts: now, from: 'alice', to: 'bob', text: 'psst', label: '1' },
    ]);
    expect(state.outgoing.lines).toEqual([]);
    expect(lines.at(-1)).toMatchObject({ kind: 'private', own: true, to: 'bob' });
  });

  it('drops the line a labelled error refuses, and says how to send it again', () => {
    const { state, lines } = run([
      welcome,
      online,
      say('a'),
      say('b'),
      flush,
      { type: 'error', code: 'bad_text', message: 'Control characters are not allowed.', ref: 'say', label: '2' },
    ]);
    expect(pendingTexts(state)).toEqual(['a']);
    expect(lines.at(-1)).toMatchObject({ kind: 'error', text: 'Control characters are not allowed. Not sent: b', unsent: 'b' });
    expect(state.refused).toBe(1);
  });

  it('shows an error whose label names none of our lines, and settles nothing', () => {
    const { state, lines } = run([
      welcome,
      online,
      say('a'),
      flush,
      { type: 'error', code: 'bad_text', message: 'No.', ref: 'say' },
      { type: 'error', code: 'bad_text', message: 'Nor this.', ref: 'say', label: '99' },
    ]);
    expect(pendingTexts(state)).toEqual(['a']);
    expect(texts(lines).slice(1)).toEqual(['No.', 'Nor this.']);
    expect(state.refused).toBe(2);
  });

  it("answers a quiet who without a line and the user's who with one, in the order they were asked", () => {
    const users: ServerMessage = { type: 'users', users: ['alice', 'bob', 'carol'], clients: 3 };
    const ask = (quiet: boolean): ChatEvent => ({ type: 'request', request: 'who', quiet, now });
    const { state, lines } = run([
      welcome,
      ask(true),
      ask(false),
      users,
      { ...users, clients: 4, users: ['alice', 'bob', 'carol', 'dave'] },
    ]);
    expect(texts(lines).slice(1)).toEqual(['Online (4): alice, bob, carol, dave']);
    expect(state.clients).toBe(4);
    expect(state.requests).toEqual([]);
  });

  it('takes the count of people online from news about another room too', () => {
    const { state, lines } = run([welcome, { type: 'left', ts: now, room: '#ops', name: 'x', reason: 'logout', clients: 1 }]);
    expect(state.clients).toBe(1);
    expect(texts(lines.slice(1))).toEqual(['x has left #ops']);
  });

  it('puts a say refused for the rate back in the queue, says once that it slows down, and sends nothing more until answered', () => {
    const limited = (label: string): ServerMessage => ({
      type: 'error',
      code: 'rate_limited',
      message: 'Too many messages; slow down.',
      ref: 'say',
      label,
    });
    const { state, lines } = run([welcome, online, say('a'), say('b'), flush, limited('1'), limited('2')]);
    expect(pendingTexts(state)).toEqual(['a', 'b']);
    expect(state.outgoing.inFlight.size).toBe(0);
    expect(lines.filter((l) => l.kind === 'error')).toEqual([]);
    expect(texts(lines).slice(1)).toEqual(['The server asked us to slow down; sending more slowly']);
    expect(state.refused).toBe(0);
  });

  it('answers an error with the line its label names, not one put back in the queue before it', () => {
    const { state } = run([
      welcome,
      online,
      say('a'),
      say('b'),
      flush,
      { type: 'error', code: 'rate_limited', message: 'Slow down.', ref: 'say', label: '1' },
      { type: 'error', code: 'bad_text', message: 'No.', ref: 'say', label: '2' },
    ]);
    expect(pendingTexts(state)).toEqual(['a']);
  });

  it('puts everything on the wire back in the queue when the connection drops, and sends it again once online', () => {
    const dropped = run([welcome, online, say('a'), say('b'), flush, { type: 'status', status: 'reconnecting', now }]).state;
    expect(dropped.outgoing.inFlight.size).toBe(0);
    expect(apply(dropped, { type: 'flush', now }).send).toEqual([]);
    const back = apply(run([welcome, online], dropped).state, { type: 'flush', now });
    expect(back.send?.map((p) => [p.label, p.text])).toEqual([
      ['1', 'a'],
      ['2', 'b'],
    ]);
  });

  it('marks lines that mention us, and private messages to us', () => {
    const { lines } = run([
      welcome,
      message(1, 'bob', 'hey alice, look'),
      message(2, 'bob', 'nothing here'),
      { type: 'private', id: 3, ts: now, from: 'bob', to: 'alice', text: 'psst' },
    ]);
    expect(lines.slice(1).map((l) => 'mention' in l && l.mention === true)).toEqual([true, false, true]);
  });

  it('follows joins, leaves and renames in our room', () => {
    const { state, lines } = run([
      welcome,
      { type: 'joined', ts: now, room: '#main', name: 'carol', host: '127.0.0.1', clients: 3 },
      { type: 'renamed', ts: now, from: 'bob', to: 'robert' },
      { type: 'left', ts: now, room: '#main', name: 'carol', reason: 'timeout', clients: 2 },
    ]);
    expect(state.recent).toEqual([]);
    expect(state.clients).toBe(2);
    expect(texts(lines.slice(1))).toEqual(['carol has joined #main', 'bob is now known as robert', 'carol has left #main (timeout)']);
    expect(lines.slice(1).every((l) => l.kind === 'system')).toBe(true);
  });

  it('follows our own rename', () => {
    const { state, lines } = run([welcome, { type: 'renamed', ts: now, from: 'alice', to: 'alicia' }]);
    expect(state.me).toBe('alicia');
    expect(lines.at(-1)!.text).toBe('You are now known as alicia');
  });

  it('says a join answer puts us in the room', () => {
    const { state, lines } = run([
      welcome,
      { type: 'request', request: 'join', now },
      { type: 'room', room: '#rust', topic: '', users: ['alice', 'dan'] },
    ]);
    expect(state.requests).toEqual([]);
    expect(state.rooms).toContain('#rust');
    expect(lines.at(-1)).toMatchObject({ kind: 'system', text: 'You are now in #rust (2): alice, dan' });
  });

  it('answers /look, /who and /rooms with info lines', () => {
    const { state, lines } = run([
      welcome,
      { type: 'room', room: '#main', topic: '', users: ['bob', 'alice'] },
      { type: 'users', users: ['bob', 'alice', 'zed'], clients: 3 },
      {
        type: 'rooms',
        rooms: [
          { room: '#main', users: 2, topic: '' },
          { room: '#go', users: 1, topic: '' },
        ],
      },
    ]);
    expect(texts(lines.slice(1))).toEqual(['In #main (2): alice, bob', 'Online (3): alice, bob, zed', 'Rooms: #main (2), #go (1)']);
    expect(lines.slice(1).every((l) => l.kind === 'info')).toBe(true);
    expect(state.rooms).toEqual(['#main', '#go']);
    expect(state.clients).toBe(3);
  });

  it('makes lines for joins, leaves and topics in every room (windows.ts says where they go)', () => {
    const { lines } = run([
      welcome,
      { type: 'joined', ts: now, room: '#other', name: 'x', host: 'h', clients: 3 },
      { type: 'topic', room: '#other', text: 'hats', by: 'x', ts: now },
      { type: 'left', ts: now, room: '#other', name: 'x', reason: 'part', text: 'lunch', clients: 3 },
      { type: 'left', ts: now, room: '#other', name: 'alice', reason: 'part', text: 'bye', clients: 3 },
    ]);
    expect(texts(lines.slice(1))).toEqual([
      'x has joined #other',
      'x set the topic: hats',
      'x has left #other (left the room: lunch)',
      'You have left #other: bye',
    ]);
  });

  it('remembers who spoke recently, most recent first, not us', () => {
    const { state } = run([welcome, message(1, 'bob', 'a'), message(2, 'carol', 'b'), message(3, 'alice', 'c'), message(4, 'bob', 'd')]);
    expect(state.recent).toEqual(['bob', 'carol']);
  });

  it('records the connection status and says why', () => {
    const { state, lines } = run([
      { type: 'status', status: 'reconnecting', detail: 'retry in 2 s', line: 'Disconnected: connection lost', now },
    ]);
    expect(state).toMatchObject({ status: 'reconnecting', statusDetail: 'retry in 2 s' });
    expect(lines).toEqual([{ kind: 'system', ts: now, text: 'Disconnected: connection lost' }]);
  });

  it('turns local info and errors into lines without changing the state', () => {
    const start = run([welcome]).state;
    const { state, lines } = run([{ type: 'local', kind: 'error', text: 'Unknown command: /x', now }], start);
    expect(state).toBe(start);
    expect(lines).toEqual([{ kind: 'error', ts: now, text: 'Unknown command: /x' }]);
  });

  it('lists names in the order the user list uses: case-insensitive, numbers as numbers', () => {
    const { lines } = run([welcome, { type: 'users', users: ['user10', 'Bob', 'user2', 'alice'], clients: 4 }]);
    expect(lines.at(-1)).toMatchObject({ text: 'Online (4): alice, Bob, user2, user10' });
  });

  it("makes a line for every rename (windows.ts puts a stranger's in the server window)", () => {
    const { lines } = run([
      welcome,
      { type: 'renamed', ts: now, from: 'stranger', to: 'stranger2' },
      message(9, 'carol', 'hi from carol'),
      { type: 'renamed', ts: now, from: 'carol', to: 'carol2' },
    ]);
    expect(lines.map((l) => l.text)).toContain('stranger is now known as stranger2');
    expect(lines.at(-1)).toMatchObject({ kind: 'system', text: 'carol is now known as carol2' });
  });

  it('on a shutdown shows the server notice, then what the client will do', () => {
    const { lines } = run([welcome, { type: 'notice', text: 'Server test is shutting down.' }, { type: 'bye', reason: 'shutdown' }]);
    expect(texts(lines).slice(1)).toEqual([
      'Server notice: Server test is shutting down.',
      'The server is going away; we reconnect when it is back',
    ]);
  });

  it('remembers private partners across renames, for completion', () => {
    const { state } = run([
      welcome,
      { type: 'private', id: 5, ts: now, from: 'dave', to: 'alice', text: 'psst' },
      { type: 'renamed', ts: now, from: 'dave', to: 'david' },
    ]);
    expect(state.partners).toEqual(['david']);
  });
});
