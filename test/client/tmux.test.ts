/**
 * The built chat-client in a real terminal: tmux on a private socket, driven with send-keys and
 * read with capture-pane, against a real server on 127.0.0.1. What is asserted is what a person
 * would see in that terminal; a bot (the protocol module) stands in for a third person.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection, type ServerMessage } from '../../src/protocol/internal.js';
import { makeCerts, type Certs } from '../security/certs.js';
import { startServer } from '../helpers/server.js';
import { startServerBinary, CLIENT_BIN } from '../helpers/server-binary.js';
import { TmuxTerminal } from '../helpers/terminal.js';

function chatClient(args: string[], size: { cols?: number; rows?: number } = {}): Promise<TmuxTerminal> {
  return TmuxTerminal.start([process.execPath, CLIENT_BIN, ...args], size);
}

const bots: Connection[] = [];
afterEach(() => {
  for (const b of bots.splice(0)) b.destroy();
});

/** A bot on the server that records everything it receives. */
async function bot(port: number, name: string): Promise<Connection & { heard: ServerMessage[] }> {
  const conn = await connect({ host: '127.0.0.1', port, name });
  bots.push(conn);
  const heard: ServerMessage[] = [];
  conn.on('message', (m) => heard.push(m));
  return Object.assign(conn, { heard });
}

/** What `from` said that the bot heard, after a round trip so that everything sent before has arrived. */
async function said(listener: Connection & { heard: ServerMessage[] }, from: string): Promise<string[]> {
  await listener.ping();
  return listener.heard.flatMap((m) => (m.type === 'message' && m.from === from ? [m.text] : []));
}

/**
 * Cells a string takes in the terminal. The test states the widths itself rather than asking the
 * client's own width table: these CJK characters and this emoji are two cells wide in tmux.
 */
const WIDE = new Set([...'你好世界小明😀']);
const cells = (text: string): number => [...text].reduce((n, ch) => n + (WIDE.has(ch) ? 2 : 1), 0);
/** The cell column where `text` starts in a captured row, or -1. */
const columnOf = (row: string, text: string): number => (row.includes(text) ? cells(row.slice(0, row.indexOf(text))) : -1);

const rowWith = (screen: string[], pattern: RegExp): number => screen.findIndex((l) => pattern.test(l));
const isClean = (screen: string[], kept: number): boolean => screen.slice(kept).every((l) => l === '');

