/**
 * History on the full screen and in line mode (issue #13 item 6): the built chat-client against a
 * real server, asserted by what is on the terminal (tmux) or printed (pipes). A bot (the protocol
 * module) says the lines that make the history.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src/protocol/internal.js';
import { startServer } from '../helpers/server.js';
import { startServerBinary, tempDataDir, CLIENT_BIN } from '../helpers/server-binary.js';
import { ClientProcess, TmuxTerminal } from '../helpers/terminal.js';

const bots: Connection[] = [];
afterEach(() => {
  for (const b of bots.splice(0)) b.destroy();
});

async function bot(port: number, name: string): Promise<Connection> {
  const conn = await connect({ host: '127.0.0.1', port, name });
  bots.push(conn);
  return conn;
}

/** Say each line and wait until the server has relayed it (a ping answers after the messages). */
async function sayAll(b: Connection, lines: string[]): Promise<void> {
  for (const l of lines) b.say(l);
  await b.ping();
}

function chatClient(args: string[], size: { cols?: number; rows?: number } = {}): Promise<TmuxTerminal> {
  return TmuxTerminal.start([process.execPath, CLIENT_BIN, ...args], size);
}

const rowOf = (screen: string[], pattern: RegExp): number => screen.findIndex((l) => pattern.test(l));
const count = (screen: string[], pattern: RegExp): number => screen.filter((l) => pattern.test(l)).length;

