/**
 * The client's windows as a person sees them: the built chat-client in a real tmux, against a
 * real server, with bots (the protocol module) as the other people. What is asserted is the
 * captured screen (the title line on top, the window bar above the status bar), the terminal's
 * title and its bell as tmux saw them, and, for line mode, what the client prints.
 *
 * At 20 rows: row 0 is the title line, 1-16 the pane, 17 the window bar, 18 the status bar, 19
 * the input line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Connection, type ConnectOptions, type ServerMessage } from '../../src/protocol/internal.js';
import { startServer } from '../helpers/server.js';
import { startServerBinary, CLIENT_BIN } from '../helpers/server-binary.js';
import { ClientProcess, TmuxTerminal } from '../helpers/terminal.js';
import { until } from '../helpers/wait.js';

const ROWS = 20;
const TITLE = 0;
const BAR = ROWS - 3;
const INPUT = ROWS - 1;

/** The built client in tmux, in UTC (so that the test knows its days), 100 × 20. */
function chatClient(args: string[]): Promise<TmuxTerminal> {
  return TmuxTerminal.start(['env', 'TZ=UTC', process.execPath, CLIENT_BIN, ...args], { cols: 100, rows: ROWS });
}

type Bot = Connection & { heard: ServerMessage[] };
const bots: Connection[] = [];
afterEach(() => {
  for (const b of bots.splice(0)) b.destroy();
});

/** A bot that records everything it receives. */
async function bot(port: number, name: string, opts: Partial<ConnectOptions> = {}): Promise<Bot> {
  const conn = await connect({ host: '127.0.0.1', port, name, ...opts });
  bots.push(conn);
  const heard: ServerMessage[] = [];
  conn.on('message', (m) => heard.push(m));
  return Object.assign(conn, { heard });
}

/** Wait until the bot has heard a message that `match` accepts (whenever it arrived). */
function hears(b: Bot, match: (m: ServerMessage) => boolean): Promise<void> {
  return until(
    () => b.heard.some(match),
    () => JSON.stringify(b.heard.slice(-5)),
    15_000,
  );
}

/** Type a line and press Enter. */
async function enter(t: TmuxTerminal, line: string): Promise<void> {
  await t.text(line);
  await t.keys('Enter');
}

/** Wait until the terminal's title (set after the frame it belongs to) is `expected`. */
async function titleIs(t: TmuxTerminal, expected: string): Promise<void> {
  let last = await t.title();
  const deadline = Date.now() + 10_000;
  while (last !== expected) {
    if (Date.now() > deadline) throw new Error(`the terminal title stayed ${JSON.stringify(last)}, expected ${JSON.stringify(expected)}`);
    await new Promise((r) => setTimeout(r, 25));
    last = await t.title();
  }
}

const paneText = (s: string[]): string => s.slice(TITLE + 1, BAR).join('\n');
const barIs = (bar: string) => (s: string[]) => s[BAR] === bar;