describe('chat-client in tmux', () => {
  it('lets two people in two terminals and a bot chat both ways', async () => {
    const { port } = await startServer();
    const robot = await bot(port, 'robot');
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${port}`], { cols: 100, rows: 20 });
    await alice.waitFor('Connected to test as alice');
    const bob = await chatClient(['--name', 'bob', `127.0.0.1:${port}`], { cols: 100, rows: 20 });
    await bob.waitFor('Connected to test as bob');
    await alice.waitFor('bob has joined #main');

    await alice.text('hello bob');
    await alice.waitFor((s) => s[19] === '#main> hello bob');
    await alice.keys('Enter');
    await bob.waitFor(/^\d\d:\d\d alice: hello bob +│/m);
    let screen = await alice.waitFor((s) => s[19] === '#main>' && s.some((l) => /^\d\d:\d\d alice: hello bob +│/.test(l)));
    expect(screen.join('\n')).not.toContain('(pending)');
    expect(screen[18]).toBe(` alice │ #main (3) │ 3 online │ connected │ 127.0.0.1:${port}`);

    await bob.text('hi alice and robot');
    await bob.keys('Enter');
    await alice.waitFor(/^\d\d:\d\d bob: hi alice and robot/m);
    robot.say('beep from the bot');
    screen = await bob.waitFor(/^\d\d:\d\d robot: beep from the bot/m);
    await alice.waitFor(/^\d\d:\d\d robot: beep from the bot/m);
    expect(rowWith(screen, /robot: beep/)).toBeGreaterThan(rowWith(screen, /bob: hi alice/));
    expect(screen[18]).toBe(` bob │ #main (3) │ 3 online │ connected │ 127.0.0.1:${port}`);
    // The user list at the side, sorted, at the same column as the pane's border.
    // Rows 1-16 are the pane (row 0 is the title line, 17 the window bar).
    expect(screen.slice(1, 5).map((l) => l.replace(/^.*│ ?/, ''))).toEqual(['#main (3)', 'alice', 'bob', 'robot']);
    expect(new Set(screen.slice(1, 17).map((l) => columnOf(l, '│'))).size).toBe(1);

    expect(await said(robot, 'alice')).toEqual(['hello bob']);
    expect(await said(robot, 'bob')).toEqual(['hi alice and robot']);
  });

  it('draws a CJK and emoji line in the right columns in the other terminal', async () => {
    const { port } = await startServer();
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${port}`], { cols: 90, rows: 12 });
    await alice.waitFor('Connected');
    const ming = await chatClient(['--name', '小明', `127.0.0.1:${port}`], { cols: 90, rows: 12 });
    await ming.waitFor('Connected to test as 小明');
    await alice.waitFor('小明 has joined #main');

    await ming.text('你好世界 😀 ok');
    await ming.waitFor((s) => s[11] === '#main> 你好世界 😀 ok');
    // "#main> " is 7 cells, 你好世界 8, a space, the emoji 2, " ok" 3: the cursor is after them.
    await ming.waitForCursor(7 + 8 + 1 + 2 + 3, 11);
    await ming.keys('Enter');

    const screen = await alice.waitFor(/小明: 你好世界 😀 ok/);
    const y = rowWith(screen, /小明: 你好世界/);
    // "HH:MM " is 6 cells, "小明: " 6: the text starts at 12, then 8 + 1 + 2 + 1 cells before "ok".
    expect(columnOf(screen[y]!, '小明')).toBe(6);
    expect(columnOf(screen[y]!, '你好世界')).toBe(12);
    expect(columnOf(screen[y]!, '😀')).toBe(21);
    expect(columnOf(screen[y]!, 'ok')).toBe(24);
    // The user list's border stands in one column on every pane row, the CJK row included.
    const borders = new Set(screen.slice(1, 9).map((l) => columnOf(l, '│')));
    expect([...borders]).toEqual([columnOf(screen[1]!, '│')]);
    expect(columnOf(screen[1]!, '│')).toBeGreaterThan(40);
    expect(screen.slice(1, 9).some((l) => l.endsWith('│ 小明'))).toBe(true);
    const own = await ming.waitFor(/^\d\d:\d\d 小明: 你好世界 😀 ok +│/m);
    expect(own[10]).toMatch(/^ 小明 │ #main \(2\) │ 2 online │ connected │/);
  });

  it('redraws at the new size when the terminal is resized, with nothing left of the old layout', async () => {
    const { port } = await startServer();
    const robot = await bot(port, 'robot');
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${port}`], { cols: 60, rows: 10 });
    await alice.waitFor('Connected');
    robot.say('a fairly long line of text that will need to wrap once the terminal gets narrow');
    await alice.waitFor('robot: a fairly long line');
    const status = ` alice │ #main (2) │ 2 online │ connected │ 127.0.0.1:${port}`;

    await alice.resize(100, 16);
    let screen = await alice.waitFor((s) => s[14] === status && s[15] === '#main>');
    // Exactly one status bar and one input line, at the new bottom; the old ones (rows 8, 9) are gone.
    expect(screen.filter((l) => l.includes(' alice │ #main'))).toHaveLength(1);
    expect(screen.filter((l) => l.startsWith('#main>'))).toHaveLength(1);
    expect(screen.filter((l) => l.includes('robot: a fairly long line'))).toHaveLength(1);
    expect(screen[12]).toMatch(/^\d\d:\d\d robot: a fairly long line of text that will need to wrap once the terminal gets narrow$/);
    // The status bar is painted (in inverse) right across the new width.
    expect((await alice.screen({ trailing: true }))[14]).toBe(status.padEnd(100));

    await alice.resize(40, 8);
    // (Until the client redraws, tmux shows the old rows cut to 40 columns: wait for the rewrap.)
    screen = await alice.waitFor((s) => s.includes('             the terminal gets narrow'));
    expect(screen.slice(6)).toEqual([status.slice(0, 40), '#main>']);
    expect((await alice.screen({ trailing: true }))[6]).toHaveLength(40);
    // The long line is rewrapped to 40 columns, continuation rows indented under its text.
    const at = rowWith(screen, /robot: a fairly long/);
    expect(screen.slice(at, at + 3)).toEqual([
      expect.stringMatching(/^\d\d:\d\d robot: a fairly long line of text$/),
      '             that will need to wrap once',
      '             the terminal gets narrow',
    ]);
    expect(screen.filter((l) => l.includes(' alice │ #main'))).toHaveLength(1);
  });

  it('edits the input line with the keys: history, completion, cursor movement and kills', async () => {
    const { port } = await startServer();
    const robot = await bot(port, 'robot');
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${port}`], { cols: 80, rows: 12 });
    await alice.waitFor('Connected');
    const input = (text: string): Promise<string[]> => alice.waitFor((s) => s[11] === `#main> ${text}`.trimEnd());

    await alice.text('first line');
    await alice.keys('Enter');
    await alice.text('second line');
    await alice.keys('Enter');
    await alice.waitFor(/alice: second line/);
    await input('');
    await alice.keys('Up');
    await input('second line');
    await alice.keys('Up');
    await input('first line');
    await alice.keys('Down');
    await input('second line');
    await alice.keys('C-u');
    await input('');

    // Home/End and Ctrl-A/Ctrl-E move the cursor; text goes in where it is.
    await alice.text('world');
    await alice.keys('Home');
    await alice.text('hello ');
    await alice.keys('End');
    await alice.text('!');
    await input('hello world!');
    await alice.keys('C-a');
    await alice.text('>');
    await alice.keys('C-e', 'Left');
    await alice.text('?');
    await input('>hello world?!');
    await alice.waitForCursor(7 + 13, 11);
    await alice.keys('End', 'C-w');
    await input('>hello ');
    await alice.keys('C-a', 'Right', 'C-k');
    await input('>');
    await alice.keys('C-u');
    await input('');

    // Word by word (Ctrl-arrows and Alt-B/F), Alt-Backspace, Ctrl-Y puts back, Ctrl-D deletes forward.
    await alice.text('one two three');
    await alice.keys('C-Left', 'M-b');
    await alice.text('[');
    await alice.keys('M-f');
    await alice.text(']');
    await input('one [two] three');
    await alice.keys('C-Right', 'M-BSpace');
    await input('one [two]');
    await alice.keys('C-y', 'C-a', 'C-d');
    await input('ne [two] three');
    await alice.keys('C-e', 'C-u');
    await input('');

    // Tab completes a name (with ": " at the start of the line) and a command.
    await alice.text('rob');
    await alice.keys('Tab');
    await input('robot:');
    await alice.text('ping');
    await alice.keys('Enter');
    await alice.waitFor(/alice: robot: ping/);
    await alice.text('/he');
    await alice.keys('Tab');
    await input('/help');
    await alice.keys('Enter');
    await alice.waitFor(/redraw · Ctrl-C quit/);
    await input('');

    expect(await said(robot, 'alice')).toEqual(['first line', 'second line', 'robot: ping']);
  });

  it('sends a pasted block as separate lines, and asks first when it has many', async () => {
    const { port } = await startServer();
    const robot = await bot(port, 'robot');
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${port}`], { cols: 80, rows: 16 });
    await alice.waitFor('Connected');

    await alice.paste('one\ntwo\nthree');
    await alice.waitFor(/alice: two(?! \(pending\))/); // echoed, not just shown as pending
    await alice.waitFor((s) => s[15] === '#main> three'); // no line break after it: still being edited
    await alice.keys('Enter');
    await alice.waitFor(/alice: three(?! \(pending\))/); // echoed, not just shown as pending

    await alice.paste(Array.from({ length: 8 }, (_, i) => `p${i + 1}`).join('\n') + '\n');
    await alice.waitFor('Send 8 pasted lines? (y/n)');
    expect(await said(robot, 'alice')).toEqual(['one', 'two', 'three']);
    await alice.text('y');
    await alice.waitFor(/alice: p8(?! \(pending\))/); // echoed, not just shown as pending
    await alice.paste(Array.from({ length: 6 }, (_, i) => `q${i + 1}`).join('\n') + '\n');
    await alice.waitFor('Send 6 pasted lines? (y/n)');
    await alice.keys('Escape');
    await alice.waitFor('Paste of 6 lines not sent');
    await alice.waitFor((s) => s[15] === '#main>');
    expect(await said(robot, 'alice')).toEqual(['one', 'two', 'three', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']);
  });

  it('scrolls with PgUp/PgDn, and Ctrl-L repaints over what another program wrote', async () => {
    const { port } = await startServer();
    const robot = await bot(port, 'robot');
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${port}`], { cols: 60, rows: 10 });
    await alice.waitFor('Connected');
    for (let i = 1; i <= 20; i++) robot.say(`line ${i}`);
    await alice.waitFor(/robot: line 20$/m);

    await alice.keys('PageUp');
    let screen = await alice.waitFor('▲ scrolled up (PgDn)');
    expect(screen.join('\n')).not.toContain('line 20');
    await alice.keys('PageDown', 'PageDown');
    screen = await alice.waitFor((s) => !s[8]!.includes('scrolled up'));
    expect(screen[6]).toMatch(/robot: line 20$/);
    await alice.keys('S-Up');
    await alice.waitFor('▲ scrolled up (PgDn)');
    await alice.keys('S-Down');
    await alice.waitFor((s) => !s[8]!.includes('scrolled up'));

    // F2 shows the user list (not shown at start-up on a terminal this narrow) and hides it again.
    await alice.keys('F2');
    await alice.waitFor((s) => s[1]!.endsWith('│ #main (2)') && s[2]!.endsWith('│ alice') && s[3]!.endsWith('│ robot'));
    await alice.keys('F2');
    screen = await alice.waitFor((s) => s.slice(1, 7).every((l) => !l.includes('│')));
    expect(screen[6]).toMatch(/robot: line 20$/);

    // Something else scribbles on the terminal (as `wall` or a stray background job would).
    writeFileSync(await alice.tty(), '\x1b[3;1HSCRIBBLE SCRIBBLE');
    await alice.waitFor('SCRIBBLE SCRIBBLE');
    await alice.keys('C-l');
    screen = await alice.waitFor((s) => !s.join('\n').includes('SCRIBBLE'));
    expect(screen[6]).toMatch(/robot: line 20$/);
    expect(screen[8]).toBe(` alice │ #main (2) │ 2 online │ connected │ 127.0.0.1:${port}`);
  });

  it.each<[string, (t: TmuxTerminal) => Promise<void>]>([
    [
      '/quit',
      async (t) => {
        await t.text('/quit');
        await t.keys('Enter');
      },
    ],
    ['Ctrl-C', (t) => t.keys('C-c')],
  ])('exits 0 on %s, logs out and gives the terminal back clean', async (_what, quit) => {
    const { port } = await startServer();
    const robot = await bot(port, 'robot');
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${port}`], { cols: 80, rows: 12 });
    await alice.waitFor('Connected');
    expect((await alice.modes()).alternateScreen).toBe(true);
    const left = robot.waitFor('left', (m) => m.name === 'alice');
    await quit(alice);
    const screen = await alice.waitFor('[exit 0]');
    expect(screen[0]).toBe('[exit 0]');
    expect(isClean(screen, 1)).toBe(true);
    expect(await alice.modes()).toEqual({ alternateScreen: false, mouse: false, cursorVisible: true });
    expect(await left).toMatchObject({ reason: 'logout' });
  });

  it('leaves the mouse to the terminal with --no-mouse, and reports it without', async () => {
    const { port } = await startServer();
    const alice = await chatClient(['--name', 'alice', `127.0.0.1:${port}`], { cols: 80, rows: 12 });
    await alice.waitFor('Connected');
    expect(await alice.modes()).toMatchObject({ alternateScreen: true, mouse: true });
    const bob = await chatClient(['--name', 'bob', '--no-mouse', `127.0.0.1:${port}`], { cols: 80, rows: 12 });
    await bob.waitFor('Connected');
    expect(await bob.modes()).toMatchObject({ alternateScreen: true, mouse: false });
  });

  it.each<[string, (port: number) => string[], RegExp, string[]]>([
    [
      'a name that is taken',
      (port) => ['--name', 'ROBOT', `127.0.0.1:${port}`],
      /^chat-client: 127\.0\.0\.1:\d+ refused the name "ROBOT": .+ \(choose another with --name\)$/,
      ['[exit 3]'],
    ],
    [
      'an unreachable server',
      () => ['--name', 'alice', '127.0.0.1:1'],
      /^chat-client: cannot connect to 127\.0\.0\.1:1: .*ECONNREFUSED/,
      ['[exit 1]'],
    ],
    [
      'a bad address',
      () => ['--name', 'alice', 'localhost:99999'],
      /^chat-client: bad address: bad port "99999"/,
      ['Try "chat-client --help".', '[exit 2]'],
    ],
  ])('refuses %s with one line and a non-zero exit, leaving the terminal clean', async (_what, args, message, rest) => {
    const { port } = await startServer();
    await bot(port, 'robot');
    const t = await chatClient(args(port), { cols: 160, rows: 10 });
    const screen = await t.waitFor(/\[exit \d+\]/);
    expect(screen.filter((l) => l !== '')).toEqual([expect.stringMatching(message), ...rest]);
    expect(isClean(screen, 1 + rest.length)).toBe(true);
    expect(await t.modes()).toEqual({ alternateScreen: false, mouse: false, cursorVisible: true });
  });
});

describe('chat-client in tmux across a server crash', () => {
  const stopped = new Set<number>();
  afterEach(() => {
    // A stopped client would not die with its tmux: always let it run again.
    for (const pid of stopped) process.kill(pid, 'SIGCONT');
    stopped.clear();
  });

  it('keeps a line typed while the server is down and delivers it once after the restart', async () => {
    // The built binary, so that it can be killed and started again on the same port.
    const first = await startServerBinary(['--name', 'test']);
    const port = first.port;
    const alice = await chatClient(['--name', 'alice', '--retry-max', '1', `127.0.0.1:${port}`], { cols: 100, rows: 12 });
    await alice.waitFor('Connected to test as alice');

    await first.crash();
    await alice.waitFor((s) => s[10]!.includes('DISCONNECTED, reconnecting'));
    await alice.text('typed while offline');
    await alice.keys('Enter');
    let screen = await alice.waitFor(/alice: typed while offline \(pending\)/);
    expect(screen[10]).toContain('1 pending');
    expect(screen[11]).toBe('#main>');

    // Hold the client still while the server comes back and a watcher logs in, so that the watcher
    // is there before the client's next attempt (SIGSTOP/SIGCONT, as a laptop lid would).
    const pid = await alice.commandPid();
    process.kill(pid, 'SIGSTOP');
    stopped.add(pid);
    await startServerBinary(['--port', String(port), '--name', 'test']);
    const watcher = await bot(port, 'watcher');
    const delivered = watcher.waitFor('message', (m) => m.from === 'alice', 15_000);
    process.kill(pid, 'SIGCONT');
    stopped.delete(pid);

    expect(await delivered).toMatchObject({ text: 'typed while offline', room: '#main' });
    // Connected again, and the echo has come back: the line is no longer pending.
    screen = await alice.waitFor(
      (s) => s[10]!.includes('│ connected') && s.join('\n').includes('Reconnected to test as alice') && !s.join('\n').includes('(pending)'),
    );
    expect(screen.filter((l) => /alice: typed while offline/.test(l))).toHaveLength(1);
    expect(screen[10]).toBe(` alice │ #main (2) │ 2 online │ connected │ 127.0.0.1:${port}`);

    // Exactly one copy reached the room: the next line from alice is the marker.
    const marker = watcher.waitFor('message', (m) => m.from === 'alice' && m.text === 'marker');
    await alice.text('marker');
    await alice.keys('Enter');
    await marker;
    expect(await said(watcher, 'alice')).toEqual(['typed while offline', 'marker']);
  }, 40_000);
});

