import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatLine } from '../../src/client/line.js';
import {
  applyWindows,
  close,
  dayText,
  find,
  fixedOffset,
  focus,
  focusActive,
  focusedRoom,
  focusedWindow,
  focusNumber,
  focusStep,
  initialWindows,
  isRepeat,
  join,
  lineActivity,
  lineTag,
  localDay,
  localOffset,
  nextActive,
  numberOf,
  people,
  query,
  resume,
  sayTarget,
  timeText,
  unreadTotal,
  type Shown,
  type WindowEvent,
  type WindowMessage,
  type Windows,
} from '../../src/client/windows.js';

const ME = 'alice';
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0); // Tuesday 1 December 2026, 12:00 UTC
const UTC = fixedOffset(0);

const say = (from: string, text: string, extra: { own?: boolean; mention?: boolean } = {}): ChatLine => ({
  kind: 'message',
  ts: T0,
  from,
  text,
  ...extra,
});
const sys = (text: string, ts = T0): ChatLine => ({ kind: 'system', ts, text });

/** Apply server messages, each with one line (or the lines given), and keep what was shown. */
function run(
  ws: Windows,
  events: (WindowMessage | [WindowMessage, ChatLine[]])[],
  offset = UTC,
): { ws: Windows; shown: Shown[]; bells: number } {
  const shown: Shown[] = [];
  let bells = 0;
  for (const e of events) {
    const [message, lines] = Array.isArray(e) ? e : [e, [sys(e.type)]];
    const ev: WindowEvent = { type: 'server', message, lines, me: ME };
    const r = applyWindows(ws, ev, offset);
    ws = r.windows;
    shown.push(...r.shown);
    if (r.bell) bells++;
  }
  return { ws, shown, bells };
}

const welcome = (...rooms: string[]): WindowMessage => ({
  type: 'welcome',
  rooms: rooms.map((room) => ({ room, topic: `${room} topic`, users: [ME, 'bob'] })),
});
const msg = (room: string, id: number, from = 'bob', ts = T0): WindowMessage => ({ type: 'message', id, ts, room, from });
const priv = (from: string, to: string, id: number): WindowMessage => ({ type: 'private', id, ts: T0, from, to });

/** "1:server 2:#main* …": each window's number, name and activity, the focused one in brackets. */
function bar(ws: Windows): string {
  const mark = { none: '', activity: '+', message: '*', mention: '!' } as const;
  return ws.list.map((w, i) => (w.id === ws.focused ? `[${i + 1}:${w.name}]` : `${i + 1}:${w.name}${mark[w.activity]}`)).join(' ');
}

const where = (ws: Windows, shown: Shown[]): string[] =>
  shown.map((s) => `${numberOf(ws, s.window)}:${'line' in s ? s.line.text : `── ${s.day} ──`}`);

/** Logged in to #main and #rust, then a private window with carol: windows 1 server, 2 #main, 3 #rust, 4 carol. */
function three(): Windows {
  return run(initialWindows(), [
    welcome('#main', '#rust'),
    [priv('carol', ME, 1), [{ kind: 'private', ts: T0, from: 'carol', to: ME, text: 'hi', mention: true }]],
  ]).ws;
}

