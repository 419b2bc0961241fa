/**
 * The built `chat-client` binary with a config file, as a person runs it: HOME and
 * XDG_CONFIG_HOME point at temporary folders, the server is a real one on 127.0.0.1, and what
 * the config asked for is checked from the server's side (a bot's `look`).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/client/cli.js';
import { connect, type Connection } from '../../src/protocol/index.js';
import { startServer } from '../helpers/server.js';
import { waitForText, CLIENT_BIN } from '../helpers/server-binary.js'; // also builds dist/ when it is missing
import { useOwned } from '../helpers/owned.js';

const { children, bots, tempDir: ownedDir } = useOwned();
const tempDir = (): string => ownedDir('home');

/** A HOME whose ~/.config/framechat/config.toml is `text`; returns HOME and the file's path. */
function homeWith(text: string): { HOME: string; file: string } {
  const HOME = tempDir();
  mkdirSync(path.join(HOME, '.config', 'framechat'), { recursive: true });
  const file = path.join(HOME, '.config', 'framechat', 'config.toml');
  writeFileSync(file, text);
  return { HOME, file };
}

/** `chat-client ...args` in line mode, stdin left open until `end()`. Environment: the test's without CHAT_*, HOME or XDG_CONFIG_HOME, plus `env`. */
function client(args: string[], env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CHAT_') && k !== 'HOME' && k !== 'XDG_CONFIG_HOME'),
  );
  const child = spawn(process.execPath, [CLIENT_BIN, ...args], { env: { ...clean, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const status = new Promise<number | null>((resolve) => child.once('close', resolve));
  return {
    waitFor: (pattern: RegExp) => waitForText(child.stdout, pattern, { text: () => stdout }),
    end: async () => {
      child.stdin.end();
      return { status: await status, stdout, stderr };
    },
  };
}

async function bot(port: number): Promise<Connection> {
  const c = await connect({ host: '127.0.0.1', port, name: 'watcher', rooms: ['#rust', '#go', '#lua'] });
  bots.add(c);
  return c;
}

describe('chat-client with a config file', () => {
  it('logs in with the name, to the server and into the rooms the default file gives', async () => {
    const { port } = await startServer();
    const { HOME } = homeWith(`server = "127.0.0.1:${port}"\nname = "alice"\nrooms = ["#rust", "#go"]\n`);
    const c = client([], { HOME });
    await c.waitFor(/Connected to test as alice\. #rust, #go/);
    const watcher = await bot(port);
    expect((await watcher.look('#rust')).users).toEqual(expect.arrayContaining(['alice']));
    expect((await watcher.look('#go')).users).toEqual(expect.arrayContaining(['alice']));
    expect((await watcher.look('#lua')).users).not.toContain('alice');
    expect((await c.end()).status).toBe(EXIT.ok);
  });

  it('reads $XDG_CONFIG_HOME/framechat/config.toml', async () => {
    const { port } = await startServer();
    const xdg = tempDir();
    mkdirSync(path.join(xdg, 'framechat'));
    writeFileSync(path.join(xdg, 'framechat', 'config.toml'), `server = "127.0.0.1:${port}"\nname = "xena"\nrooms = ["#lua"]\n`);
    const c = client([], { HOME: tempDir(), XDG_CONFIG_HOME: xdg });
    await c.waitFor(/Connected to test as xena\. #lua/);
    expect((await (await bot(port)).look('#lua')).users).toEqual(expect.arrayContaining(['xena']));
    expect((await c.end()).status).toBe(EXIT.ok);
  });

  it('lets the flags win: --name and --room over the file', async () => {
    const { port } = await startServer();
    const { HOME } = homeWith(`server = "127.0.0.1:${port}"\nname = "alice"\nrooms = ["#rust", "#go"]\n`);
    const c = client(['--name', 'bob', '--room', 'lua'], { HOME });
    await c.waitFor(/Connected to test as bob\. #lua\n/);
    const watcher = await bot(port);
    expect((await watcher.look('#lua')).users).toEqual(expect.arrayContaining(['bob']));
    expect((await watcher.look('#rust')).users).not.toContain('bob');
    expect((await watcher.who()).users).not.toContain('alice');
    expect((await c.end()).status).toBe(EXIT.ok);
  });

  it('reads --config FILE, and with --no-config none (not even a broken default)', async () => {
    const { port } = await startServer();
    const { HOME } = homeWith('this is = not [toml');
    const other = path.join(tempDir(), 'work.toml');
    writeFileSync(other, `server = "127.0.0.1:${port}"\nname = "worker"\n`);
    const c = client(['--config', other], { HOME });
    await c.waitFor(/Connected to test as worker\./);
    expect((await c.end()).status).toBe(EXIT.ok);
    const d = client(['--no-config', '--name', 'plain', `127.0.0.1:${port}`], { HOME });
    await d.waitFor(/Connected to test as plain\./);
    expect((await d.end()).status).toBe(EXIT.ok);
  });

  it('takes a missing default file as no settings', async () => {
    const { port } = await startServer();
    const c = client(['--name', 'nofile', `127.0.0.1:${port}`], { HOME: tempDir() });
    await c.waitFor(/Connected to test as nofile\./);
    expect((await c.end()).status).toBe(EXIT.ok);
  });

  it.each<[string, string, (file: string) => string]>([
    ['bad TOML', 'name = "alice"\nbell = yes\n', (f) => `chat-client: ${f}:2:8: invalid value (not valid TOML)`],
    [
      'an unknown key',
      '\n\nnick = "alice"\n',
      (f) => expect.stringMatching(new RegExp(`^chat-client: ${esc(f)}:3:1: unknown key "nick" \\(known keys: `)),
    ],
    ['a wrong type', 'seconds = "yes"\n', (f) => `chat-client: ${f}:1:1: seconds must be true or false, not "yes"`],
    ['a bad value', 'rooms = ["#ok", "not ok"]\n', (f) => `chat-client: ${f}:1:1: "not ok" is not a valid room name`],
  ])('refuses a file with %s in one line, exit 2', async (_what, text, expected) => {
    const { HOME, file } = homeWith(text);
    const { status, stdout, stderr } = await client(['--name', 'a', '127.0.0.1:1'], { HOME }).end();
    expect(stderr.trimEnd().split('\n')).toEqual([expected(file)]);
    expect(status).toBe(EXIT.usage);
    expect(stdout).toBe('');
  });

  it('refuses a --config FILE that does not exist, exit 2', async () => {
    const { status, stderr } = await client(['--config', 'no/such.toml', '--name', 'a', '127.0.0.1:1'], { HOME: tempDir() }).end();
    expect(stderr.trimEnd().split('\n')).toEqual(['chat-client: --config no/such.toml: no such file']);
    expect(status).toBe(EXIT.usage);
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
