/**
 * The built `chat-server` binary as a child process, the way a person or a service manager runs
 * it: `node bin/chat-server.js start --host 127.0.0.1 --port 0 ...args`. The one way tests start it.
 * - startServerBinary(): resolves once it prints its listening line; every process started is
 *   SIGKILLed after the test, so tests need no cleanup of their own.
 * - runServerBinary(): runs it to completion, for flags that never start a server.
 * - waitForText(): waits until a stream's text matches, bounded; the one wait under all of these.
 * The environment is the test's own without CHAT_* variables (which the binary reads as flags),
 * plus what `env` adds. dist/ is built first if it is missing.
 */
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built client's entry point (dist/ is built first if it is missing, as for the server). */
export const CLIENT_BIN = fileURLToPath(new URL('../../bin/chat-client.js', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/chat-server.js', import.meta.url));
const TIMEOUT_MS = 15_000;

beforeAll(() => {
  if (!existsSync(fileURLToPath(new URL('../../dist/server/cli.js', import.meta.url))))
    execSync('npm run build', { cwd: ROOT, stdio: 'ignore' });
}, 120_000);

export interface ServerBinaryOptions {
  /** Environment variables to set, e.g. { CHAT_PASSWORD: '...' }. */
  env?: Record<string, string>;
  /** Written to its stdin (a pipe, then closed); without it, stdin is empty. */
  input?: string;
}

export interface ServerBinary {
  child: ChildProcess;
  /** The host and port from its listening line. */
  host: string;
  port: number;
  /** From "TLS port N" in the listening line. */
  tlsPort: number | undefined;
  stdout(): string;
  /** Its log. */
  stderr(): string;
  /** Everything on stdout and stderr, in the order it arrived. */
  output(): string;
  waitForStdout(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Wait until stderr (the log) matches. */
  waitForLog(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Its exit code (null after a signal), once it has exited and its output is all read. */
  exited: Promise<number | null>;
  /** Kill it as a crash would (SIGKILL: no goodbye to the clients) and wait until it is gone. */
  crash(): Promise<void>;
}

const running = new Set<ServerBinary>();
const dataDirs: string[] = [];
afterEach(async () => {
  await Promise.all([...running].map((s) => s.crash()));
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh data directory, removed after the test. */
export function tempDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'framechat-data-'));
  dataDirs.push(dir);
  return dir;
}

/**
 * Wait until the text of `stream` matches `pattern`. `text` gives the text collected so far (by a
 * 'data' listener added before this one); without it, only what arrives from now on counts.
 * Rejects, with the text, when the stream ends first or after `timeoutMs`.
 */
export function waitForText(
  stream: Readable,
  pattern: RegExp,
  { text, timeoutMs = TIMEOUT_MS }: { text?: () => string; timeoutMs?: number } = {},
): Promise<RegExpMatchArray> {
  let own = '';
  const collected = text ?? ((): string => own);
  return new Promise((resolve, reject) => {
    const check = (chunk?: Buffer | string): boolean => {
      if (!text && chunk !== undefined) own += chunk.toString();
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
    if (stream.readableEnded) return onEnd();
    stream.on('data', check);
    stream.on('end', onEnd);
  });
}

function spawnBinary(args: string[], opts: ServerBinaryOptions) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHAT_')));
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  // An empty pipe, ended at once, reads as /dev/null does.
  child.stdin.end(opts.input ?? '');
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (t: string) => {
    stdout += t;
    output += t;
  });
  child.stderr.on('data', (t: string) => {
    stderr += t;
    output += t;
  });
  // 'close', not 'exit': by then all of its output has been read.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code: number | null) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr, output: () => output };
}

/** The value of a flag the caller gave (`--port 5005` or `--port=5005`), if any. */
function flag(args: string[], names: string[]): string | undefined {
  let value: string | undefined;
  args.forEach((a, i) => {
    for (const name of names) {
      if (a === name) value = args[i + 1];
      else if (a.startsWith(`${name}=`)) value = a.slice(name.length + 1);
    }
  });
  return value;
}

/**
 * `chat-server start --host 127.0.0.1 --port 0 --data-dir <fresh> ...args`; resolves once it is listening. `args` may
 * give --host or --port instead (yargs would make a repeated flag an array, so the default is left out).
 */
export async function startServerBinary(args: string[] = [], opts: ServerBinaryOptions = {}): Promise<ServerBinary> {
  const givenHost = flag(args, ['--host']);
  const host = givenHost ?? '127.0.0.1';
  const defaults = [
    ...(givenHost === undefined ? ['--host', host] : []),
    ...(flag(args, ['--port', '-p']) === undefined ? ['--port', '0'] : []),
  ];
  // Each server its own store unless the test chose one: the store's file is locked by its server.
  if (flag(args, ['--data-dir']) === undefined && !args.includes('--no-store') && opts.env?.['CHAT_DATA_DIR'] === undefined)
    defaults.push('--data-dir', tempDataDir());
  const { child, exited, stdout, stderr, output } = spawnBinary(['start', ...defaults, ...args], opts);
  const crash = async (): Promise<void> => {
    running.delete(server);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const server: ServerBinary = {
    child,
    host,
    port: 0,
    tlsPort: undefined,
    stdout,
    stderr,
    output,
    waitForStdout: (pattern) => waitForText(child.stdout, pattern, { text: stdout }),
    waitForLog: (pattern) => waitForText(child.stderr, pattern, { text: stderr }),
    exited,
    crash,
  };
  running.add(server);

  let line: string;
  try {
    [line] = await waitForText(child.stdout, /listening on .*\n/, { text: stdout });
  } catch {
    await crash();
    throw new Error(`chat-server ${args.join(' ')} did not start (exit ${child.exitCode ?? child.signalCode}):\n${output()}`);
  }
  const [, listeningHost, port] = /listening on \[?([^\s\]]+)\]?:(\d+)/.exec(line)!;
  if (isIP(host) && listeningHost !== host) throw new Error(`chat-server was told --host ${host} but listens on ${listeningHost}: ${line}`);
  server.host = listeningHost!;
  server.port = Number(port);
  const tls = /TLS port (\d+)/.exec(line);
  server.tlsPort = tls ? Number(tls[1]) : undefined;
  return server;
}

/** `chat-server ...args` (exactly these) run to completion: for flags that never start a server. */
export async function runServerBinary(
  args: string[],
  opts: ServerBinaryOptions = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  // A `start` that fails must not meet another test's server on the default data directory (its
  // store is locked to one server): a fresh one through the environment, which a flag overrides.
  const { child, exited, stdout, stderr, output } = spawnBinary(args, { ...opts, env: { CHAT_DATA_DIR: tempDataDir(), ...opts.env } });
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  const status = await exited;
  clearTimeout(timer);
  if (child.signalCode === 'SIGKILL') throw new Error(`chat-server ${args.join(' ')} did not finish within ${TIMEOUT_MS} ms:\n${output()}`);
  return { status, stdout: stdout(), stderr: stderr() };
}
