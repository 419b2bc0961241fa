/**
 * Issue 12's "Done when", as one scenario: three people on the full screen (the built chat-client
 * in tmux), a bot (the protocol module's connect()) and an nc user (text mode on the same port),
 * each in #main and #rust, chat. Each terminal's captured screen shows every line in its room's
 * window and in no other, the window bar marks where something happened, and the title line
 * shows the topic once someone has set it with /topic.
 *
 * At 20 rows: row 0 is the title line, 1-16 the pane, 17 the window bar, 18 the status bar, 19
 * the input line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Connection, type ServerMessage } from '../../src/protocol/internal.js';
import { TextClient } from '../helpers/raw.js';
import { startServerBinary, CLIENT_BIN } from '../helpers/server-binary.js';
import { TmuxTerminal } from '../helpers/terminal.js';
import { until } from '../helpers/wait.js';

const ROWS = 20;
const TITLE = 0;
const BAR = ROWS - 3;
const INPUT = ROWS - 1;

const bots: Connection[] = [];
afterEach(() => {
  for (const b of bots.splice(0)) b.destroy();
});

function chatClient(args: string[]): Promise<TmuxTerminal> {
  return TmuxTerminal.start([process.execPath, CLIENT_BIN, ...args], { cols: 100, rows: ROWS });
}

async function enter(t: TmuxTerminal, line: string): Promise<void> {
  await t.text(line);
  await t.keys('Enter');
}

/** The pane's rows without the user list at the side. */
const pane = (s: string[]): string[] => s.slice(TITLE + 1, BAR).map((l) => l.replace(/ *│.*$/, ''));
/** The window bar without its activity marks: the windows, by number and name. */
const windows = (bar: string | undefined): string => (bar ?? '').replace(/[+*!]\]/g, ']');
const said = (s: string[]): string[] => pane(s).flatMap((l) => /^\d\d:\d\d (\w+: .*)$/.exec(l)?.[1] ?? []);

/** Everything said in the scenario, by room. */
const MAIN = ['alice: alice in main', 'robot: robot in main', 'dave: dave in main', 'carol: carol in main'];
const RUST = ['bob: bob in rust', 'robot: robot in rust', 'dave: dave in rust', 'carol: carol in rust'];

