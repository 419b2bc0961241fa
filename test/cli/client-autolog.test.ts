/**
 * `chat-client --log-dir DIR`: the built binary in line mode against the built server, and the log
 * files it leaves (docs/CLIENT.md, "Log files"). Bots on the protocol API say things; the files are
 * read once the client has exited.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSafe } from '../../src/client/autolog.js';
import { EXIT } from '../../src/client/cli.js';
import { connect, type Connection } from '../../src/protocol/index.js';
import { startServerBinary, tempDataDir, waitForText, CLIENT_BIN } from '../helpers/server-binary.js';
import { TmuxTerminal } from '../helpers/terminal.js';
import { useOwned } from '../helpers/owned.js';

const { children, bots, tempDir: ownedDir } = useOwned();
const tempDir = (): string => ownedDir('logs');

/** `chat-client --line --no-config ...args`, stdin open until `end()`. */
function client(args: string[]) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHAT_')));
  const child = spawn(process.execPath, [CLIENT_BIN, '--line', '--no-config', ...args], {
    env: clean,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const status = new Promise<number | null>((resolve) => child.once('close', resolve));
  return {
    type: (line: string) => child.stdin.write(`${line}\n`),
    waitFor: (pattern: RegExp) => waitForText(child.stdout, pattern, { text: () => stdout }),
    stdout: () => stdout,
    end: async () => {
      child.stdin.end();
      return { status: await status, stdout, stderr };
    },
  };
}

async function bot(port: number, name: string, rooms = ['#main']): Promise<Connection> {
  const c = await connect({ host: '127.0.0.1', port, name, rooms });
  bots.add(c);
  return c;
}

const read = (file: string): string => readFileSync(file, 'utf8');
const STAMP = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`;
const count = (text: string, needle: string): number => text.split(needle).length - 1;

describe('chat-client --log-dir', () => {
  it('writes a room and a private conversation to their files, with full stamps, opened and closed', async () => {
    const server = await startServerBinary();
    const logs = tempDir();
    const bob = await bot(server.port, 'bob');
    const c = client(['--name', 'alice', '--log-dir', logs, `127.0.0.1:${server.port}`]);
    await c.waitFor(/Connected to/);
    bob.say('hello from bob');
    bob.msg('alice', 'psst, alice');
    await c.waitFor(/psst, alice/);
    c.type('hi all');
    await c.waitFor(/alice: hi all/);
    expect((await c.end()).status).toBe(EXIT.ok);

    const dir = path.join(logs, `127.0.0.1_${server.port}`);
    expect(readdirSync(dir).sort()).toEqual(['#main.log', 'bob.log']);
    const room = read(path.join(dir, '#main.log'));
    expect(room).toMatch(new RegExp(`^--- Log opened ${STAMP}\n`));
    expect(room).toMatch(new RegExp(`\n${STAMP} \\[\\d+\\] <bob> hello from bob\n${STAMP} \\[\\d+\\] <alice> hi all\n`));
    expect(room).toMatch(new RegExp(`\n--- Log closed ${STAMP}\n$`));
    const priv = read(path.join(dir, 'bob.log'));
    expect(priv).toMatch(new RegExp(`^--- Log opened ${STAMP}\n${STAMP} \\[\\d+\\] <bob> psst, alice\n--- Log closed ${STAMP}\n$`));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, '#main.log')).mode & 0o777).toBe(0o600);
  });

  it('logs the history once: not again after a server restart, a reconnect or a new client', async () => {
    const data = tempDataDir();
    let server = await startServerBinary(['--data-dir', data]);
    const port = server.port;
    const logs = tempDir();
    const bob = await bot(port, 'bob');
    for (const n of [1, 2, 3]) bob.say(`before ${n}`);
    await bob.look('#main'); // the three are stored
    bob.destroy();

    const first = client(['--name', 'alice', '--retry-max', '0.2', '--log-dir', logs, `127.0.0.1:${port}`]);
    await first.waitFor(/before 3/);
    await server.crash();
    await first.waitFor(/Reconnecting/);
    server = await startServerBinary(['--data-dir', data, '--port', String(port)]);
    await first.waitFor(/Reconnected to/);
    const again = await bot(port, 'bob');
    again.say('after the restart');
    await first.waitFor(/after the restart/);
    expect((await first.end()).status).toBe(EXIT.ok);

    // A new client: the same history on join, and it is in the log already.
    const second = client(['--name', 'alice', '--log-dir', logs, `127.0.0.1:${port}`]);
    await second.waitFor(/after the restart/);
    again.say('second run');
    await second.waitFor(/second run/);
    expect((await second.end()).status).toBe(EXIT.ok);

    const log = read(path.join(logs, `127.0.0.1_${port}`, '#main.log'));
    for (const line of ['<bob> before 1', '<bob> before 2', '<bob> before 3', '<bob> after the restart', '<bob> second run'])
      expect(count(log, line), line).toBe(1);
    expect(log.indexOf('before 3')).toBeLessThan(log.indexOf('after the restart'));
    expect(log.indexOf('after the restart')).toBeLessThan(log.indexOf('second run'));
    expect(count(log, '--- Log opened')).toBe(2);
    expect(count(log, '--- Log closed')).toBe(2);
  }, 60_000);

  it('gives rooms and names that are not safe file names safe, distinct files', async () => {
    const server = await startServerBinary();
    const logs = tempDir();
    const c = client(['--name', 'alice', '--room', '#A.b', '--log-dir', logs, `127.0.0.1:${server.port}`]);
    await c.waitFor(/Connected to/);
    const dots = await bot(server.port, '..', ['#A.b']);
    const zh = await bot(server.port, '张伟', ['#A.b']);
    dots.say('dots here');
    dots.msg('alice', 'from dots');
    zh.msg('alice', '你好');
    await c.waitFor(/你好/);
    await c.waitFor(/from dots/);
    expect((await c.end()).status).toBe(EXIT.ok);

    const dir = path.join(logs, `127.0.0.1_${server.port}`);
    expect(readdirSync(logs)).toEqual([`127.0.0.1_${server.port}`]);
    expect(readdirSync(dir).sort()).toEqual(['#a.b.log', '%2E%2E.log', '张伟.log'].sort());
    expect(read(path.join(dir, '#a.b.log'))).toMatch(/\[\d+\] <\.\.> dots here\n/);
    expect(read(path.join(dir, '%2E%2E.log'))).toMatch(/\[\d+\] <\.\.> from dots\n/);
    expect(read(path.join(dir, '张伟.log'))).toMatch(/\[\d+\] <张伟> 你好\n/);
  });

  it('maps any name to one file part inside its folder, one-to-one', () => {
    expect(fileSafe('#a.b', true)).toBe('#a.b');
    expect(fileSafe('..')).toBe('%2E%2E');
    expect(fileSafe('../etc/passwd')).toBe('%2E%2E%2Fetc%2Fpasswd');
    expect(fileSafe('a\\b:c')).toBe('a%5Cb%3Ac');
    expect(fileSafe('a.')).toBe('a%2E');
    expect(fileSafe('#x')).toBe('%23x');
    expect(fileSafe('50%')).toBe('50%25');
    expect(fileSafe('con')).toBe('co%6E');
    expect(fileSafe('')).toBe('%');
    expect(fileSafe('中文名字')).toBe('中文名字');
    // Distinct names stay distinct, and every part is a plain name of bounded length.
    const names = ['a.b', 'a%2Eb', 'a..b', 'a.%2Eb', '.', '%', '%25', 'x'.repeat(300), 'x'.repeat(299) + 'y', '/', '\\'];
    const parts = names.map((n) => fileSafe(n));
    expect(new Set(parts).size).toBe(names.length);
    for (const p of parts) {
      expect(p).not.toMatch(/[/\\:]|^\.|\.$|\.\./);
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(200);
    }
  });

  it("takes the config file's log_dir when no --log-dir is given", async () => {
    const server = await startServerBinary();
    const logs = tempDir();
    const config = path.join(tempDir(), 'config.toml');
    writeFileSync(config, `log_dir = "${logs}"\n`);
    const bob = await bot(server.port, 'bob');
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHAT_')));
    const child = spawn(process.execPath, [CLIENT_BIN, '--line', '--config', config, '--name', 'alice', `127.0.0.1:${server.port}`], {
      env: clean,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await waitForText(child.stdout, /Connected to/, { text: () => out });
    bob.say('configured');
    await waitForText(child.stdout, /configured/, { text: () => out });
    child.stdin.end();
    expect(await new Promise((resolve) => child.once('close', resolve))).toBe(EXIT.ok);
    expect(read(path.join(logs, `127.0.0.1_${server.port}`, '#main.log'))).toMatch(/\[\d+\] <bob> configured\n/);
  });

  it('refuses a log folder it cannot write in one line, exit 2', async () => {
    const file = path.join(tempDir(), 'not-a-folder');
    writeFileSync(file, '');
    const c = client(['--name', 'alice', '--log-dir', file, '127.0.0.1:1']);
    const { status, stdout, stderr } = await c.end();
    expect(stderr.trimEnd().split('\n')).toEqual([`chat-client: --log-dir ${file}: not a directory`]);
    expect(status).toBe(EXIT.usage);
    expect(stdout).toBe('');
  });

  it('says once in the server window when a log cannot be written, and chats on', async () => {
    const server = await startServerBinary();
    const logs = tempDir();
    // Where the server's folder should be, a file: every log under it fails.
    writeFileSync(path.join(logs, `127.0.0.1_${server.port}`), '');
    const bob = await bot(server.port, 'bob');
    const c = client(['--name', 'alice', '--log-dir', logs, `127.0.0.1:${server.port}`]);
    await c.waitFor(/Cannot write the log/);
    bob.say('still here');
    bob.say('and here');
    await c.waitFor(/and here/);
    const { status, stdout } = await c.end();
    expect(status).toBe(EXIT.ok);
    expect(count(stdout, 'Cannot write the log')).toBe(1);
  });

  it('logs from the full screen too, and closes the file on /quit', async () => {
    const server = await startServerBinary();
    const logs = tempDir();
    const bob = await bot(server.port, 'bob');
    const t = await TmuxTerminal.start([
      process.execPath,
      CLIENT_BIN,
      '--no-config',
      '--name',
      'alice',
      '--log-dir',
      logs,
      `127.0.0.1:${server.port}`,
    ]);
    await t.waitFor('Connected to');
    bob.say('on the screen');
    await t.waitFor('on the screen');
    await t.text('/quit');
    await t.keys('Enter');
    const file = path.join(logs, `127.0.0.1_${server.port}`, '#main.log');
    // Bounded wait for the client to finish writing (not a timing assertion).
    for (let i = 0; i < 100 && !(existsSync(file) && read(file).includes('--- Log closed')); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(read(file)).toMatch(new RegExp(`\\[\\d+\\] <bob> on the screen\n--- Log closed ${STAMP}\n$`));
  });
});