describe('windows: opening and routing', () => {
  it('starts with the server window alone, focused, number 1', () => {
    const ws = initialWindows('chat.example.org');
    expect(bar(ws)).toBe('[1:chat.example.org]');
    expect(focusedWindow(ws).kind).toBe('server');
  });

  it('the first welcome opens a window per room, in order, and focuses the first', () => {
    const { ws, shown } = run(initialWindows(), [welcome('#main', '#rust')]);
    expect(bar(ws)).toBe('1:server [2:#main] 3:#rust');
    expect(find(ws, 'room', '#RUST')).toMatchObject({ topic: '#rust topic', members: [ME, 'bob'], joined: true });
    expect(where(ws, shown)).toEqual(['1:welcome']); // "Connected …" is the server window's
  });

  it.each<[string, WindowMessage, string]>([
    ['a message goes to its room', msg('#rust', 5), '3:message'],
    ['a message to a room with different case goes to the same window', msg('#Rust', 5), '3:message'],
    ['a notice goes to the server window', { type: 'notice' }, '1:notice'],
    ['bye goes to the server window', { type: 'bye' }, '1:bye'],
    ['an error goes to the focused window', { type: 'error' }, '2:error'],
    ['the answer to /who goes to the focused window', { type: 'users' }, '2:users'],
    ['a topic goes to its room', { type: 'topic', room: '#rust', text: 't', by: 'bob', ts: T0 }, '3:topic'],
    ['a join goes to its room', { type: 'joined', ts: T0, room: '#rust', name: 'dave' }, '3:joined'],
    ['a leave goes to its room', { type: 'left', ts: T0, room: '#rust', name: 'bob', reason: 'part' }, '3:left'],
    [
      'a join to a room without a window is not lost: the server window',
      { type: 'joined', ts: T0, room: '#other', name: 'dave' },
      '1:joined',
    ],
  ])('%s', (_what, message, expected) => {
    const start = run(initialWindows(), [welcome('#main', '#rust')]).ws;
    const { ws, shown } = run(start, [message]);
    expect(where(ws, shown)).toEqual([expected]);
  });

  it('an event can be sent to a window by id (an error whose label names where the line was typed)', () => {
    const ws = three();
    const rust = find(ws, 'room', '#rust')!;
    const r = applyWindows(ws, { type: 'server', message: { type: 'error' }, lines: [sys('refused')], me: ME, window: rust.id }, UTC);
    expect(where(r.windows, r.shown)).toEqual(['3:refused']);
  });

  it.each<[string, WindowMessage, string]>([
    ['an error goes to where its request was made, not to the focused window', { type: 'error' }, '3:x'],
    ['so does a /who answer', { type: 'users' }, '3:x'],
    ['a /look of a room we are not in', { type: 'room', room: '#go', topic: '', users: ['dave'] }, '3:x'],
    ['an echo still goes to its own room', { type: 'message', id: 9, ts: T0, room: '#main', from: ME }, '2:x'],
    ['a topic to its room', { type: 'topic', room: '#main', text: 't', by: 'bob', ts: T0 }, '2:x'],
  ])('the window of origin: %s', (_what, message, expected) => {
    const ws = focus(three(), find(three(), 'room', '#main')!.id);
    const rust = find(ws, 'room', '#rust')!;
    const r = applyWindows(ws, { type: 'server', message, lines: [sys('x')], me: ME, window: rust.id }, UTC);
    expect(where(r.windows, r.shown)).toEqual([expected]);
  });

  it('a reply whose window of origin was closed goes to the focused window', () => {
    const ws = three();
    const r = applyWindows(ws, { type: 'server', message: { type: 'error' }, lines: [sys('x')], me: ME, window: 99 }, UTC);
    expect(where(r.windows, r.shown)).toEqual([`${numberOf(ws, ws.focused)}:x`]);
  });

  it('keeps each room its members and topic', () => {
    const { ws } = run(three(), [
      { type: 'joined', ts: T0, room: '#rust', name: 'dave' },
      { type: 'left', ts: T0, room: '#rust', name: 'bob', reason: 'logout' },
      { type: 'topic', room: '#rust', text: 'Rust 2026', by: 'dave', ts: T0 },
    ]);
    expect(find(ws, 'room', '#rust')).toMatchObject({ members: [ME, 'dave'], topic: 'Rust 2026' });
    expect(find(ws, 'room', '#main')).toMatchObject({ members: [ME, 'bob'], topic: '#main topic' });
  });

  it('a private message from someone new opens a window at the end but does not take the focus', () => {
    const { ws, shown, bells } = run(three(), [
      [priv('dave', ME, 7), [{ kind: 'private', ts: T0, from: 'dave', to: ME, text: 'psst', mention: true }]],
    ]);
    expect(bar(ws)).toBe('1:server [2:#main] 3:#rust 4:carol! 5:dave!');
    expect(where(ws, shown)).toEqual(['5:psst']);
    expect(bells).toBe(1);
  });

  it("our own private message goes to the partner's window, opening it quietly", () => {
    const { ws, shown, bells } = run(three(), [
      [priv(ME, 'Erin', 8), [{ kind: 'private', ts: T0, from: ME, to: 'Erin', text: 'hello', own: true }]],
    ]);
    expect(bar(ws)).toBe('1:server [2:#main] 3:#rust 4:carol! 5:Erin');
    expect(where(ws, shown)).toEqual(['5:hello']);
    expect(bells).toBe(0);
  });

  it('drops a repeat of a message already shown in that conversation, and only there', () => {
    const first = run(three(), [msg('#rust', 10), msg('#main', 4)]);
    expect(isRepeat(first.ws, { type: 'message', id: 9, room: '#rust' }, ME)).toBe(true);
    expect(isRepeat(first.ws, { type: 'message', id: 9, room: '#main' }, ME)).toBe(false);
    const { ws, shown } = run(first.ws, [msg('#rust', 10), msg('#rust', 9), msg('#main', 9), [priv('carol', ME, 1), [sys('again')]]]);
    expect(where(ws, shown)).toEqual(['2:message']);
  });

  it("the `room` answer to /join opens the room's window and focuses it; a /look answer does not", () => {
    let ws = join(three(), 'go'); // as typed: "go" is "#go"
    const look = run(ws, [{ type: 'room', room: '#lua', topic: '', users: ['zed'] }]); // a /look at another room in between
    expect(bar(look.ws)).toBe('1:server [2:#main] 3:#rust 4:carol!');
    expect(where(look.ws, look.shown)).toEqual(['2:room']);
    ws = run(look.ws, [{ type: 'room', room: '#go', topic: 'gophers', users: [ME] }]).ws;
    expect(bar(ws)).toBe('1:server 2:#main 3:#rust 4:carol! [5:#go]');
    expect(find(ws, 'room', '#go')).toMatchObject({ joined: true, topic: 'gophers', members: [ME] });
    expect(ws.joining).toEqual([]);
  });

  it('a /look answer for a room we are in refreshes its members, in its own window, without moving the focus', () => {
    const { ws, shown } = run(three(), [{ type: 'room', room: '#rust', topic: 'new', users: ['bob', 'dave'] }]);
    expect(bar(ws)).toBe('1:server [2:#main] 3:#rust+ 4:carol!');
    expect(find(ws, 'room', '#rust')).toMatchObject({ topic: 'new', members: ['bob', 'dave'] });
    expect(where(ws, shown)).toEqual(['3:room']);
  });

  it('/join of a room whose window is open focuses it at once', () => {
    const ws = join(three(), '#RUST');
    expect(bar(ws)).toBe('1:server 2:#main [3:#rust] 4:carol!');
  });

  it('/query opens a private window and focuses it; /query again finds the same one', () => {
    let ws = query(three(), 'dave');
    expect(bar(ws)).toBe('1:server 2:#main 3:#rust 4:carol! [5:dave]');
    ws = query(ws, 'CAROL');
    expect(bar(ws)).toBe('1:server 2:#main 3:#rust [4:carol] 5:dave');
  });
});

