/**
 * The full screen as a person sees it: the real client (ChatApp + Tui, blessed) drawing into an
 * in-process xterm, talking to a real server over 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import { ChatApp } from '../../src/client/app.js';
import { nameColour } from '../../src/client/format.js';
import { TerminalScreen } from '../../src/client/tui/screen.js';
import { runTui } from '../../src/client/tui/tui.js';
import { RawClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';
import { VirtualTerminal } from '../helpers/terminal.js';
import { afterEach } from 'vitest';

const open: { app: ChatApp; finished: Promise<number> }[] = [];
afterEach(async () => {
  for (const { app, finished } of open.splice(0)) {
    app.quit();
    await finished;
  }
});

/** Start the client as the binary does (log in, then the full screen), in a virtual terminal. */
async function client(
  port: number,
  name: string,
  vt: VirtualTerminal,
  room?: string,
  opts: { countRefreshMs?: number; mouse?: boolean } = {},
): Promise<{ app: ChatApp; finished: Promise<number> }> {
  const app = new ChatApp({
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    name,
    backoff: { baseMs: 50, capMs: 200 },
    ...(room ? { room } : {}),
    ...(opts.countRefreshMs === undefined ? {} : { countRefreshMs: opts.countRefreshMs }),
  });
  await app.start();
  const finished = runTui(app, { input: vt.input, output: vt.output, ...(opts.mouse === undefined ? {} : { mouse: opts.mouse }) });
  open.push({ app, finished });
  return { app, finished };
}

const rowWith = (screen: string[], text: string): number => screen.findIndex((l) => l.includes(text));