describe('three people on the full screen, a bot and an nc user, in #main and #rust', () => {
  it('each line is in its room window on every screen, the bar marks activity, the title shows the topic', async () => {
    const server = await startServerBinary(['--name', 'test']);
    const port = server.port;
    const address = `127.0.0.1:${port}`;

    // alice and carol start in #main and join #rust; bob starts in #rust and joins #main.
    const alice = await chatClient(['--name', 'alice', address]);
    const bob = await chatClient(['--name', 'bob', '--room', '#rust', address]);
    const carol = await chatClient(['--name', 'carol', address]);
    await enter(alice, '/join #rust');
    await enter(bob, '/j #main');
    await enter(carol, '/join rust');
    await alice.waitFor((s) => windows(s[BAR]) === '[1:server] [2:#main] [3:#rust]' && s[INPUT] === '#rust>');
    await bob.waitFor((s) => windows(s[BAR]) === '[1:server] [2:#rust] [3:#main]' && s[INPUT] === '#main>');
    await carol.waitFor((s) => windows(s[BAR]) === '[1:server] [2:#main] [3:#rust]' && s[INPUT] === '#rust>');

    const robot = await connect({ host: '127.0.0.1', port, name: 'robot', rooms: ['#main', '#rust'] });
    bots.push(robot);
    const heard: ServerMessage[] = [];
    robot.on('message', (m) => heard.push(m));
    const dave = await TextClient.login(port, 'dave');
    dave.line('join #rust');
    await dave.expect(/^Room #rust \(\d\): /);
    dave.line('switch #main');
    await dave.expect('Now talking in #main.');
    await alice.waitFor((s) => s.some((l) => l.includes('dave has joined #rust')));

    // Each says something in each room: the full-screen people from the window of that room.
    await alice.keys('M-2');
    await alice.waitFor((s) => s[INPUT] === '#main>');
    await enter(alice, 'alice in main');
    await alice.waitFor(/alice: alice in main/);
    await enter(bob, '/window 1');
    await bob.waitFor((s) => s[INPUT] === 'server>');
    await bob.keys('M-2');
    await bob.waitFor((s) => s[INPUT] === '#rust>');
    await enter(bob, 'bob in rust');
    await bob.waitFor(/bob: bob in rust/);
    robot.say('robot in main', { room: '#main' });
    robot.say('robot in rust', { room: '#rust' });
    await until(() => heard.filter((m) => m.type === 'message' && m.from === 'robot').length === 2);
    dave.line('dave in main');
    await dave.expect('[#main] dave: dave in main');
    dave.line('switch #rust');
    await dave.expect('Now talking in #rust.');
    dave.line('dave in rust');
    await dave.expect('[#rust] dave: dave in rust');
    // carol is in #rust: the #main line from there, with /window, then back with Alt-3.
    await enter(carol, 'carol in rust');
    await carol.waitFor(/carol: carol in rust/);
    await enter(carol, '/window 2');
    await carol.waitFor((s) => s[INPUT] === '#main>');
    await enter(carol, 'carol in main');
    await carol.waitFor(/carol: carol in main/);

    // The bot heard each line in its room.
    await until(
      () => heard.filter((m) => m.type === 'message').length === 8,
      () => JSON.stringify(heard),
    );
    const byRoom = (room: string): string[] =>
      heard.flatMap((m) => (m.type === 'message' && m.room === room ? [`${m.from}: ${m.text}`] : []));
    expect(byRoom('#main')).toEqual(MAIN);
    expect(byRoom('#rust')).toEqual(RUST);
    // So did the nc user, each line named by its room (dave is in two).
    await dave.expect('[#main] carol: carol in main');
    for (const l of [...MAIN.map((x) => `[#main] ${x}`), ...RUST.map((x) => `[#rust] ${x}`)]) expect(dave.lines).toContain(l);

    // Where each full-screen person is now, the other room's window is marked: something was said there.
    let s = await alice.waitFor((x) => x[BAR] === '[1:server] [2:#main] [3:#rust*]' && said(x).length === 4);
    expect(said(s)).toEqual(MAIN);
    s = await bob.waitFor((x) => x[BAR] === '[1:server] [2:#rust] [3:#main*]' && said(x).length === 4);
    expect(said(s)).toEqual(RUST);
    // (carol watched #rust while it talked: nothing in it is new to her.)
    s = await carol.waitFor((x) => x[BAR] === '[1:server] [2:#main] [3:#rust]' && said(x).length === 4);
    expect(said(s)).toEqual(MAIN);
    // And switching shows that room's lines, only those, and clears its mark.
    // (carol's bar has no mark to clear: the prompt says the switch happened.)
    for (const [t, key, room, lines] of [
      [alice, 'M-3', '#rust', RUST],
      [bob, 'M-3', '#main', MAIN],
      [carol, 'M-3', '#rust', RUST],
    ] as const) {
      await t.keys(key);
      s = await t.waitFor((x) => x[INPUT] === `${room}>` && !x[BAR]!.includes('*') && said(x).length === 4);
      expect(said(s)).toEqual(lines);
    }

    // alice sets #rust's topic from its window: everyone's title line says it in #rust.
    await enter(alice, '/topic borrow checking, all day');
    for (const t of [alice, carol]) await t.waitFor((x) => x[TITLE] === ' #rust — borrow checking, all day');
    s = await bob.waitFor((x) => x[BAR] === '[1:server] [2:#rust+] [3:#main]');
    expect(s[TITLE]).toBe(' #main');
    await bob.keys('M-2');
    s = await bob.waitFor((x) => x[TITLE] === ' #rust — borrow checking, all day');
    expect(pane(s).some((l) => /alice set the topic: borrow checking, all day/.test(l))).toBe(true);
    await dave.expect('[#rust] alice set the topic of #rust: borrow checking, all day');
    await until(() => heard.some((m) => m.type === 'topic' && m.room === '#rust' && m.text === 'borrow checking, all day'));

    // A mention in the room bob is not looking at is loud in his bar.
    await bob.keys('M-3');
    await bob.waitFor((x) => x[TITLE] === ' #main');
    robot.say('bob: a question about lifetimes', { room: '#rust' });
    await bob.waitFor((x) => x[BAR] === '[1:server] [2:#rust!] [3:#main]');
  }, 90_000);
});