describe('windows: parting, renames, closing', () => {
  it('our own part leaves the window open and readable, not joined, until /close', () => {
    const { ws, shown } = run(three(), [{ type: 'left', ts: T0, room: '#main', name: ME, reason: 'part' }]);
    expect(find(ws, 'room', '#main')).toMatchObject({ joined: false, members: [] });
    expect(where(ws, shown)).toEqual(['2:left']);
    expect(sayTarget(ws)).toMatchObject({ kind: 'none', code: 'not_joined' });
    expect(people(ws)).toEqual([ME, 'bob', 'carol']); // from #rust and the private window
    const closed = close(ws);
    expect(closed).toMatchObject({ ok: true });
    if (closed.ok) {
      expect(closed.part).toBeUndefined(); // already parted: nothing to send
      expect(bar(closed.windows)).toBe('[1:server] 2:#rust 3:carol!'); // back to where we were before #main
    }
  });

  it('a rename moves the private window to the new name and renames the member in every room', () => {
    const { ws, shown } = run(three(), [
      { type: 'renamed', ts: T0, from: 'carol', to: 'Caroline' },
      { type: 'renamed', ts: T0, from: 'bob', to: 'robert' },
    ]);
    expect(find(ws, 'private', 'carol')).toBeUndefined();
    expect(find(ws, 'private', 'caroline')).toMatchObject({ name: 'Caroline', key: 'caroline' });
    expect(find(ws, 'room', '#main')!.members).toEqual([ME, 'robert']);
    expect(find(ws, 'room', '#rust')!.members).toEqual([ME, 'robert']);
    expect(where(ws, shown)).toEqual(['4:renamed', '2:renamed', '3:renamed']);
    // What carol, now Caroline, says next goes to the same window.
    const next = run(ws, [[priv('Caroline', ME, 2), [sys('still me')]]]);
    expect(where(next.ws, next.shown)).toEqual(['4:still me']);
  });

  it("our own rename is news in every room we are in; a stranger's goes to the server window", () => {
    const { ws, shown } = run(three(), [
      { type: 'renamed', ts: T0, from: ME, to: 'alicia' },
      { type: 'renamed', ts: T0, from: 'zed', to: 'zoe' },
    ]);
    expect(where(ws, shown)).toEqual(['2:renamed', '3:renamed', '1:renamed']);
  });

  it('a rename onto a name that has a window of its own leaves both windows, and tells both', () => {
    let ws = query(three(), 'dave');
    ws = focus(ws, find(ws, 'room', '#main')!.id);
    const r = run(ws, [{ type: 'renamed', ts: T0, from: 'carol', to: 'dave' }]);
    expect(bar(r.ws)).toBe('1:server [2:#main] 3:#rust 4:carol! 5:dave+');
    expect(where(r.ws, r.shown)).toEqual(['4:renamed', '5:renamed']);
  });

  it('closing the focused window goes back to the one focused before', () => {
    let ws = query(three(), 'dave'); // server, #main, #rust, carol, [dave]
    ws = focus(ws, find(ws, 'room', '#rust')!.id);
    ws = focus(ws, find(ws, 'private', 'carol')!.id);
    const r = close(ws);
    expect(r.ok && bar(r.windows)).toBe('1:server 2:#main [3:#rust] 4:dave');
  });

  it('closing the focused window with no window before it focuses the one that takes its number, or the last', () => {
    const ws = { ...three(), previous: undefined }; // focused #main, nothing before it
    const r = close(ws);
    expect(r.ok && bar(r.windows)).toBe('1:server [2:#rust] 3:carol!');
    const last = focus(three(), find(three(), 'private', 'carol')!.id);
    const r2 = close({ ...last, previous: undefined });
    expect(r2.ok && bar(r2.windows)).toBe('1:server 2:#main [3:#rust]');
  });

  it('closing a window that is not focused renumbers the ones after it and keeps the focus', () => {
    let ws = query(three(), 'dave'); // [5:dave]
    const r = close(ws, 3);
    expect(r).toMatchObject({ ok: true, part: '#rust' });
    if (!r.ok) return;
    ws = r.windows;
    expect(bar(ws)).toBe('1:server 2:#main 3:carol! [4:dave]');
    // The window focused before was #main; still there to go back to.
    const back = close(ws);
    expect(back.ok && bar(back.windows)).toBe('1:server [2:#main] 3:carol!');
  });

  it('closing the window that was "before" forgets it, so a later close does not go to a closed window', () => {
    let ws = query(three(), 'dave'); // previous: #main
    const r = close(ws, 2);
    if (!r.ok) throw new Error('close failed');
    ws = r.windows;
    expect(ws.previous).toBeUndefined();
    const again = close(ws);
    expect(again.ok && bar(again.windows)).toBe('1:server 2:#rust [3:carol]');
  });

  it.each<[string, number, string]>([
    ['the server window', 1, 'server_window'],
    ['a window that does not exist', 9, 'no_such_window'],
  ])('/close refuses %s', (_what, n, code) => {
    expect(close(three(), n)).toMatchObject({ ok: false, code });
  });
});