describe('the window bar, its marks and the title line', () => {
  it('numbers and names the windows, marks each kind of news its own way, and shows the topic on top', async () => {
    const { port } = await startServer();
    const bob = await bot(port, 'bob', { rooms: ['#main', '#rust'] });
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${port}`]);
    await alice.waitFor((s) => s[BAR] === '[1:server] [2:#main]' && s[INPUT] === '#main>' && s[TITLE] === ' #main');

    await enter(alice, '/join #rust');
    await alice.waitFor((s) => s[BAR] === '[1:server] [2:#main] [3:#rust]' && s[INPUT] === '#rust>' && s[TITLE] === ' #rust');
    await bob.topic('#rust', 'all about borrowing');
    await alice.waitFor((s) => s[TITLE] === ' #rust — all about borrowing');
    await enter(alice, '/topic ownership and lifetimes');
    let screen = await alice.waitFor((s) => s[TITLE] === ' #rust — ownership and lifetimes');
    expect(paneText(screen)).toMatch(/alice set the topic: ownership and lifetimes/);

    // Watch from the server window: every room and private window is now "not focused".
    await alice.keys('M-1');
    screen = await alice.waitFor((s) => s[TITLE] === ' server — server notices' && s[INPUT] === 'server>');
    await titleIs(alice, 'framechat — server');
    // A join is activity (+), something said is a message (*), a mention or private message is loud (!).
    const carol = await bot(port, 'carol', { rooms: ['#rust'] });
    await alice.waitFor(barIs('[1:server] [2:#main] [3:#rust+]'));
    bob.say('plain news', { room: '#main' });
    await alice.waitFor(barIs('[1:server] [2:#main*] [3:#rust+]'));
    carol.say('alice: look at this', { room: '#rust' });
    await alice.waitFor(barIs('[1:server] [2:#main*] [3:#rust!]'));
    bob.msg('alice', 'a word in private');
    await alice.waitFor(barIs('[1:server] [2:#main*] [3:#rust!] [4:bob!]'));
    await titleIs(alice, 'framechat (2) — server');

    // Alt-a: the loudest, oldest first; what was seen loses its mark and leaves the title's count.
    await alice.keys('M-a');
    screen = await alice.waitFor(
      (s) => s[TITLE] === ' #rust — ownership and lifetimes' && s[BAR] === '[1:server] [2:#main*] [3:#rust] [4:bob!]',
    );
    expect(paneText(screen)).toMatch(/carol: alice: look at this/);
    expect(paneText(screen)).not.toMatch(/plain news|a word in private/);
    await titleIs(alice, 'framechat (1) — #rust');
    await alice.keys('M-a');
    screen = await alice.waitFor((s) => s[TITLE] === ' bob — private conversation' && s[INPUT] === 'bob>');
    expect(paneText(screen)).toMatch(/\*bob\* a word in private/);
    expect(screen[BAR]).toBe('[1:server] [2:#main*] [3:#rust] [4:bob]');
    await enter(alice, '/window 2');
    screen = await alice.waitFor((s) => s[TITLE] === ' #main' && s[BAR] === '[1:server] [2:#main] [3:#rust] [4:bob]');
    expect(paneText(screen)).toMatch(/bob: plain news/);
    expect(paneText(screen)).not.toMatch(/look at this|a word in private|ownership/);
    await titleIs(alice, 'framechat — #main');
  });
});

describe('the bell and the terminal title', () => {
  it('rings for a mention or a private message in a window not focused, never with --no-bell, and counts them in the title', async () => {
    const { port } = await startServer();
    const bob = await bot(port, 'bob', { rooms: ['#main', '#rust'] });
    const alice = await chatClient(['--name', 'alice', '--room', '#rust', `127.0.0.1:${port}`]);
    const carol = await chatClient(['--name', 'carol', '--room', '#rust', `127.0.0.1:${port}`]);
    const dave = await chatClient(['--name', 'dave', '--room', '#rust', '--no-bell', `127.0.0.1:${port}`]);
    for (const t of [alice, carol, dave]) {
      await t.waitFor((s) => s[INPUT] === '#rust>');
      await enter(t, '/join #main');
      await t.waitFor((s) => s[BAR] === '[1:server] [2:#rust] [3:#main]' && s[INPUT] === '#main>');
      await t.keys('M-2');
      await t.waitFor((s) => s[INPUT] === '#rust>');
    }

    // Something said in another window is news, but not a reason to ring.
    bob.say('nothing urgent', { room: '#main' });
    for (const t of [alice, carol, dave]) await t.waitFor(barIs('[1:server] [2:#rust] [3:#main*]'));
    expect([await alice.rang(), await carol.rang(), await dave.rang()]).toEqual([false, false, false]);

    bob.say('alice and dave: a question for you', { room: '#main' });
    bob.msg('carol', 'psst');
    bob.msg('dave', 'psst');
    await alice.waitFor(barIs('[1:server] [2:#rust] [3:#main!]'));
    await carol.waitFor(barIs('[1:server] [2:#rust] [3:#main*] [4:bob!]'));
    await dave.waitFor(barIs('[1:server] [2:#rust] [3:#main!] [4:bob!]'));
    // The bell goes out before the frame that shows the mark, so it has arrived by now.
    expect([await alice.rang(), await carol.rang(), await dave.rang()]).toEqual([true, true, false]);
    await titleIs(alice, 'framechat (1) — #rust');
    await titleIs(carol, 'framechat (1) — #rust');
    await titleIs(dave, 'framechat (2) — #rust');

    // In the focused window a mention is seen as it arrives: no bell, no count.
    const quiet = await chatClient(['--name', 'erin', '--room', '#rust', `127.0.0.1:${port}`]);
    await quiet.waitFor((s) => s[INPUT] === '#rust>');
    bob.say('erin: you are right here', { room: '#rust' });
    await quiet.waitFor(/bob: erin: you are right here/);
    expect(await quiet.rang()).toBe(false);
    await titleIs(quiet, 'framechat — #rust');
  }, 40_000);
});

/** The next UTC midnight after `ts`. */
const nextMidnight = (ts: number): number => Math.floor(ts / 86_400_000) * 86_400_000 + 86_400_000;
const dayName = (ts: number): string =>
  new Date(ts)
    .toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
    .replace(',', '');

describe('day-change lines', () => {
  it('puts a line with the new day between two messages either side of midnight, with seconds under --seconds', async () => {
    // The server's clock is the test's: just before midnight (UTC, the client's zone here), then just after.
    const midnight = nextMidnight(Date.now() + 60_000);
    let clock = midnight - 65_000;
    const { port } = await startServer({}, { now: () => clock, sweep: false });
    const bob = await bot(port, 'bob');
    const alice = await chatClient(['--name', 'alice', '--seconds', `127.0.0.1:${port}`]);
    await alice.waitFor('Connected to test as alice');

    bob.say('before midnight');
    await alice.waitFor(/^23:58:55 bob: before midnight/m);
    clock = midnight + 5_000;
    bob.say('after midnight');
    const screen = await alice.waitFor(/^00:00:05 bob: after midnight/m);
    const before = screen.findIndex((l) => l.includes('bob: before midnight'));
    const after = screen.findIndex((l) => l.includes('bob: after midnight'));
    expect(screen.slice(before + 1, after).map((l) => l.replace(/ *│.*$/, ''))).toEqual([`── ${dayName(midnight)} ──`]);
    expect(dayName(midnight)).toMatch(/^[A-Z][a-z]+day \d{1,2} [A-Z][a-z]+ \d{4}$/);
  });
});

describe('--room', () => {
  it('starts a client in #rust without ever passing through #main', async () => {
    const { port } = await startServer();
    const watcher = await bot(port, 'watcher', { rooms: ['#main', '#rust'] });
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${port}`]);
    await alice.waitFor('Connected to test as alice');
    const carol = await chatClient(['--name', 'carol', '--room', '#rust', `127.0.0.1:${port}`]);
    let screen = await carol.waitFor((s) => s[INPUT] === '#rust>' && s.join('\n').includes('Connected to test as carol. #rust'));
    expect(screen[BAR]).toBe('[1:server] [2:#rust]');
    expect(screen[TITLE]).toBe(' #rust');
    await enter(carol, 'only in rust');
    await hears(watcher, (m) => m.type === 'message' && m.from === 'carol' && m.room === '#rust' && m.text === 'only in rust');
    await enter(carol, '/quit');
    await hears(watcher, (m) => m.type === 'left' && m.name === 'carol');
    await watcher.ping();

    // Nobody in #main heard of carol: not the bot, not alice's screen.
    const aboutCarol = watcher.heard.filter((m) => (m.type === 'joined' || m.type === 'left') && m.name === 'carol');
    expect(aboutCarol.map((m) => (m as { room: string }).room)).toEqual(['#rust', '#rust']);
    // (alice's screen had no carol on it before carol came, too: what shows it has caught up is the
    // echo of a line alice sends now, which the server sends her after all it told her before.)
    await enter(alice, 'caught up');
    screen = await alice.waitFor((s) => s.some((l) => /alice: caught up(?! \(pending\))/.test(l)));
    expect(screen.join('\n')).not.toContain('carol');
    expect(screen[BAR]).toBe('[1:server] [2:#main]');
  });
});

