/**
 * The built `chat-server` binary, run as a child process the way a person or a service manager
 * runs it, and talked to with the bot API.
 */
import { execSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ServerMessage } from '../../src/protocol/index.js';

const BIN = 'bin/chat-server.js';

beforeAll(() => {
  if (!existsSync('dist/server/cli.js')) execSync('npm run build', { stdio: 'ignore' });
});

/** The environment without CHAT_* variables, which the binary would read as flags. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHAT_')));
}

/** Run the binary to completion (for flags that never start a server). */
function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: cleanEnv(), timeout: 15_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  port: number;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Wait until stderr (the log) matches. */
  waitForLog(pattern: RegExp): Promise<void>;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcessWithoutNullStreams>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

/** Wait until the text collected from `stream` matches `pattern`; rejects if the stream ends first. */
function waitFor(stream: NodeJS.ReadableStream, collected: () => string, pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const match = pattern.exec(collected());
      if (!match) return false;
      cleanup();
      resolve(match);
      return true;
    };
    const onEnd = (): void => {
      if (check()) return;
      cleanup();
      reject(new Error(`output ended without ${pattern}: ${collected()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${collected()}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      stream.off('data', check);
      stream.off('end', onEnd);
    };
    if (check()) return;
    // Listeners added after the collector's, so `collected()` already holds the new chunk.
    stream.on('data', check);
    stream.on('end', onEnd);
  });
}

async function startBinary(...extra: string[]): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--host', '127.0.0.1', ...extra], { env: cleanEnv() });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const [, host, port] = await waitFor(child.stdout, () => out, /listening on (\S+):(\d+)/);
  expect(host).toBe('127.0.0.1');
  return {
    child,
    port: Number(port),
    stderr: () => err,
    waitForLog: async (pattern) => {
      await waitFor(child.stderr, () => err, pattern);
    },
    exited,
  };
}

describe('chat-server start', () => {
  it('prints where it listens, and two bots chat through it', async () => {
    const server = await startBinary('--name', 'bin-test', '--motd', 'hello from the binary');
    const alice = await connect({ host: '127.0.0.1', port: server.port, name: 'alice' });
    expect(alice.welcome).toMatchObject({ server: 'bin-test', motd: 'hello from the binary', you: 'alice' });
    const bob = await connect({ host: '127.0.0.1', port: server.port, name: 'bob' });

    const heard = bob.waitFor('message', (m) => m.from === 'alice');
    alice.say('hi bob');
    expect(await heard).toMatchObject({ text: 'hi bob', room: '#main' });

    const whispered = alice.waitFor('private');
    bob.msg('alice', 'hi alice');
    expect(await whispered).toMatchObject({ from: 'bob', to: 'alice', text: 'hi alice' });

    expect((await alice.who()).users.sort()).toEqual(['alice', 'bob']);
    await alice.close();
    await bob.close();
  });

  it('logs logfmt lines on stderr with connect, login and logout events', async () => {
    const server = await startBinary();
    const alice = await connect({ host: '127.0.0.1', port: server.port, name: 'alice' });
    await alice.logout();
    await server.waitForLog(/event=logout/);

    const lines = server.stderr().trimEnd().split('\n');
    const logfmt = /^(?:[\w.-]+=(?:"(?:[^"\\]|\\.)*"|[^\s"=]+)(?: |$))+$/;
    for (const line of lines) expect(line).toMatch(logfmt);
    const events = lines.map((l) => /(?:^| )event=(\S+)/.exec(l)?.[1]);
    expect(events).toEqual(expect.arrayContaining(['connect', 'login', 'logout']));
    expect(lines.find((l) => l.includes('event=login'))).toMatch(/ name=alice( |$)/);
    expect(lines.every((l) => /^ts=\S+ level=(error|warn|info|debug) event=/.test(l))).toBe(true);
  });

  it('on SIGTERM sends every client a notice and bye "shutdown", then exits 0', async () => {
    const server = await startBinary();
    const alice = await connect({ host: '127.0.0.1', port: server.port, name: 'alice' });
    const seen: ServerMessage[] = [];
    alice.on('message', (m) => seen.push(m));

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(await alice.closed()).toBeUndefined();
    const types = seen.map((m) => m.type);
    expect(types).toEqual(expect.arrayContaining(['notice', 'bye']));
    expect(types.indexOf('notice')).toBeLessThan(types.indexOf('bye'));
    expect(seen.find((m) => m.type === 'bye')).toEqual({ type: 'bye', reason: 'shutdown' });
  });
});

describe('chat-server usage', () => {
  it('--help lists the flags and examples and exits 0', () => {
    const { status, stdout } = run('start', '--help');
    expect(status).toBe(0);
    for (const flag of ['--host', '--port', '--text-port', '--tls-port', '--password', '--motd', '--max-frame', '--max-sendq', '--rate', '--log-level']) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toMatch(/Examples:\n\s+chat-server start/);
  });

  it('prints the same help without the command word', () => {
    const { status, stdout } = run('--help');
    expect(status).toBe(0);
    expect(stdout).toContain('--port');
  });

  it('says in one line on stderr that a port is in use, and exits 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { status, stderr, stdout } = run('start', '--host', '127.0.0.1', '--port', String(port));
      expect(status).toBe(1);
      expect(stderr.trimEnd().split('\n')).toEqual([`chat-server: cannot listen: 127.0.0.1:${port} is already in use (is another server running?)`]);
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(stdout).toBe('');
    } finally {
      blocker.close();
    }
  });

  it.each([
    ['a port that is not a number', ['--port', 'abc'], /--port/],
    ['a port above 65535', ['--port', '70000'], /--port must be a port number/],
    ['a max-frame below 64', ['--max-frame', '10'], /--max-frame/],
    ['a negative rate', ['--rate', '-1'], /--rate/],
    ['a log level that does not exist', ['--log-level', 'chatty'], /log-level/],
    ['an unknown flag', ['--colour', 'blue'], /Unknown argument/],
  ])('refuses %s with a message and exit code 2', (_what, args, message) => {
    const { status, stderr } = run('start', ...args);
    expect(status).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
