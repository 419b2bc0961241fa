/**
 * Checkpoint stalls (not run in tests): `node --import tsx scripts/bench/checkpoint.ts [turns] [truncatePages]`.
 * Sustained writes, one commit per event-loop turn of `BATCH` messages, as the server commits,
 * first with SQLite's automatic checkpoint ('auto'), then with the checkpoint worker ('worker'),
 * in the same run on the same machine. Prints per mode the commit time percentiles (the time
 * the event loop is held by commit()), the event loop's delay (perf_hooks histogram), the
 * largest WAL seen and messages/s. Writes to a temporary directory and removes it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openSqliteStore } from '../../src/server/store/sqlite.js';

const TURNS = Number(process.argv[2] ?? 20_000);
const BATCH = 20;
/** The worker's TRUNCATE threshold in pages (checkpoint.ts's default when not given). */
const TRUNCATE_PAGES = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-checkpoint-bench-'));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

const filler = 'the quick brown fox jumps over the lazy dog and keeps on running'.split(' ');

async function run(mode: 'auto' | 'worker'): Promise<void> {
  const file = path.join(dir, `${mode}.sqlite`);
  const store = openSqliteStore(file, {
    checkpoint: mode,
    ...(TRUNCATE_PAGES === undefined ? {} : { checkpointOptions: { truncatePages: TRUNCATE_PAGES } }),
  });
  const commits: number[] = [];
  let walMax = 0;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  for (let turn = 0; turn < TURNS; turn++) {
    for (let i = 0; i < BATCH; i++) {
      const words = Array.from({ length: 12 }, (_, k) => filler[(turn * 7 + i * 3 + k) % filler.length]);
      store.append({
        kind: 'room',
        id: store.ids.next(),
        ts: Date.now(),
        room: `#room${(turn + i) % 50}`,
        from: `user${i}`,
        text: `${words.join(' ')} ${turn}`,
      });
    }
    const t = performance.now();
    store.commit();
    commits.push(performance.now() - t);
    if (turn % 100 === 0) walMax = Math.max(walMax, store.walBytes());
    await new Promise((r) => setImmediate(r));
  }
  const seconds = (performance.now() - started) / 1000;
  delay.disable();
  store.close();
  await store.checkpointer?.stopped;
  commits.sort((a, b) => a - b);
  const ms = (n: number): string => `${n.toFixed(2)} ms`;
  console.log(
    `${mode.padEnd(6)} commit p50 ${ms(percentile(commits, 50))}, p99 ${ms(percentile(commits, 99))}, ` +
      `p99.9 ${ms(percentile(commits, 99.9))}, max ${ms(commits[commits.length - 1]!)}; ` +
      `loop delay p99 ${ms(delay.percentile(99) / 1e6)}, max ${ms(delay.max / 1e6)}; ` +
      `WAL max ${(walMax / 1024 / 1024).toFixed(1)} MB; ${Math.round((TURNS * BATCH) / seconds)} messages/s` +
      (store.checkpointer ? `; ${store.checkpointer.passes} worker passes, ${store.checkpointer.truncates} truncating` : ''),
  );
}

try {
  console.log(`${TURNS} turns of ${BATCH} messages, one commit per turn`);
  await run('auto');
  await run('worker');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