describe('reconnecting', () => {
  it('restores every window and room after the server is killed and started again on the same port', async () => {
    const first = await startServerBinary(['--name', 'test']);
    const port = first.port;
    const alice = await chatClient(['--name', 'alice', '--retry-max', '1', `127.0.0.1:${port}`]);
    await alice.waitFor('Connected to test as alice');
    await enter(alice, '/join #rust');
    await alice.waitFor((s) => s[INPUT] === '#rust>');
    await enter(alice, '/join #go');
    await alice.waitFor((s) => s[INPUT] === '#go>');
    await enter(alice, '/query bob');
    await alice.waitFor((s) => s[INPUT] === 'bob>');
    await enter(alice, '/window 3');
    const windows = '[1:server] [2:#main] [3:#rust] [4:#go] [5:bob]';
    await alice.waitFor((s) => s[INPUT] === '#rust>' && s[BAR] === windows);

    await first.crash();
    await alice.waitFor((s) => s[BAR + 1]!.includes('DISCONNECTED, reconnecting'));
    await startServerBinary(['--port', String(port), '--name', 'test']);
    let screen = await alice.waitFor((s) => s[BAR + 1]!.includes('│ connected') && s.join('\n').includes('Reconnected to test as alice'));
    // The same windows in the same order; the server window marks the connection's news.
    expect(screen[BAR]).toBe('[1:server+] [2:#main] [3:#rust] [4:#go] [5:bob]');
    expect(screen[INPUT]).toBe('#rust>');
    expect(paneText(screen)).toContain('Reconnected to test as alice. #main, #rust, #go');

    // The server has her back in all three rooms, and each room's news goes to its own window.
    const bob = await bot(port, 'bob', { rooms: ['#main', '#rust', '#go'] });
    for (const room of ['#main', '#rust', '#go']) expect((await bob.look(room)).users).toContain('alice');
    bob.say('back in go', { room: '#go' });
    bob.msg('alice', 'back in private');
    bob.say('back in rust', { room: '#rust' });
    screen = await alice.waitFor(
      (s) => s[BAR] === '[1:server+] [2:#main+] [3:#rust] [4:#go*] [5:bob!]' && paneText(s).includes('bob: back in rust'),
    );
    expect(paneText(screen)).not.toMatch(/back in go|back in private/);
    await alice.keys('M-4');
    screen = await alice.waitFor((s) => s[INPUT] === '#go>');
    expect(paneText(screen)).toMatch(/bob: back in go/);
  }, 40_000);
});

