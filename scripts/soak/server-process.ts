/**
 * The server under soak: the built binary (bin/chat-server.js → dist/) as a child process, the way
 * it runs in production. Its memory is read from outside, because the soak must not need hooks in
 * the server: RSS from /proc/PID/status, and the live heap from snapshots that Node writes on a
 * signal (heap.ts) into a temporary directory that is removed at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { heapSnapshot, SNAPSHOT_SIGNAL, type HeapFigures } from './heap.js';

const BIN = fileURLToPath(new URL('../../bin/chat-server.js', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/server/cli.js', import.meta.url));
/** Generous: a cluster soak starts nodes while the others and its bots keep the CPU busy. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

export class ServerProcess {
  /** stderr lines at level warn or error (the server runs with --log-level warn). */
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;
  private readonly startedAt = Date.now();
  private stopping = false;
  /** Set when the server exits before stop() asked it to: a crash, or a signal from elsewhere. */
  died: { code: number | null; signal: NodeJS.Signals | null; afterSeconds: number } | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly snapshotDir: string,
    readonly host: string,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        if (!this.stopping) this.died = { code, signal, afterSeconds: (Date.now() - this.startedAt) / 1000 };
        resolve();
      }),
    );
  }

  /** `port` 0 picks a free one; the same port and arguments again restart on the same store (the data directory). */
  static async start(extraArgs: string[] = [], port = 0): Promise<ServerProcess> {
    if (!existsSync(DIST)) throw new Error('dist/ is missing: run "npm run build" first (npm run soak does)');
    const snapshotDir = mkdtempSync(path.join(os.tmpdir(), 'framechat-soak-'));
    const node = [`--heapsnapshot-signal=${SNAPSHOT_SIGNAL}`, `--diagnostic-dir=${snapshotDir}`];
    const args = [
      ...node,
      BIN,
      'start',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--rate',
      '0',
      '--max-conns-per-ip',
      '0',
      '--log-level',
      'warn',
      ...extraArgs,
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const listening = await new Promise<{ host: string; port: number }>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`server did not say "listening on" within ${START_TIMEOUT_MS} ms: ${out}`)),
        START_TIMEOUT_MS,
      );
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (text: string) => {
        out += text;
        const m = /listening on (\[[^\]]+\]|[^\s:]+):(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) });
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code} before listening: ${out}`));
      });
    }).catch((err: unknown) => {
      child.kill('SIGKILL');
      rmSync(snapshotDir, { recursive: true, force: true });
      throw err;
    });
    const server = new ServerProcess(child, snapshotDir, listening.host, listening.port);
    // Never leave the server behind, even if the soak itself fails.
    process.once('exit', () => {
      if (server.alive) child.kill('SIGKILL');
      rmSync(snapshotDir, { recursive: true, force: true });
    });
    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (/level=error/.test(line)) server.errors.push(line);
        else if (line.trim() !== '') server.warnings.push(line);
      }
    });
    return server;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** Resident set size in bytes, or undefined where /proc is not available. */
  rss(): number | undefined {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** Live heap after a full GC (takes a heap snapshot: a second or so, and it raises RSS). */
  heap(): Promise<HeapFigures> {
    return heapSnapshot(this.pid, this.snapshotDir);
  }

  /** SIGKILL, as a crash would, and wait until it is gone (not a death: we asked for it). */
  async crash(): Promise<void> {
    this.stopping = true;
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
    rmSync(this.snapshotDir, { recursive: true, force: true });
  }

  /** SIGTERM, then wait for the exit; the server promises a clean exit 0 within a few seconds. */
  async stop(): Promise<Exit> {
    const started = Date.now();
    this.stopping = true;
    if (this.alive) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
    rmSync(this.snapshotDir, { recursive: true, force: true });
    return { code: this.exitInfo!.code, signal: this.exitInfo!.signal, ms: Date.now() - started };
  }
}