describe('chat-client in tmux over TLS', () => {
  let certs: Certs;
  beforeAll(() => {
    certs = makeCerts();
  });
  afterAll(() => certs.remove());

  const tlsServer = (): ReturnType<typeof startServer> =>
    startServer({ tlsPort: 0, tlsCert: certs.selfSigned.cert, tlsKey: certs.selfSigned.key });

  it('warns on screen that --insecure does not check the certificate', async () => {
    const { tlsPort } = await tlsServer();
    const alice = await chatClient(['--name', 'alice', '--insecure', `chats://127.0.0.1:${tlsPort}`], { cols: 100, rows: 12 });
    const screen = await alice.waitFor('Connected to test as alice');
    const warning = rowWith(screen, /!! Warning: --insecure: the server certificate is not checked/);
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(warning).toBeLessThan(rowWith(screen, /Connected to test as alice/));
  });

  it('checks the certificate against --ca without a warning, and refuses an untrusted one', async () => {
    const { tlsPort } = await tlsServer();
    const trusted = await chatClient(['--name', 'alice', '--ca', certs.selfSigned.certFile, `chats://127.0.0.1:${tlsPort}`], {
      cols: 100,
      rows: 12,
    });
    const screen = await trusted.waitFor('Connected to test as alice');
    expect(screen.join('\n')).not.toContain('Warning');

    const untrusted = await chatClient(['--name', 'bob', '--tls', `127.0.0.1:${tlsPort}`], { cols: 160, rows: 10 });
    const refused = await untrusted.waitFor(/\[exit \d+\]/);
    expect(refused.filter((l) => l !== '')).toEqual([
      expect.stringMatching(/^chat-client: cannot connect to .*certificate.* \(.*give its CA with --ca FILE\)$/i),
      '[exit 1]',
    ]);
  });
});