describe('windows: focus and activity', () => {
  it.each<[string, ChatLine, string]>([
    ['a join marks activity', sys('bob joined'), 'activity'],
    ['a message marks message', say('bob', 'hi'), 'message'],
    ['an action marks message', { kind: 'action', ts: T0, from: 'bob', text: 'waves' }, 'message'],
    ['a mention marks mention', say('bob', 'alice: hi', { mention: true }), 'mention'],
    ['a private message marks mention', { kind: 'private', ts: T0, from: 'bob', to: ME, text: 'x' }, 'mention'],
    ['our own line marks nothing', say(ME, 'hi', { own: true }), 'none'],
    ['an error marks activity', { kind: 'error', ts: T0, text: 'no' }, 'activity'],
  ])('%s', (_what, line, level) => {
    expect(lineActivity(line)).toBe(level);
  });

  it('marks the loudest level in a window that is not focused, counts unread lines and mentions, and rings only for mentions', () => {
    const { ws, bells } = run(three(), [
      [msg('#rust', 1), [sys('joined')]],
      [msg('#rust', 2), [say('bob', 'hi')]],
      [msg('#rust', 3), [say('bob', 'alice?', { mention: true })]],
      [msg('#rust', 4), [sys('left')]], // a quieter line does not lower the level
      [msg('#main', 5), [say('bob', 'alice!', { mention: true })]], // focused: nothing marked, no bell
    ]);
    expect(find(ws, 'room', '#rust')).toMatchObject({ activity: 'mention', unread: 2, highlights: 1 });
    expect(find(ws, 'room', '#main')).toMatchObject({ activity: 'none', unread: 0, highlights: 0 });
    expect(bells).toBe(1);
    expect(unreadTotal(ws)).toBe(2); // the mention in #rust and carol's private message
  });

  it('focusing a window clears its marks', () => {
    const ws = three();
    const carol = find(ws, 'private', 'carol')!;
    expect(carol).toMatchObject({ activity: 'mention', unread: 1, highlights: 1 });
    const after = focus(ws, carol.id);
    expect(find(after, 'private', 'carol')).toMatchObject({ activity: 'none', unread: 0, highlights: 0 });
    expect(unreadTotal(after)).toBe(0);
    expect(after.previous).toBe(find(ws, 'room', '#main')!.id);
  });

  it.each<[number, string]>([
    [1, '[1:server] 2:#main 3:#rust 4:carol!'],
    [3, '1:server 2:#main [3:#rust] 4:carol!'],
    [4, '1:server 2:#main 3:#rust [4:carol]'],
  ])('Alt-%i focuses that window', (n, expected) => {
    const r = focusNumber(three(), n);
    expect(r.ok && bar(r.windows)).toBe(expected);
  });

  it.each([0, 5, 10, 1.5])('/window %s is refused when there is no such window', (n) => {
    expect(focusNumber(three(), n)).toMatchObject({ ok: false, code: 'no_such_window' });
  });

  it.each<[1 | -1, string]>([
    [1, '1:server 2:#main [3:#rust] 4:carol!'],
    [-1, '[1:server] 2:#main 3:#rust 4:carol!'],
  ])('Ctrl-N/Ctrl-P step %i', (step, expected) => {
    expect(bar(focusStep(three(), step))).toBe(expected);
  });

  it('Ctrl-N wraps round from the last window to the first', () => {
    const ws = three();
    expect(bar(focusStep(focus(ws, find(ws, 'private', 'carol')!.id), 1))).toBe('[1:server] 2:#main 3:#rust 4:carol');
  });

  it('Alt-a goes to the loudest window first, the one that waited longest among equals, then nowhere', () => {
    let ws = query(three(), 'dave'); // server, #main, #rust, carol!, [dave]
    ws = run(ws, [
      [msg('#main', 1), [sys('joined')]], // #main: activity (seq 1)
      [msg('#rust', 2), [say('bob', 'hi')]], // #rust: message
      [priv('erin', ME, 3), [{ kind: 'private', ts: T0, from: 'erin', to: ME, text: 'x' }]], // erin: mention, after carol
      [msg('#main', 4), [say('bob', 'hi')]], // #main: message, later than #rust
    ]).ws;
    expect(bar(ws)).toBe('1:server 2:#main* 3:#rust* 4:carol! [5:dave] 6:erin!');
    const order: string[] = [];
    for (let i = 0; i < 6 && nextActive(ws); i++) {
      ws = focusActive(ws);
      order.push(focusedWindow(ws).name);
    }
    expect(order).toEqual(['carol', 'erin', '#rust', '#main']);
    expect(focusActive(ws)).toBe(ws);
  });
});