describe('line mode with two rooms', () => {
  it('names the room of every event line, and /join switches where typed lines go', async () => {
    const { port } = await startServer();
    const bob = await bot(port, 'bob', { rooms: ['#main', '#rust'] });
    const client = ClientProcess.start(['--name', 'alice', `127.0.0.1:${port}`]);
    await client.output(/Connected to test as alice/);
    client.child.stdin.write('hello main\n/join #rust\nhello rust\n');
    await client.output(/^\[#rust\] alice: hello rust$/m);
    bob.say('from bob in main', { room: '#main' });
    await client.output(/^\[#main\] bob: from bob in main$/m);
    await bob.topic('#rust', 'crabs');
    await client.output(/^\[#rust\] -- bob set the topic: crabs$/m);
    const carol = await bot(port, 'carol', { rooms: ['#rust'] });
    await client.output(/^\[#rust\] -- carol has joined #rust$/m);
    carol.say('hi from rust');
    await client.output(/^\[#rust\] carol: hi from rust$/m);
    client.child.stdin.end();
    expect(await client.exitCode()).toBe(0);
    await bob.ping(); // a round trip: everything the server sent bob before it has arrived

    const heard = bob.heard.flatMap((m) => (m.type === 'message' && m.from === 'alice' ? [`${m.room} ${m.text}`] : []));
    expect(heard).toEqual(['#main hello main', '#rust hello rust']);
    expect(client.stdout).toMatch(/^\[#main\] alice: hello main$/m);
    // Every line about a room names it; what is not about one (the welcome, /join's answer) goes without.
    const untagged = client.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('[#'));
    expect(untagged.every((l) => /^-- (Connected|You are now in) /.test(l))).toBe(true);
  });
});

describe('errors and answers', () => {
  it('shows a refusal in the window where the line was typed, after the user has moved to another', async () => {
    const server = await startServerBinary(['--name', 'test']);
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${server.port}`]);
    await alice.waitFor('Connected to test as alice');
    await enter(alice, '/join #rust');
    await alice.waitFor((s) => s[INPUT] === '#rust>' && s[BAR] === '[1:server] [2:#main] [3:#rust]');

    // A slow server: what alice types in #rust is answered only after she has gone to #main.
    process.kill(server.child.pid!, 'SIGSTOP');
    try {
      await enter(alice, '/who');
      await enter(alice, '/part');
      await enter(alice, 'never said');
      await alice.waitFor(/alice: never said \(pending\)/);
      await alice.keys('M-2');
      await alice.waitFor((s) => s[INPUT]!.startsWith('#main>'));
    } finally {
      process.kill(server.child.pid!, 'SIGCONT');
    }
    // The answers arrive: the refused line comes back to the input line, its refusal stays in #rust.
    let screen = await alice.waitFor((s) => s[INPUT] === '#main> never said' && s[BAR] === '[1:server] [2:#main] [3:#rust+]');
    expect(paneText(screen)).not.toMatch(/Online|left|Not sent|input line/);
    await alice.keys('M-3');
    screen = await alice.waitFor((s) => s[TITLE] === ' #rust (not joined)');
    const pane = paneText(screen);
    expect(pane).toMatch(/-- Online \(1\): alice/);
    expect(pane).toMatch(/-- You have left #rust/);
    expect(pane).toMatch(/!! .*Not sent: never said/);
    expect(pane).toMatch(/It is back in the input line/);
  }, 30_000);
});
