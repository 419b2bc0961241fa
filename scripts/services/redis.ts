/**
 * A throwaway Redis for one test file or one bench target: redis-server on a free port on
 * 127.0.0.1 only, its working directory a temp directory, no persistence (no RDB, no AOF) unless
 * asked, stopped and deleted by stop(). halt() and resume() stop it and start it again on the same port, for fault tests.
 * .ci/run installs `redis-server` when it is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './port.js';

export interface TestRedis {
  port: number;
  url: string;
  /** The redis-server process now (a new one after resume()), for the bench's CPU readings. */
  readonly pid: number;
  /** Stop it (SIGKILL: as a crash) and delete its directory. */
  stop(): Promise<void>;
  /** Stop it, keeping its directory. */
  halt(): Promise<void>;
  /** Start it again on the same port after halt(). */
  resume(): Promise<void>;
}

/** Resolves once a PING over a raw socket gets +PONG; bounded to 10 s. */
async function ready(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited at start-up:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.setTimeout(500, () => (s.destroy(), resolve(false)));
      s.once('error', () => resolve(false));
      s.once('connect', () => s.write('PING\r\n'));
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer within 10 s:\n${log()}`);
}

export async function startRedis({ persist = false }: { persist?: boolean } = {}): Promise<TestRedis> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const killOnExit = (): void => void child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  async function start(): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', root, '--save', '', '--appendonly', persist ? 'yes' : 'no'];
    output = '';
    const c = spawn('redis-server', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8000);
    };
    c.stdout!.on('data', keep);
    c.stderr!.on('data', keep);
    c.once('error', (err) => {
      output += String(err);
    });
    await ready(port, c, () => output);
  }

  async function halt(): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    await exited;
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? -1;
    },
    halt,
    resume: start,
    async stop() {
      await halt();
      process.removeListener('exit', killOnExit);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
