/**
 * Line mode through the built binary: stdin and stdout are pipes, as in `echo hi | chat-client`.
 */
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChatApp } from '../../src/client/app.js';
import { prepareLine, runLineMode, splitText } from '../../src/client/line-mode.js';
import { RawClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';
import { ClientProcess } from '../helpers/terminal.js';

beforeAll(() => {
  if (!existsSync('dist/client/cli.js')) execSync('npm run build', { stdio: 'ignore' });
});

describe('chat-client in line mode', () => {
  it('delivers a piped line and exits 0 at the end of input', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const client = ClientProcess.start(['--name', 'bot', `127.0.0.1:${port}`]);
    client.child.stdin.end('hi\n');
    expect(await watcher.next('message')).toMatchObject({ from: 'bot', text: 'hi', room: '#main' });
    expect(await client.exitCode()).toBe(0);
    expect(client.stdout).toMatch(/^-- Connected to test as bot\. #main\n/);
    expect(client.stdout).toContain('\n[#main] bot: hi\n');
    expect(await watcher.next('left')).toMatchObject({ name: 'bot', reason: 'logout' });
  });

  it('delivers every line, in order, before exiting', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const client = ClientProcess.start(['--name', 'bot', `127.0.0.1:${port}`]);
    client.child.stdin.end(Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    expect(await client.exitCode()).toBe(0);
    for (let i = 1; i <= 30; i++) expect(await watcher.next('message')).toMatchObject({ text: `line ${i}` });
    expect(client.stdout.match(/^\[#main\] bot: line \d+$/gm)).toHaveLength(30);
  });

  it('runs slash commands read from stdin', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const client = ClientProcess.start(['--name', 'bot', `127.0.0.1:${port}`]);
    client.child.stdin.end('/me waves\n/msg watcher psst\n/who\n/rooms\n');
    expect(await watcher.next('message')).toMatchObject({ text: 'waves', action: true });
    expect(await watcher.next('private')).toMatchObject({ from: 'bot', to: 'watcher', text: 'psst' });
    expect(await client.exitCode()).toBe(0);
    expect(client.stdout).toContain('\n[#main] * bot waves\n');
    expect(client.stdout).toContain('\n-> *watcher* psst\n');
    expect(client.stdout).toContain('\n-- Online (2): bot, watcher\n');
    expect(client.stdout).toContain('\n-- Rooms: #main (2)\n');
  });

  it('prints what others say, one line per event, while input stays open', async () => {
    const { port } = await startServer();
    const client = ClientProcess.start(['--name', 'bot', `127.0.0.1:${port}`]);
    await client.output(/Connected/);
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'say', text: 'hello bot' });
    alice.send({ type: 'msg', to: 'bot', text: 'just you' });
    alice.send({ type: 'nick', name: 'alicia' });
    await client.output(/alice is now known as alicia\n/);
    alice.close();
    await client.output(/alicia has left #main \(disconnect\)\n/);
    client.child.stdin.end();
    expect(await client.exitCode()).toBe(0);
    expect(client.stdout.split('\n').slice(1, 6)).toEqual([
      // A room's lines name the room; a private line names itself.
      '[#main] -- alice has joined #main',
      '[#main] alice: hello bot',
      '*alice* just you',
      '[#main] -- alice is now known as alicia',
      '[#main] -- alicia has left #main (disconnect)',
    ]);
  });

  it('answers an unknown command locally, never sends it, and exits 1 for it', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const client = ClientProcess.start(['--name', 'bot', `127.0.0.1:${port}`]);
    client.child.stdin.end('/frobnicate\nafter\n');
    expect(await watcher.next('message')).toMatchObject({ text: 'after' });
    expect(await client.exitCode()).toBe(1);
    expect(client.stderr).toBe('chat-client: 1 line was refused\n');
    expect(client.stdout).toContain('!! Unknown command: /frobnicate (type /help for the list)\n');
    expect(watcher.messages.filter((m) => m.type === 'message')).toHaveLength(1);
  });

  it('starts in the room given with --room', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    watcher.send({ type: 'join', room: '#ops' });
    await watcher.next('room');
    const client = ClientProcess.start(['--name', 'bot', '--room', 'ops', `127.0.0.1:${port}`]);
    client.child.stdin.end('in ops\n');
    expect(await watcher.next('message')).toMatchObject({ text: 'in ops', room: '#ops' });
    expect(await client.exitCode()).toBe(0);
  });

  it('takes its name from CHAT_NAME', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const client = ClientProcess.start([`127.0.0.1:${port}`], { CHAT_NAME: 'envbot' });
    client.child.stdin.end('from env\n');
    expect(await watcher.next('message')).toMatchObject({ from: 'envbot', text: 'from env' });
    expect(await client.exitCode()).toBe(0);
  });

  it('quits on /quit without reading further', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const client = ClientProcess.start(['--name', 'bot', `127.0.0.1:${port}`]);
    client.child.stdin.write('/quit\n');
    expect(await client.exitCode()).toBe(0);
    expect(await watcher.next('left')).toMatchObject({ name: 'bot', reason: 'logout' });
  });

  it.each<[string, (port: number) => string[], number, RegExp]>([
    [
      'an unreachable server',
      () => ['--name', 'bot', '127.0.0.1:1'],
      1,
      /^chat-client: cannot connect to 127\.0\.0\.1:1: .*ECONNREFUSED.*\n$/,
    ],
    ['a bad address', () => ['--name', 'bot', 'localhost:99999'], 2, /^chat-client: bad address: bad port "99999"/],
    ['a bad name', (port) => ['--name', 'no spaces', `127.0.0.1:${port}`], 2, /^chat-client: "no spaces" is not a valid name/],
    ['an unknown flag', (port) => ['--nmae', 'x', `127.0.0.1:${port}`], 2, /^chat-client: Unknown argument/],
  ])('refuses %s with one line and a non-zero exit', async (_what, args, code, message) => {
    const { port } = await startServer();
    const client = ClientProcess.start(args(port));
    client.child.stdin.end('never sent\n');
    expect(await client.exitCode()).toBe(code);
    expect(client.stderr).toMatch(message);
    expect(client.stdout).toBe('');
  });

  it('refuses a name that is taken with one line and exit code 3', async () => {
    const { port } = await startServer();
    await RawClient.login(port, 'bot');
    const client = ClientProcess.start(['--name', 'BOT', `127.0.0.1:${port}`]);
    client.child.stdin.end('never sent\n');
    expect(await client.exitCode()).toBe(3);
    expect(client.stderr).toMatch(/^chat-client: 127\.0\.0\.1:\d+ refused the name "BOT": .*\(choose another with --name\)\n$/);
  });

  it('logs back in after the server restarts and delivers what was read meanwhile', async () => {
    const first = await startServer();
    const client = ClientProcess.start(['--name', 'bot', '--retry-max', '0.2', `127.0.0.1:${first.port}`]);
    await client.output(/Connected/);
    await first.stop();
    await client.output(/Disconnected: .*Reconnecting…\n/);
    client.child.stdin.write('while away\n');
    const second = await startServer({ port: first.port });
    const watcher = await RawClient.login(second.port, 'watcher');
    // (The bot may be back before the watcher: then its line comes in the history of the login, not live.)
    expect(await watcher.heard((m) => m.from === 'bot')).toMatchObject({ text: 'while away' });
    await client.output(/Reconnected to test as bot\. /);
    client.child.stdin.end();
    expect(await client.exitCode()).toBe(0);
    expect(client.stdout.match(/^\[#main\] bot: while away$/gm)).toHaveLength(1);
    await watcher.sync();
    expect(watcher.chat().filter((m) => m.from === 'bot')).toHaveLength(1);
  });
});

describe('preparing a piped line', () => {
  it.each<[string, string, string[]]>([
    ['keeps a short line', 'hello', ['hello']],
    ['strips escapes', '\x1b[32mok\x1b[0m', ['ok']],
    ['splits a long say after a space', `${'a'.repeat(3000)} ${'b'.repeat(3000)}`, ['a'.repeat(3000), 'b'.repeat(3000)]],
    ['keeps /me on every piece', `/me ${'é'.repeat(2100)}`, [`/me ${'é'.repeat(2048)}`, `/me ${'é'.repeat(52)}`]],
    ['keeps /msg NAME on every piece', `/msg bob ${'x'.repeat(5000)}`, [`/msg bob ${'x'.repeat(4096)}`, `/msg bob ${'x'.repeat(904)}`]],
    ['escapes a piece that starts with /', `//${'x'.repeat(4095)}/y`, [`//${'x'.repeat(4095)}`, '//y']],
    ['leaves other commands alone', `/nick ${'n'.repeat(5000)}`, [`/nick ${'n'.repeat(5000)}`]],
  ])('%s', (_what, line, lines) => {
    expect(prepareLine(line)).toEqual(lines);
  });

  it('never splits inside a character or a grapheme cluster', () => {
    const text = 'e\u0301'.repeat(1500); // 3 bytes each: é as e + combining acute
    const pieces = splitText(text);
    expect(pieces.join('')).toBe(text);
    for (const p of pieces) {
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(4096);
      expect(p.startsWith('\u0301')).toBe(false);
    }
  });
});

describe('chat-client in line mode, with lines it cannot send as they are', () => {
  it('splits a line over 4096 bytes between characters, delivers every piece, and exits 0', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const client = ClientProcess.start(['--name', 'bot', `127.0.0.1:${port}`]);
    const long = '👩‍💻'.repeat(500); // 11 bytes each (a ZWJ sequence): 5500 bytes, split only between them
    client.child.stdin.end(`${long}\n`);
    expect(await client.exitCode()).toBe(0);
    const pieces = [String((await watcher.next('message')).text), String((await watcher.next('message')).text)];
    expect(pieces.join('')).toBe(long);
    expect(pieces.map((p) => Buffer.byteLength(p))).toEqual([372 * 11, 128 * 11]); // 4092 bytes, then the rest
    expect(client.stderr).toBe('');
  });

  it('strips colour escapes from a piped line and says the rest', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const client = ClientProcess.start(['--name', 'bot', `127.0.0.1:${port}`]);
    client.child.stdin.end('\x1b[1;31mbuild failed\x1b[0m on \x1b]0;title\x07main\n');
    expect(await watcher.next('message')).toMatchObject({ text: 'build failed on main' });
    expect(await client.exitCode()).toBe(0);
  });

  it('exits 1 when the server refuses a line, and says what was not sent', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const client = ClientProcess.start(['--name', 'bot', `127.0.0.1:${port}`]);
    client.child.stdin.end('/msg nobody hi\nstill here\n');
    expect(await watcher.next('message')).toMatchObject({ text: 'still here' });
    expect(await client.exitCode()).toBe(1);
    expect(client.stdout).toContain('\n!! No user named "nobody" is online. Not sent: /msg nobody hi\n');
    expect(client.stderr).toBe('chat-client: 1 line was refused\n');
  });

  it('prints the answers in the order of the input, local ones too', async () => {
    const { port } = await startServer();
    await RawClient.login(port, 'watcher');
    const client = ClientProcess.start(['--name', 'bot', `127.0.0.1:${port}`]);
    client.child.stdin.end('/who\n/frobnicate\n/rooms\nhello\n/frobnicate again\n');
    expect(await client.exitCode()).toBe(1);
    const answers = client.stdout.split('\n').filter((l) => /^(-- Online|!! Unknown|-- Rooms|\[#main\] bot: hello)/.test(l));
    expect(answers).toEqual([
      '-- Online (2): bot, watcher',
      '!! Unknown command: /frobnicate (type /help for the list)',
      '-- Rooms: #main (2)',
      '[#main] bot: hello',
      '!! Unknown command: /frobnicate (type /help for the list)',
    ]);
    expect(client.stderr).toBe('chat-client: 2 lines were refused\n');
  });

  it('sends /quit MESSAGE as the reason of its logout', async () => {
    const { port, logs } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const client = ClientProcess.start(['--name', 'bot', `127.0.0.1:${port}`]);
    client.child.stdin.write('/quit gone for lunch\n');
    expect(await client.exitCode()).toBe(0);
    expect(await watcher.next('left')).toMatchObject({ name: 'bot', reason: 'logout' });
    expect(logs.some((l) => l.includes('event=logout') && l.includes('reason="gone for lunch"'))).toBe(true);
  });
});

/** Line mode in this process, as cli.ts runs it: feed it `lines`, end the input, collect what it printed. */
async function runLines(port: number, name: string, lines: string[]): Promise<{ code: number; out: string[] }> {
  const app = new ChatApp({ host: '127.0.0.1', port, address: `127.0.0.1:${port}`, name });
  await app.start();
  const input = new PassThrough();
  let out = '';
  const output = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      out += chunk.toString();
      done();
    },
  });
  const finished = runLineMode(app, input, output);
  input.end(lines.map((l) => `${l}\n`).join(''));
  const code = await finished;
  return { code, out: out.split('\n') };
}