describe('the full screen', () => {
  it('shows messages with names, the status bar, and clears the input after Enter', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(100, 20);
    await client(port, 'alice', vt);
    const bob = await RawClient.login(port, 'bob');
    await vt.waitFor('bob has joined #main');

    vt.type('hello bob');
    let screen = await vt.waitFor((s) => s[19]!.includes('hello bob'));
    expect(screen[19]).toBe('#main> hello bob');
    vt.type('\r');
    expect(await bob.next('message')).toMatchObject({ from: 'alice', text: 'hello bob' });
    screen = await vt.waitFor(/^\d\d:\d\d alice: hello bob +│/m); // not "(pending)" any more
    expect(screen[19]).toBe('#main>');
    expect(screen[18]).toBe(` alice │ #main (2) │ 2 online │ connected │ 127.0.0.1:${port}`);

    bob.send({ type: 'say', text: 'hi alice' });
    screen = await vt.waitFor(/\d\d:\d\d bob: hi alice/);
    expect(rowWith(screen, 'bob: hi alice')).toBeGreaterThan(rowWith(screen, 'alice: hello bob'));
  });

  it('draws a CJK line and emoji in the right columns', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(80, 12);
    await client(port, 'alice', vt);
    const ming = await RawClient.login(port, '小明');
    ming.send({ type: 'say', text: '你好世界 😀 ok' });
    const screen = await vt.waitFor('小明: 你好世界');
    const y = rowWith(screen, '小明: 你好世界');
    // "HH:MM " is 6 cells, "小明" 4, ": " 2: the text starts at 12; 你好世界 is 8 cells, then a space.
    expect(await vt.columnOf('小明', y)).toBe(6);
    expect(await vt.columnOf('你好世界', y)).toBe(12);
    expect(await vt.columnOf('😀', y)).toBe(21);
    expect(await vt.columnOf('ok', y)).toBe(24);
    expect((await vt.cell(12, y)).width).toBe(2);
    // The user list's border stands in the same column on every pane row (1-8, under the title line), CJK or not.
    const borders = [];
    for (let row = 1; row < 9; row++) borders.push(await vt.columnOf('│', row));
    expect(new Set(borders).size).toBe(1);
    expect(borders[0]).toBeGreaterThan(30);
    expect(screen[10]).toMatch(/^ alice │ #main \(2\) │ 2 online │ connected │ 127\.0\.0\.1:\d+$/);
  });

  it('measures CJK and emoji in the input line, so the cursor sits after them', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(60, 10);
    await client(port, 'alice', vt);
    await vt.waitFor('Connected');
    vt.type('你好😀!');
    await vt.waitFor((s) => s[9] === '#main> 你好😀!');
    await vt.waitForCursor(7 + 4 + 2 + 1, 9);
    vt.type('\x1b[D\x1b[D'); // Left twice: before the emoji
    await vt.waitForCursor(7 + 4, 9);
  });

  it('scrolls back with PgUp, marks new lines below, and returns with PgDn', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(60, 10);
    await client(port, 'alice', vt);
    const bob = await RawClient.login(port, 'bob');
    for (let i = 1; i <= 30; i++) bob.send({ type: 'say', text: `line ${i}` });
    await vt.waitFor('bob: line 30');
    vt.type('\x1b[5~'); // PgUp
    let screen = await vt.waitFor('scrolled up');
    expect(screen.some((l) => l.includes('bob: line 30'))).toBe(false);
    // The pane is 6 rows (10 less the title line, the window bar, the status and input lines): a page is 5.
    expect(screen.some((l) => l.includes('bob: line 25'))).toBe(true);
    expect(screen.some((l) => l.includes('bob: line 26'))).toBe(false);
    bob.send({ type: 'say', text: 'line 31' });
    screen = await vt.waitFor('1 new below');
    expect(screen.some((l) => l.includes('line 31'))).toBe(false);
    vt.type('\x1b[6~'); // PgDn: a page down, and the next page is the end
    vt.type('\x1b[6~');
    screen = await vt.waitFor('bob: line 31');
    expect(screen[8]).not.toMatch(/scrolled up|new below/);
  });

  it('scrolls with the mouse wheel', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(60, 10);
    await client(port, 'alice', vt);
    const bob = await RawClient.login(port, 'bob');
    for (let i = 1; i <= 20; i++) bob.send({ type: 'say', text: `line ${i}` });
    await vt.waitFor('bob: line 20');
    vt.type('\x1b[<64;10;5M'); // wheel up
    await vt.waitFor('scrolled up');
    vt.type('\x1b[<65;10;5M'); // wheel down
    await vt.waitFor((s) => !s[8]!.includes('scrolled up'));
  });

  it('redraws everything at the new size when the terminal is resized', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(100, 12);
    await client(port, 'alice', vt);
    const bob = await RawClient.login(port, 'bob');
    bob.send({ type: 'say', text: 'a fairly long line of text that will need to wrap once the terminal gets narrow' });
    await vt.waitFor('bob: a fairly long');
    vt.resize(40, 8);
    // The pane rewrapped to 40 columns: the long line now takes three rows, indented under its text.
    const screen = await vt.waitFor((s) => s.includes('           the terminal gets narrow'));
    const at = rowWith(screen, 'bob: a fairly long');
    expect(screen[at]).toMatch(/^\d\d:\d\d bob: a fairly long line of text$/);
    expect(screen[at + 1]).toBe('           that will need to wrap once');
    expect(screen[6]).toBe(' alice │ #main (2) │ 2 online │ connecte');
    expect(screen[7]).toBe('#main>');
    expect(screen.every((l) => !l.includes('│ #main (2)') || l.startsWith(' alice'))).toBe(true); // no room for the user list
  });

  it('keeps what is typed while disconnected, shows it pending, and delivers it once after reconnecting', async () => {
    const first = await startServer();
    const vt = new VirtualTerminal(100, 12);
    await client(first.port, 'alice', vt, '#ops');
    // hello.rooms starts the client in #ops: it never passes through #main.
    await vt.waitFor(/Connected to test as alice\. #ops/);
    await first.stop();
    await vt.waitFor('DISCONNECTED, reconnecting');
    vt.type('written while offline');
    vt.type('\r');
    await vt.waitFor(/alice: written while offline \(pending\)/);
    const offline = await vt.screen();
    // No counts of people while nothing keeps them up to date; the list is kept, dimmed.
    expect(offline[10]).toMatch(/^ DISCONNECTED, reconnecting.* │ alice │ #ops │ 1 pending │ 127\.0\.0\.1:\d+$/);
    expect(offline[1]).toMatch(/│ #ops$/);
    expect((await vt.cell(await vt.columnOf('alice', 2), 2)).fg).toBe(244);

    const second = await startServer({ port: first.port });
    const watcher = await RawClient.login(second.port, 'watcher');
    watcher.send({ type: 'join', room: '#ops' });
    await watcher.next('room');
    const screen = await vt.waitFor(
      (s) => s.some((l) => /\d\d:\d\d alice: written while offline$/.test(l.replace(/ *│.*$/, ''))) && s[10]!.includes('connected'),
    );
    expect(screen.join('\n')).not.toContain('(pending)');
    expect(screen.join('\n')).toContain('Reconnected to test as alice');
    expect(screen[10]).toContain('#ops');
    expect(screen.filter((l) => l.includes('written while offline'))).toHaveLength(1);
    // Exactly one copy reached the room: the watcher has it once, then our marker. (alice may be
    // back before the watcher is in #ops: then her line comes in the history of the join, not live.)
    const got = await watcher.heard((m) => m.from === 'alice');
    expect(got).toMatchObject({ text: 'written while offline', room: '#ops' });
    vt.type('marker');
    vt.type('\r');
    await watcher.next('message', (m) => m.from === 'alice' && m.text === 'marker');
    expect(watcher.chat().filter((m) => m.from === 'alice')).toMatchObject([{ text: 'written while offline' }, { text: 'marker' }]);
  });

  it('walks the history, completes names, and edits with Ctrl keys', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(80, 10);
    await client(port, 'alice', vt);
    const bob = await RawClient.login(port, 'bobby');
    await vt.waitFor('bobby has joined');
    vt.type('first line');
    vt.type('\r');
    await vt.waitFor('alice: first line');
    vt.type('\x1b[A'); // Up
    await vt.waitFor((s) => s[9] === '#main> first line');
    vt.type('\x15'); // Ctrl-U
    await vt.waitFor((s) => s[9] === '#main>');
    vt.type('bo');
    vt.type('\t');
    await vt.waitFor((s) => s[9] === '#main> bobby:');
    vt.type('hi there friend');
    vt.type('\x17'); // Ctrl-W
    await vt.waitFor((s) => s[9] === '#main> bobby: hi there');
    vt.type('\x01'); // Ctrl-A
    vt.type('>');
    vt.type('\x05'); // Ctrl-E
    vt.type('!');
    await vt.waitFor((s) => s[9] === '#main> >bobby: hi there !');
    vt.type('\r');
    expect(await bob.next('message')).toMatchObject({ text: 'first line' });
    expect(await bob.next('message')).toMatchObject({ text: '>bobby: hi there !' });
  });

  it('completes the names of people present and of private partners, not of people who left', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(80, 10);
    await client(port, 'alice', vt);
    const carl = await RawClient.login(port, 'carl');
    carl.send({ type: 'say', text: 'bye all' });
    await vt.waitFor('carl: bye all');
    carl.send({ type: 'logout' });
    await vt.waitFor('carl has left');
    const dave = await RawClient.login(port, 'dave');
    dave.send({ type: 'join', room: '#elsewhere' });
    await dave.next('room');
    dave.send({ type: 'msg', to: 'alice', text: 'psst' });
    await vt.waitFor('[3:dave!]'); // the private message opened a window, marked, without taking the focus
    vt.type('ca');
    vt.type('\t');
    vt.type('!');
    await vt.waitFor((s) => s[9] === '#main> ca!'); // Tab offered nothing
    vt.type('\x15'); // Ctrl-U
    vt.type('da');
    vt.type('\t');
    await vt.waitFor((s) => s[9] === '#main> dave:');
  });

  it('answers an unknown command locally and never sends it', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(80, 10);
    await client(port, 'alice', vt);
    const bob = await RawClient.login(port, 'bob');
    await vt.waitFor('bob has joined');
    vt.type('/frobnicate now');
    vt.type('\r');
    await vt.waitFor('!! Unknown command: /frobnicate');
    vt.type('/me waves');
    vt.type('\r');
    expect(await bob.next('message')).toMatchObject({ text: 'waves', action: true });
    await vt.waitFor('* alice waves');
  });

  it('sends a pasted block line by line, and asks first when it is long', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(80, 16);
    await client(port, 'alice', vt);
    const bob = await RawClient.login(port, 'bob');
    await vt.waitFor('bob has joined');
    vt.type('\x1b[200~one\ntwo\nthree\x1b[201~');
    await vt.waitFor((s) => s[15] === '#main> three');
    expect((await bob.next('message')).text).toBe('one');
    expect((await bob.next('message')).text).toBe('two');
    vt.type('\r');
    expect((await bob.next('message')).text).toBe('three');

    vt.type(Array.from({ length: 8 }, (_, i) => `p${i + 1}`).join('\n') + '\n'); // an unbracketed paste
    await vt.waitFor('Send 8 pasted lines? (y/n)');
    vt.type('y');
    for (let i = 1; i <= 8; i++) expect((await bob.next('message')).text).toBe(`p${i}`);
    await vt.waitFor('alice: p8');
  });

  it('types a tab in pasted text as a space, so the input line and its cursor stay in place', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(80, 10);
    await client(port, 'alice', vt);
    const bob = await RawClient.login(port, 'bob');
    await vt.waitFor('bob has joined');
    vt.type('\x1b[200~col1\tcol2\tcol3\x1b[201~');
    await vt.waitFor((s) => s[9] === '#main> col1 col2 col3');
    await vt.waitForCursor(7 + 14, 9);
    vt.type('\x07x\u0085'); // typed control characters (BEL, C1 NEL) take no place either
    await vt.waitFor((s) => s[9] === '#main> col1 col2 col3x');
    await vt.waitForCursor(7 + 15, 9);
    vt.type('\r');
    expect(await bob.next('message')).toMatchObject({ text: 'col1 col2 col3x' });
    await vt.waitFor(/alice: col1 col2 col3x/);
    expect((await vt.screen())[9]).toBe('#main>');
  });

  it('never sends a control character in a frame to the terminal', async () => {
    const vt = new VirtualTerminal(20, 3);
    const screen = new TerminalScreen(vt.input, vt.output, { input: () => undefined, resize: () => undefined });
    try {
      const row = (text: string) => [{ text, style: {} }];
      screen.paint({ rows: [row('a\tb\x1b[1mc\u0085d'), row('e\u0301f'), row('end')], cursor: { x: 0, y: 2 } });
      const shown = await vt.waitFor((s) => s[2] === 'end');
      expect(shown[0]).toBe('ab[1mcd');
      expect(shown[1]).toBe('e\u0301f'); // a combining mark still rides with its letter
      expect(await vt.columnOf('cd', 0)).toBe(5);
      expect((await vt.cell(5, 0)).bold).toBe(false);
    } finally {
      screen.destroy();
    }
  });

  it('sets mentions apart and dims system lines', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(80, 10);
    await client(port, 'alice', vt);
    const bob = await RawClient.login(port, 'bob');
    bob.send({ type: 'say', text: 'ping alice' });
    bob.send({ type: 'say', text: 'plain words' });
    const screen = await vt.waitFor('bob: plain words');
    const mention = rowWith(screen, 'ping alice');
    const plain = rowWith(screen, 'plain words');
    const joined = rowWith(screen, 'bob has joined');
    const textCol = await vt.columnOf('ping alice', mention);
    expect((await vt.cell(textCol, mention)).bold).toBe(true);
    expect((await vt.cell(await vt.columnOf('plain', plain), plain)).bold).toBe(false);
    expect((await vt.cell(await vt.columnOf('plain', plain), plain)).fgDefault).toBe(true);
    expect((await vt.cell(await vt.columnOf('bob has', joined), joined)).fgDefault).toBe(false);
  });

  it('draws names in their own colours and system lines grey, each its own colour in the 256-colour palette', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(80, 10);
    await client(port, 'alice', vt);
    const bob = await RawClient.login(port, 'bob');
    bob.send({ type: 'say', text: 'ping alice' });
    const screen = await vt.waitFor('bob: ping alice');
    const said = rowWith(screen, 'bob: ping alice');
    const joined = rowWith(screen, 'bob has joined');
    // The palette index of an exact xterm-256 colour cube entry (all name colours are such entries).
    const cube = (hex: string): number => {
      const level = (at: number): number => [0x00, 0x5f, 0x87, 0xaf, 0xd7, 0xff].indexOf(parseInt(hex.slice(at, at + 2), 16));
      return 16 + 36 * level(1) + 6 * level(3) + level(5);
    };
    expect((await vt.cell(await vt.columnOf('bob:', said), said)).fg).toBe(cube(nameColour('bob')));
    expect((await vt.cell(await vt.columnOf('ping alice', said), said)).fg).toBe(cube('#ffd700')); // the mention yellow
    expect((await vt.cell(await vt.columnOf('bob has', joined), joined)).fg).toBe(244); // #808080 on the grey ramp
  });

  it('toggles the user list with F2 and /users', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(100, 10);
    await client(port, 'alice', vt);
    const listed = (s: string[]): boolean => s[1]!.endsWith('│ #main (1)') && s[2]!.endsWith('│ alice');
    await vt.waitFor(listed);
    vt.type('\x1bOQ'); // F2
    await vt.waitFor((s) => !listed(s) && s.slice(1, 7).every((l) => !l.includes('│')));
    vt.type('/users');
    vt.type('\r');
    await vt.waitFor(listed);
  });

  it('says so when F2 or /users cannot show the user list for want of room', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(45, 10);
    await client(port, 'alice', vt);
    await vt.waitFor('Connected');
    const told = (s: string[]): number => s.join('\n').split('-- Too narrow for the user list; /look\n         lists the room').length - 1;
    vt.type('\x1bOQ'); // F2
    await vt.waitFor((s) => told(s) === 1);
    vt.type('/users');
    vt.type('\r');
    const screen = await vt.waitFor((s) => told(s) === 2);
    expect(screen.slice(1, 7).every((l) => !l.includes('│'))).toBe(true);
    vt.resize(100, 10); // asked for, so shown once there is room
    await vt.waitFor((s) => s[1]!.endsWith('│ #main (1)'));
  });

  it('quits on Ctrl-C, logs out and gives the terminal back', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(80, 10);
    const { finished } = await client(port, 'alice', vt);
    const bob = await RawClient.login(port, 'bob');
    await vt.waitFor('bob has joined');
    expect(vt.term.buffer.active.type).toBe('alternate');
    vt.type('\x03');
    expect(await finished).toBe(0);
    expect(await bob.next('left')).toMatchObject({ name: 'alice', reason: 'logout' });
    await vt.screen();
    expect(vt.term.buffer.active.type).toBe('normal');
  });

  it('puts a /msg the server refused after a reconnect back in the input line, to send again', async () => {
    const first = await startServer();
    const vt = new VirtualTerminal(100, 12);
    await client(first.port, 'alice', vt);
    await vt.waitFor('Connected');
    await first.stop();
    await vt.waitFor('DISCONNECTED, reconnecting');
    vt.type('/msg bob hi there');
    vt.type('\r');
    await vt.waitFor(/-> \*bob\* hi there \(pending\)/);
    const second = await startServer({ port: first.port });
    // bob is not back yet: the server refuses the private line, and it is not lost.
    let screen = await vt.waitFor('Not sent: /msg bob hi there');
    expect(screen.join('\n')).toMatch(/!! No user named "bob" is online\. Not sent: \/msg bob hi there/);
    expect(screen.join('\n')).toContain('-- It is back in the input line: Enter sends it again');
    expect(screen[11]).toBe('#main> /msg bob hi there');
    expect(screen.join('\n')).not.toContain('(pending)');
    const bob = await RawClient.login(second.port, 'bob');
    vt.type('\r');
    expect(await bob.next('private')).toMatchObject({ from: 'alice', text: 'hi there' });
    // Delivered: it is in bob's window, opened for the conversation.
    screen = await vt.waitFor((s) => s[9]!.includes('[3:bob]') && s[11] === '#main>');
    expect(screen.join('\n')).not.toContain('(pending)');
    vt.type('\x1b3'); // Alt-3
    await vt.waitFor(/-> \*bob\* hi there/);
  });

  it('keeps "N online" in the status bar live as people come and go, in other rooms too', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(100, 12);
    await client(port, 'alice', vt, undefined, { countRefreshMs: 100 });
    const status =
      (n: number) =>
      (s: string[]): boolean =>
        s[10]!.includes(`│ ${n} online │`);
    await vt.waitFor(status(1));
    const bob = await RawClient.login(port, 'bob');
    await vt.waitFor(status(2));
    const carol = await RawClient.login(port, 'carol');
    await vt.waitFor(status(3));
    carol.send({ type: 'join', room: '#ops' });
    await carol.next('room');
    const dave = await RawClient.login(port, 'dave');
    dave.send({ type: 'join', room: '#ops' });
    await dave.next('room');
    await vt.waitFor(status(4));
    // carol leaves from #ops: nothing about it reaches #main, the count still goes down.
    carol.close();
    await vt.waitFor(status(3));
    bob.close();
    await vt.waitFor(status(2));
    dave.close();
    const screen = await vt.waitFor(status(1));
    expect(screen.join('\n')).not.toContain('Online ('); // the refreshes print nothing
  });

  it('lists the links with /urls, each from column 0, and wraps a long link without the indent', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(44, 16);
    await client(port, 'alice', vt);
    const bob = await RawClient.login(port, 'bob');
    const long = 'https://example.org/a/rather/long/path/that/will/not/fit/on/one/row?q=1';
    bob.send({ type: 'say', text: `see ${long}, and https://x.test/b.` });
    let screen = await vt.waitFor('bob: see');
    const at = rowWith(screen, 'bob: see');
    // The link starts a row (under the text) and continues at column 0: no spaces inside it on screen.
    expect(screen.slice(at, at + 4)).toEqual([
      expect.stringMatching(/^\d\d:\d\d bob: see$/),
      '           https://example.org/a/rather/long',
      '/path/that/will/not/fit/on/one/row?q=1, and',
      '           https://x.test/b.',
    ]);
    vt.type('/urls');
    vt.type('\r');
    screen = await vt.waitFor('Links in the pane');
    const first = rowWith(screen, '1 https://');
    expect(screen[first]! + screen[first + 1]!).toBe(`1 ${long}`);
    expect(screen[first + 2]).toBe('2 https://x.test/b');
  });

  it('leaves the mouse to the terminal with mouse off (--no-mouse), and reports it by default', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(80, 10);
    await client(port, 'alice', vt);
    await vt.waitFor('Connected');
    expect(vt.term.modes.mouseTrackingMode).not.toBe('none');
    const quiet = new VirtualTerminal(80, 10);
    await client(port, 'bob', quiet, undefined, { mouse: false });
    await quiet.waitFor('Connected');
    expect(quiet.term.modes.mouseTrackingMode).toBe('none');
    expect(quiet.term.modes.bracketedPasteMode).toBe(true);
  });

  it('keeps /register and /passwd out of the input history and off the screen', async () => {
    const { port } = await startServer();
    const vt = new VirtualTerminal(80, 10);
    await client(port, 'alice', vt);
    await vt.waitFor('Connected');
    vt.type('said first');
    vt.type('\r');
    await vt.waitFor('alice: said first');
    vt.type('/register s3cretpw');
    await vt.waitFor((s) => s[9] === '#main> /register s3cretpw');
    vt.type('\r');
    await vt.waitFor('Asked the server to register alice');
    vt.type('/passwd s3cretpw n3wpw');
    vt.type('\r');
    await vt.waitFor('Asked the server to change your password');
    vt.type('\x1b[A'); // Up: the last line kept is the one said, not a password
    const screen = await vt.waitFor((s) => s[9] === '#main> said first');
    expect(screen.join('\n')).not.toMatch(/s3cretpw|n3wpw/);
    // Up again stays on it; the key typed after shows that Up was handled (the line was already there).
    vt.type('\x1b[A');
    vt.type('.');
    await vt.waitFor((s) => s[9] === '#main> said first.');
  });
});
