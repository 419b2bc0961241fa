/**
 * @module
 * WAL checkpoints off the event loop. With SQLite's automatic checkpoint, the commit that pushes
 * the WAL past 1000 pages copies them all into the database file before it returns, and the
 * event loop waits for it (docs/PERFORMANCE.md has the numbers). The server's connection runs
 * with `wal_autocheckpoint=0` instead, and this worker thread holds a second connection to the
 * same file that runs `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs`: a passive checkpoint
 * never takes the writer's lock, so commits go on while it copies. Once every frame is copied,
 * the next commit starts the WAL again from its beginning, so the file stays at its working size.
 *
 * Under writes that never pause, a passive checkpoint may never find the WAL fully copied at the
 * moment a commit starts, so the WAL never starts again and grows; when it holds more than
 * `truncatePages` frames after a passive pass, the
 * worker runs `wal_checkpoint(TRUNCATE)`, which holds off writers (the server's connection waits
 * in its busy handler) for the copy of what the passive pass left, a few milliseconds, and
 * empties the file. That bounds the WAL.
 *
 * The worker owns its connection and nothing else; it posts each pass's result for stats and
 * tests. stop() sets a flag the worker waits on, so it ends between two passes and closes its
 * connection; `stopped` resolves when the thread has exited.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread, Worker, workerData, parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface CheckpointOptions {
  /** Time between two passive checkpoints. */
  intervalMs?: number;
  /** WAL frames left after a passive pass above which the worker truncates the WAL. */
  truncatePages?: number;
}

export interface CheckpointPass {
  mode: 'passive' | 'truncate';
  /** SQLite's result: the checkpoint could not finish (a writer or reader was in the way). */
  busy: boolean;
  /** Frames in the WAL, and how many of them are in the database file now. */
  walFrames: number;
  checkpointed: number;
}

const DEFAULTS = { intervalMs: 200, truncatePages: 4096 };
const ROLE = 'framechat-checkpointer';
/** Passive passes at most before a TRUNCATE, and the frames a pass may leave to call it caught up. */
const CATCH_UP_PASSES = 8;
const CAUGHT_UP_FRAMES = 64;

interface Setup {
  role: typeof ROLE;
  file: string;
  intervalMs: number;
  truncatePages: number;
  /** Int32 flag: 0 runs, 1 stops. */
  stop: SharedArrayBuffer;
}

export class Checkpointer {
  /** Passes done so far, and how many of them truncated the WAL. */
  passes = 0;
  truncates = 0;
  /** Passes that failed (the disk full, say); the worker goes on. */
  failures = 0;
  last: CheckpointPass | undefined;
  /** Resolves when the worker thread has exited (its connection closed). */
  readonly stopped: Promise<void>;
  /** The worker's exit code once it has exited: 0 when it stopped on its own. */
  exitCode: number | undefined;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private failure: Error | undefined;

  constructor(file: string, options: CheckpointOptions = {}) {
    const setup: Setup = {
      role: ROLE,
      file,
      intervalMs: options.intervalMs ?? DEFAULTS.intervalMs,
      truncatePages: options.truncatePages ?? DEFAULTS.truncatePages,
      stop: this.flag.buffer as SharedArrayBuffer,
    };
    this.worker = startWorker(import.meta.url, setup);
    // Never what keeps the process alive: a server that exits stops it anyway.
    this.worker.unref();
    this.worker.on('message', (pass: CheckpointPass | { error: string }) => {
      if ('error' in pass) {
        this.failures++;
        return;
      }
      this.passes++;
      if (pass.mode === 'truncate') this.truncates++;
      this.last = pass;
    });
    this.stopped = new Promise((resolve) => {
      this.worker.on('error', (err) => (this.failure = err));
      this.worker.on('exit', (code) => {
        this.exitCode = code;
        resolve();
      });
    });
  }

  /** The worker's failure, if it died (a checkpoint error); the WAL then grows until a restart. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Ask the worker to stop after its current pass; `stopped` says when it has. */
  stop(): Promise<void> {
    // Held open until it has closed its connection, so a process that exits next waits for it.
    this.worker.ref();
    Atomics.store(this.flag, 0, 1);
    Atomics.notify(this.flag, 0);
    return this.stopped;
  }
}

/**
 * A worker thread running the module at `self` (its import.meta.url) with `workerData`. Built, the
 * module is a .js file the worker loads as it is. Run from source (tests, tsx), the worker registers
 * the TypeScript loader first: Node 20 does not pass `--import tsx` on to it.
 */
export function startWorker(self: string, workerData: unknown): Worker {
  return self.endsWith('.ts')
    ? new Worker(
        `import(${JSON.stringify(tsxLoader(self))})
          .then((tsx) => { tsx.register(); return import(${JSON.stringify(self)}); })`,
        { eval: true, workerData },
      )
    : new Worker(new URL(self), { workerData });
}

/** tsx's ESM API as a file URL (its `require` entry would register a loader that is not there). */
function tsxLoader(from: string): string {
  return pathToFileURL(
    createRequire(from)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
}

/** The worker's side: passes until the stop flag is set. */
function runWorker(setup: Setup): void {
  const flag = new Int32Array(setup.stop);
  const running = (): boolean => Atomics.load(flag, 0) === 0;
  // The busy timeout only matters to TRUNCATE, which waits for the server's commit in progress.
  const db = new Database(setup.file, { timeout: 2000 });
  const checkpoint = (mode: 'PASSIVE' | 'TRUNCATE'): CheckpointPass => {
    const r = (db.pragma(`wal_checkpoint(${mode})`) as { busy: number; log: number; checkpointed: number }[])[0]!;
    return { mode: mode === 'PASSIVE' ? 'passive' : 'truncate', busy: r.busy !== 0, walFrames: r.log, checkpointed: r.checkpointed };
  };
  const pass = (): CheckpointPass => {
    let result = checkpoint('PASSIVE');
    if (result.walFrames <= setup.truncatePages) return result;
    // Catch up first, without blocking anyone: each passive pass copies what came during the one
    // before, so the TRUNCATE that holds writers off has only the last few frames to copy.
    for (let i = 0; i < CATCH_UP_PASSES && running(); i++) {
      const before = result.walFrames;
      result = checkpoint('PASSIVE');
      if (result.walFrames - before <= CAUGHT_UP_FRAMES) break;
    }
    return running() ? checkpoint('TRUNCATE') : result;
  };
  try {
    db.pragma('wal_autocheckpoint = 0');
    while (running()) {
      try {
        parentPort!.postMessage(pass());
      } catch (err) {
        // A full disk or an I/O error: the WAL keeps what the file could not take; try again.
        parentPort!.postMessage({ error: String((err as Error)?.message ?? err) });
      }
      Atomics.wait(flag, 0, 0, setup.intervalMs);
    }
  } finally {
    db.close();
  }
}

if (!isMainThread && (workerData as Setup | undefined)?.role === ROLE) runWorker(workerData as Setup);