describe('line mode commands', () => {
  it('lists the room with /users in the order /look uses, whatever the case', async () => {
    const { port } = await startServer();
    await RawClient.login(port, 'BOB');
    await RawClient.login(port, 'x');
    const { code, out } = await runLines(port, 'alice', ['/users']);
    expect(code).toBe(0);
    expect(out).toContain('-- #main (3): alice, BOB, x');
  });

  it('lists in /help only what works in line mode: no keys, no /clear', async () => {
    const { port } = await startServer();
    const { out } = await runLines(port, 'alice', ['/help', '/help clear', '/help users']);
    const help = out.filter((l) => l.startsWith('-- '));
    expect(help).toContain('-- Commands:');
    expect(help.some((l) => l.includes('/join ROOM'))).toBe(true);
    expect(help.some((l) => /^-- {3}\/users +list the people in this room$/.test(l))).toBe(true);
    expect(help.some((l) => /^-- {3}\/clear/.test(l))).toBe(false);
    expect(help.join('\n')).not.toMatch(/F2|PgUp|Ctrl-L|Tab complete/);
    expect(help).toContain('-- At the end of input the client waits until every line it sent is delivered, then quits.');
    expect(help).toContain('-- /clear  only on the full screen');
    expect(help).toContain('-- /users  list the people in this room');
  });

  it('says the rule for room names when /join is given a bad one', async () => {
    const { port } = await startServer();
    const { code, out } = await runLines(port, 'alice', ['/join bad room', `/join #${'r'.repeat(33)}`]);
    expect(code).toBe(1);
    const rule = 'a room name is "#" then 1-32 letters, digits, "_", "-" or ".", no spaces';
    expect(out).toContain(`!! Usage: /join ROOM: ${rule}`);
    expect(out).toContain(`!! "#${'r'.repeat(33)}" is not a valid room name: ${rule}`);
  });
});
