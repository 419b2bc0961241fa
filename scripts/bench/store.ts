/**
 * Store micro-benchmark (not run in tests): `node --import tsx scripts/bench/store.ts [messages]`.
 * Measures commit throughput with batches of 1, 10 and 100 messages, then fills the database to
 * `messages` (default 1 000 000) and measures latest(50) and search latency (p50/p99 of many
 * calls), 200 prune calls (a per-room cap), and the bytes on disk per message. Writes to a temporary directory and
 * removes it at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite.js';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const ROOMS = 200;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-store-bench-'));
const file = path.join(dir, 'bench.sqlite');

// A deterministic generator, so runs compare.
let seed = 12345;
function rand(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return (seed >>> 16) % n;
}
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'ze', 'qu', 'bar', 'fen', 'dor', 'lix'];
const VOCAB = Array.from({ length: 5000 }, () => {
  let w = '';
  for (let i = 0, n = 1 + rand(3); i < n; i++) w += SYLLABLES[rand(SYLLABLES.length)];
  return w;
});
const CJK = ['你好', '世界', '今天', '天气', '很好', 'こんにちは', '東京', '元気'];
function text(): string {
  const words: string[] = [];
  for (let i = 0, n = 3 + rand(12); i < n; i++) words.push(rand(20) === 0 ? CJK[rand(CJK.length)]! : VOCAB[rand(VOCAB.length)]!);
  return words.join(' ');
}

let appended = 0;
function append(store: SqliteStore, n: number): void {
  for (let i = 0; i < n; i++) {
    store.append({
      kind: 'room',
      id: store.ids.next(),
      ts: Date.now(),
      room: `#room${rand(ROOMS)}`,
      from: `user${rand(1000)}`,
      text: text(),
    });
  }
  appended += n;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function timeReads(label: string, calls: number, read: (i: number) => Promise<unknown>): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await read(i);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(
    `${label}: p50 ${percentile(ms, 50).toFixed(3)} ms, p99 ${percentile(ms, 99).toFixed(3)} ms, max ${ms[ms.length - 1]!.toFixed(3)} ms (${calls} calls)`,
  );
}

const store = openSqliteStore(file);
for (const [batch, messages] of [
  [1, 20_000],
  [10, 100_000],
  [100, 200_000],
] as const) {
  const t = performance.now();
  for (let done = 0; done < messages; done += batch) {
    append(store, batch);
    store.commit();
  }
  const s = (performance.now() - t) / 1000;
  console.log(`commit, batches of ${batch}: ${Math.round(messages / s)} messages/s (${Math.round(messages / batch / s)} commits/s)`);
}
const fillStart = performance.now();
while (appended < TOTAL) {
  append(store, Math.min(1000, TOTAL - appended));
  store.commit();
}
console.log(`filled to ${appended} messages in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);

await timeReads('latest(50)', 5000, (i) => store.latest(`#room${i % ROOMS}`, 50));
const scope = { rooms: Array.from({ length: 20 }, (_, i) => `#room${i}`), limit: 50 };
await timeReads('search, a random word, 20 rooms', 2000, () => store.search(VOCAB[rand(VOCAB.length)]!, scope));
await timeReads('search, 你好, 20 rooms', 200, () => store.search('你好', scope));
await timeReads('search, a word in no room in scope', 200, () =>
  store.search(VOCAB[rand(VOCAB.length)]!, { rooms: ['#nowhere'], limit: 50 }),
);
let pruned = 0;
const cap = Math.floor(TOTAL / ROOMS) - 200;
await timeReads('prune (per-room cap), one call', 200, async () => {
  pruned += (await store.prune(0, cap)).removed;
});
console.log(`  removed ${pruned} rows in 200 calls`);

store.close();
const bytes = ['', '-wal', '-shm'].reduce((sum, ext) => sum + (fs.existsSync(file + ext) ? fs.statSync(file + ext).size : 0), 0);
console.log(
  `on disk: ${(bytes / 1024 / 1024).toFixed(1)} MiB for ${appended} messages, ${Math.round(bytes / appended)} bytes per message (average text ${Math.round(avgText())} bytes)`,
);
fs.rmSync(dir, { recursive: true, force: true });

function avgText(): number {
  let sum = 0;
  for (let i = 0; i < 1000; i++) sum += Buffer.byteLength(text());
  return sum / 1000;
}