describe('windows: what a line goes to, what a reconnect asks for', () => {
  it.each<[string, (ws: Windows) => Windows, ReturnType<typeof sayTarget>]>([
    ['a room window: the room', (ws) => ws, { kind: 'room', room: '#main' }],
    ['a private window: the partner', (ws) => focus(ws, find(ws, 'private', 'carol')!.id), { kind: 'private', to: 'carol' }],
    [
      'the server window: nothing',
      (ws) => focus(ws, 1),
      { kind: 'none', code: 'server_window', message: expect.stringContaining('server window') as unknown as string },
    ],
  ])('a line typed in %s', (_what, prepare, expected) => {
    expect(sayTarget(prepare(three()))).toEqual(expected);
  });

  it('focusedRoom names the focused room, and nothing for a private or the server window', () => {
    const ws = three();
    expect(focusedRoom(ws)).toBe('#main');
    expect(focusedRoom(focus(ws, 1))).toBeUndefined();
    expect(focusedRoom(focus(ws, find(ws, 'private', 'carol')!.id))).toBeUndefined();
  });

  it('people: everyone in the rooms we are in and our private partners, each once', () => {
    const ws = run(three(), [{ type: 'joined', ts: T0, room: '#rust', name: 'Dave' }]).ws;
    expect(people(ws)).toEqual([ME, 'bob', 'Dave', 'carol']);
  });

  it('line mode tags room lines with their room, and nothing else', () => {
    const ws = three();
    expect(lineTag(ws, find(ws, 'room', '#rust')!.id)).toBe('[#rust] ');
    expect(lineTag(ws, find(ws, 'private', 'carol')!.id)).toBe('');
    expect(lineTag(ws, 1)).toBe('');
  });

  it('a reconnect asks for every room still joined, in window order, with the last id seen in each', () => {
    let ws = run(three(), [msg('#rust', 12), msg('#main', 7), { type: 'left', ts: T0, room: '#main', name: ME, reason: 'part' }]).ws;
    ws = run(join(ws, '#go'), [{ type: 'room', room: '#go', topic: '', users: [ME] }]).ws;
    expect(resume(ws)).toEqual({ rooms: ['#rust', '#go'], since: { '#rust': 12 } });
  });

  it('a reconnect keeps every window, its lines and the focus; a room the server did not put us back in is kept as parted', () => {
    let ws = run(three(), [msg('#rust', 12)]).ws;
    ws = focus(ws, find(ws, 'private', 'carol')!.id);
    const before = ws.list.map((w) => w.id);
    const r = run(ws, [welcome('#rust')]);
    expect(r.ws.list.map((w) => w.id)).toEqual(before);
    expect(bar(r.ws)).toBe('1:server+ 2:#main 3:#rust+ [4:carol]');
    expect(find(r.ws, 'room', '#main')).toMatchObject({ joined: false });
    expect(find(r.ws, 'room', '#rust')).toMatchObject({ joined: true, lastId: 12 });
    expect(where(r.ws, r.shown)).toEqual(['1:welcome', '4:welcome']); // "Reconnected" in the server window and where we are
  });

  it('history on a first join shows without marking; a catch-up after a reconnect marks but never rings', () => {
    const past: ChatLine[] = [say('bob', 'old', { mention: true })];
    let r = run(three(), [[{ type: 'history', room: '#rust', messages: [{ id: 3 }] }, past]]);
    expect(find(r.ws, 'room', '#rust')).toMatchObject({ activity: 'none', lastId: 3 });
    r = run(r.ws, [[{ type: 'history', room: '#rust', messages: [{ id: 9 }, { id: 8 }] }, past]]);
    expect(find(r.ws, 'room', '#rust')).toMatchObject({ activity: 'mention', lastId: 9 });
    expect(r.bells).toBe(0);
    const priv = run(three(), [[{ type: 'history', with: 'Zed', messages: [] }, [sys('none')]]]);
    expect(bar(priv.ws)).toBe('1:server [2:#main] 3:#rust 4:carol! 5:Zed');
  });

  it.each<['focused' | 'server' | 'status', number, string[]]>([
    ['focused', 3, ['3:x']],
    ['server', 3, ['1:x']],
    ['status', 3, ['1:x', '3:x']],
    ['status', 1, ['1:x']],
  ])('local lines to %s (focused window %i)', (to, focusedNumber, expected) => {
    const start = focusNumber(three(), focusedNumber);
    if (!start.ok) throw new Error('no window');
    const r = applyWindows(start.windows, { type: 'local', lines: [sys('x')], to }, UTC);
    expect(where(r.windows, r.shown)).toEqual(expected);
  });
});