describe('history on the full screen', () => {
  it('shows the history on join above the divider, then live lines below it', async () => {
    const { port } = await startServer();
    const robot = await bot(port, 'robot');
    await sayAll(robot, ['old one', 'old two']);
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${port}`], { cols: 100, rows: 20 });
    await alice.waitFor('── end of history ──');
    robot.say('live three');
    const screen = await alice.waitFor(/^\d\d:\d\d robot: live three/m);
    const divider = rowOf(screen, /── end of history ──/);
    expect(rowOf(screen, /^\d\d:\d\d robot: old one/)).toBeLessThan(rowOf(screen, /^\d\d:\d\d robot: old two/));
    expect(rowOf(screen, /robot: old two/)).toBeLessThan(divider);
    expect(rowOf(screen, /robot: live three/)).toBeGreaterThan(divider);
  });

  it('fetches older pages with PageUp at the top, each line once, until the start of history', async () => {
    const { port } = await startServer({ historyOnJoin: 3 });
    const robot = await bot(port, 'robot');
    await sayAll(
      robot,
      Array.from({ length: 12 }, (_, i) => `line ${i + 1}`),
    );
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${port}`], { cols: 80, rows: 30 });
    let screen = await alice.waitFor(/robot: line 12/);
    // Only the latest three came with the join.
    expect(count(screen, /robot: line 9$|robot: line 9 /)).toBe(0);
    expect(count(screen, /robot: line 10\b/)).toBe(1);
    await alice.keys('PageUp');
    screen = await alice.waitFor(/── start of history ──/);
    for (let i = 1; i <= 12; i++) expect(count(screen, new RegExp(`robot: line ${i}(\\s|$)`))).toBe(1);
    expect(rowOf(screen, /start of history/)).toBeLessThan(rowOf(screen, /robot: line 1(\s|$)/));
    expect(rowOf(screen, /robot: line 9(\s|$)/)).toBeLessThan(rowOf(screen, /robot: line 10(\s|$)/));
    // At the start already: PageUp again asks nothing and shows nothing twice.
    // (line 12 is on the screen all along: what shows that both keys were handled, and that any
    // page they asked for has come, is the echo of a line sent after them on the same connection.)
    await alice.keys('PageUp');
    await alice.keys('PageDown');
    await alice.text('after the pages');
    await alice.keys('Enter');
    screen = await alice.waitFor(
      (s) => s.some((l) => /alice: after the pages(?! \(pending\))/.test(l)) && s.some((l) => /robot: line 12/.test(l)),
    );
    expect(count(screen, /start of history/)).toBeLessThanOrEqual(1);
    for (let i = 1; i <= 12; i++) expect(count(screen, new RegExp(`robot: line ${i}(\\s|$)`))).toBeLessThanOrEqual(1);
  });

  it('finds a Chinese word with /search and /goto jumps to it in its room, fetching it', async () => {
    const { port } = await startServer({ historyOnJoin: 2 });
    const robot = await bot(port, 'robot');
    await sayAll(robot, ['大家你好', 'filler a', 'filler b', 'filler c']);
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${port}`], { cols: 90, rows: 20 });
    let screen = await alice.waitFor(/robot: filler c/);
    expect(screen.join('\n')).not.toContain('大家你好');
    await alice.text('/search 你好');
    await alice.keys('Enter');
    screen = await alice.waitFor(/^1\. #main \d{4}-\d\d-\d\d \d\d:\d\d robot: 大家你好/m);
    expect(screen.join('\n')).toMatch(/search>/);
    await alice.text('/goto 1');
    await alice.keys('Enter');
    screen = await alice.waitFor((s) => s.some((l) => /^#main>/.test(l)) && s.some((l) => /robot: 大家你好/.test(l)));
    // In the room's window now, in order before the later lines, once.
    expect(count(screen, /robot: 大家你好/)).toBe(1);
    expect(rowOf(screen, /robot: 大家你好/)).toBeLessThan(rowOf(screen, /robot: filler a/));
  });

  it('after a server restart shows every message once, in order, the gap filled', async () => {
    const dir = tempDataDir();
    const first = await startServerBinary(['--data-dir', dir]);
    const port = first.port;
    const alice = await chatClient(['--name', 'alice', '--retry-max', '1', `127.0.0.1:${port}`], { cols: 100, rows: 30 });
    await alice.waitFor('Connected to');
    const robot = await bot(port, 'robot');
    await sayAll(robot, ['before restart']);
    await alice.waitFor(/robot: before restart/);
    await first.crash();
    await alice.waitFor(/Reconnecting/);
    // While alice is away: another server on the same data, on a port she does not know, hears the gap.
    const aside = await startServerBinary(['--data-dir', dir]);
    const robot2 = await bot(aside.port, 'robot');
    await sayAll(robot2, ['gap one', 'gap two']);
    await aside.crash();
    await startServerBinary(['--data-dir', dir, '--port', String(port)]);
    await alice.waitFor(/Reconnected to/, 20_000);
    const robot3 = await bot(port, 'robot');
    await sayAll(robot3, ['after restart']);
    const screen = await alice.waitFor(/robot: after restart/);
    const lines = ['before restart', 'gap one', 'gap two', 'after restart'];
    const rows = lines.map((l) => rowOf(screen, new RegExp(`robot: ${l}`)));
    for (const l of lines) expect(count(screen, new RegExp(`robot: ${l}`))).toBe(1);
    expect([...rows].sort((a, b) => a - b)).toEqual(rows);
  }, 60_000);
});

describe('history in line mode', () => {
  it('marks history lines and prints /search results as lines', async () => {
    const { port } = await startServer();
    const robot = await bot(port, 'robot');
    await sayAll(robot, ['an old 你好 line']);
    const client = ClientProcess.start(['--name', 'piper', `127.0.0.1:${port}`], { TZ: 'UTC' });
    await client.output(/\[#main\] \[history \d{4}-\d\d-\d\d \d\d:\d\d\] robot: an old 你好 line\n/);
    await client.output(/-- end of history\n/);
    client.child.stdin.write('/search 你好\n');
    await client.output(/\[1\] #main \d{4}-\d\d-\d\d \d\d:\d\d robot: an old 你好 line\n/);
    robot.say('a live line');
    const m = await client.output(/\[#main\] robot: a live line\n/);
    expect(m[0]).not.toContain('[history');
    client.child.stdin.end();
    expect(await client.exitCode()).toBe(0);
    expect(client.stdout.match(/an old 你好 line/g)).toHaveLength(2); // the history line and the result, each once
  });
});