describe('windows: days and times', () => {
  const H = 3_600_000;
  const midnightUtc = Date.UTC(2026, 11, 2); // Wednesday 2 December 2026, 00:00 UTC

  it.each<[string, number, number, string]>([
    ['UTC', midnightUtc, 0, 'Wednesday 2 December 2026'],
    ['a minute before midnight UTC', midnightUtc - 60_000, 0, 'Tuesday 1 December 2026'],
    ['Tokyo (+9), 15:00 UTC the day before', midnightUtc - 9 * H, 9 * 60, 'Wednesday 2 December 2026'],
    ['New York (-5), 03:00 UTC', midnightUtc + 3 * H, -5 * 60, 'Tuesday 1 December 2026'],
    ['a leap day', Date.UTC(2028, 1, 29, 12), 0, 'Tuesday 29 February 2028'],
    ['New Year', Date.UTC(2027, 0, 1, 0, 30), 0, 'Friday 1 January 2027'],
  ])('dayText: %s', (_what, ts, offset, expected) => {
    expect(dayText(ts, fixedOffset(offset))).toBe(expected);
  });

  it.each<[number, boolean, number, string]>([
    [Date.UTC(2026, 11, 1, 9, 5, 7), false, 0, '09:05'],
    [Date.UTC(2026, 11, 1, 9, 5, 7), true, 0, '09:05:07'],
    [Date.UTC(2026, 11, 1, 23, 59, 59), true, 60, '00:59:59'],
    [Date.UTC(2026, 11, 1, 0, 0, 0), false, -330, '18:30'],
  ])('timeText(%i, seconds %s, offset %i)', (ts, seconds, offset, expected) => {
    expect(timeText(ts, seconds, fixedOffset(offset))).toBe(expected);
  });

  it('puts a day-change line before the first line of a new local day, per window, and none before the first line', () => {
    const at = (ts: number, text: string): ChatLine => ({ kind: 'message', ts, from: 'bob', text });
    const tokyo = fixedOffset(9 * 60);
    const { ws, shown } = run(
      three(),
      [
        [msg('#rust', 1), [at(midnightUtc - 9 * H - 60_000, 'late')]], // 23:59 Tuesday in Tokyo
        [msg('#rust', 2), [at(midnightUtc - 9 * H + 60_000, 'early')]], // 00:01 Wednesday
        [msg('#rust', 3), [at(midnightUtc - 8 * H, 'later')]], // same day: no line
        [msg('#main', 4), [at(midnightUtc - 8 * H, 'other room')]], // first line in #main (since three()): no line
      ],
      tokyo,
    );
    expect(where(ws, shown)).toEqual(['3:late', '3:── Wednesday 2 December 2026 ──', '3:early', '3:later', '2:other room']);
  });

  it('the same lines in UTC change day elsewhere: the zone decides, not the clock of the test machine', () => {
    const at = (ts: number): ChatLine => ({ kind: 'message', ts, from: 'bob', text: 'x' });
    const { shown } = run(three(), [
      [msg('#rust', 1), [at(midnightUtc - 9 * H - 60_000)]],
      [msg('#rust', 2), [at(midnightUtc - 9 * H + 60_000)]],
      [msg('#rust', 3), [at(midnightUtc + 60_000)]],
    ]);
    expect(shown.filter((s) => 'day' in s).map((s) => 'day' in s && s.day)).toEqual(['Wednesday 2 December 2026']);
  });

  describe('with the process in a fixed time zone (TZ)', () => {
    const saved = process.env.TZ;
    beforeAll(() => {
      process.env.TZ = 'America/New_York';
    });
    afterAll(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });

    it('the default offset is the local one, summer time included', () => {
      expect(localOffset(Date.UTC(2026, 11, 1))).toBe(-300);
      expect(localOffset(Date.UTC(2026, 6, 1))).toBe(-240);
      expect(dayText(midnightUtc + 3 * H)).toBe('Tuesday 1 December 2026');
      // 23:00 and 01:00 in New York are two days, though both are the 2nd in UTC.
      expect(localDay(midnightUtc + 6 * H) - localDay(midnightUtc + 4 * H)).toBe(1);
      expect(localDay(midnightUtc + 4 * H, fixedOffset(0))).toBe(localDay(midnightUtc + 6 * H, fixedOffset(0)));
    });
  });
});
