/**
 * @module
 * The store's benchmark (`npm run bench -- --only store`, or on its own:
 * `node --import tsx scripts/bench/store.ts [messages]`). In a temporary directory, removed at the end:
 *
 * 1. write throughput: messages committed per second with 1, 10, 100 and 1 000 messages per
 *    commit (the server commits once per event-loop turn, so a busy turn commits many);
 * 2. fills the database to `messages` (default 1 000 000) directly through the Store interface, in
 *    transactions of 10 000 (not through sockets: set-up, not measurement);
 * 3. at that size: latest(50) and search through the Store interface (store.search(), the call the
 *    server's `search` request makes), p50/p99 of many calls;
 * 4. the join a user sees: the built server started on that database, one client joining a room
 *    and waiting for its `history` of 50 messages, p50/p99, next to the same join of a room with
 *    no history, in the same server;
 * 5. bytes on disk per stored message (database, WAL and shared-memory file together), and 200
 *    prune calls (a per-room cap: every room 200 over it), wall and CPU time per call and the rows
 *    each removed. With FRAMECHAT_BENCH_BASELINE=<a built checkout>, that build's store prunes a
 *    copy of the same file first, in the same run (before / after);
 * 6. before those prune calls, ways of checkpointing the WAL compared on copies of the file (every
 *    room 1000 over the cap): 2000 turns of one prune call each, alone or after a chat commit of
 *    20 messages; prune and commit p50/p99/max, bytes written, CPU, WAL and file size at the end.
 *    FRAMECHAT_BENCH_CHECKPOINTS=0,3 runs only those of CHECKPOINTS.
 *
 * Results are plain data; renderStore() makes the markdown tables docs/PERFORMANCE.md quotes.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, encode, FrameDecoder } from '../../src/protocol/internal.js';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from '../../src/server/store/sqlite.js';
import { spawnWithFileLimit, stopProcess, waitForOutput } from './proc.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROOMS = 200;
/** Messages per transaction while filling. */
const FILL_BATCH = 10_000;

export interface Latency {
  label: string;
  calls: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** What each call returned (messages), summed: proof the calls did the work. */
  returned: number;
}

export interface StoreBenchResult {
  messages: number;
  commits: { batch: number; messages: number; perSec: number; commitsPerSec: number }[];
  fill: { messages: number; seconds: number; perSec: number };
  reads: Latency[];
  joins: Latency[];
  prune: PruneBench[];
  checkpoints: CheckpointBench[];
  disk: { bytes: number; perMessage: number; averageTextBytes: number };
}

export interface PruneBench extends Latency {
  removed: number;
  /** The most rows one call removed. */
  maxRows: number;
  /** CPU time per call (this process, user + system): what the event loop itself spent. */
  cpuP50Ms: number;
  cpuP99Ms: number;
}

/** One way of checkpointing the WAL, measured under prune calls interleaved with chat commits. */
export interface CheckpointBench {
  label: string;
  /** Messages committed in each turn before its prune call (0: prune alone, an idle server's pass). */
  chat: number;
  turns: number;
  /** One prune() call's wall time, its commit and any checkpoint it ran included. */
  prune: { p50Ms: number; p99Ms: number; maxMs: number; rows: number };
  /** The chat commit of each turn (zeros when chat is 0). */
  commit: { p50Ms: number; p99Ms: number; maxMs: number };
  /**
   * The search index's own steps in the turns between (index-scheduler.ts), until it had settled
   * after the last turn: each is a stall of the event loop as a prune call or a commit is.
   */
  indexSteps: { p50Ms: number; p99Ms: number; maxMs: number; steps: number };
  mergeSteps: { p50Ms: number; p99Ms: number; maxMs: number; steps: number };
  /** Bytes this process handed to write(2) during the turns (WAL frames and checkpoint copies; Linux only). */
  writtenBytes: number;
  /** CPU of the whole process during the turns, the checkpoint worker included. */
  cpuMs: number;
  seconds: number;
  /** The largest WAL seen (sampled every 20 turns), and the WAL and database file at the end. */
  walMaxBytes: number;
  walEndBytes: number;
  dbEndBytes: number;
}

/** Messages per turn in the checkpoint comparison: none (a pass on an idle server), and a busy server's turn. */
const CHAT_BATCHES = [0, 20];

/** The ways of checkpointing compared (the first is SQLite's default). */
const CHECKPOINTS: { label: string; options: SqliteStoreOptions }[] = [
  { label: "auto, 1000 pages (SQLite's default)", options: { checkpoint: 'auto', pruneCheckpointPages: 1000 } },
  { label: 'auto, 250 pages', options: { checkpoint: 'auto', autocheckpointPages: 250, pruneCheckpointPages: 250 } },
  { label: 'auto, 100 pages', options: { checkpoint: 'auto', autocheckpointPages: 100, pruneCheckpointPages: 100 } },
  { label: "auto, 1000 pages, 100 in prune's commits (the store's default)", options: { checkpoint: 'auto' } },
  { label: 'worker, PASSIVE every 200 ms', options: { checkpoint: 'worker' } },
  { label: 'worker, PASSIVE every 20 ms', options: { checkpoint: 'worker', checkpointOptions: { intervalMs: 20 } } },
];

function writtenBytes(): number {
  try {
    return Number(/^wchar: (\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * `turns` event-loop turns on a copy of `file`, as a server runs a retention pass while chat goes
 * on: each turn commits `chat` messages (if any), then makes one prune() call (a per-room cap).
 */
async function checkpointTimes(
  label: string,
  options: SqliteStoreOptions,
  chat: number,
  file: string,
  turns: number,
  cap: number,
  texts: Texts,
): Promise<CheckpointBench> {
  const indexSteps: number[] = [];
  const mergeSteps: number[] = [];
  const store = openSqliteStore(file, {
    ...options,
    index: { ...options.index, onStep: (kind, ms) => (kind === 'index' ? indexSteps : mergeSteps).push(ms) },
  });
  const prune: number[] = [];
  const commit: number[] = [];
  let rows = 0;
  let walMax = 0;
  try {
    const cpu = process.cpuUsage();
    const written = writtenBytes();
    const started = performance.now();
    for (let turn = 0; turn < turns; turn++) {
      for (let i = 0; i < chat; i++)
        store.append({
          kind: 'room',
          id: store.ids.next(),
          ts: Date.now(),
          room: `#room${(turn * chat + i) % ROOMS}`,
          from: `user${texts.rand(1000)}`,
          text: texts.text(),
        });
      let t = performance.now();
      if (chat > 0) store.commit();
      commit.push(performance.now() - t);
      t = performance.now();
      rows += (await store.prune(0, cap)).removed;
      prune.push(performance.now() - t);
      if (turn % 20 === 0) walMax = Math.max(walMax, store.walBytes());
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The index's work for these turns is part of their cost.
    await store.searchSettled();
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const result = {
      label,
      chat,
      turns,
      prune: { ...spread(prune), rows },
      commit: spread(commit),
      indexSteps: { ...spread(indexSteps), steps: indexSteps.length },
      mergeSteps: { ...spread(mergeSteps), steps: mergeSteps.length },
      writtenBytes: writtenBytes() - written,
      cpuMs: (used.user + used.system) / 1000,
      seconds,
      walMaxBytes: Math.max(walMax, store.walBytes()),
      walEndBytes: store.walBytes(),
      dbEndBytes: fs.statSync(file).size,
    };
    return result;
  } finally {
    store.close();
    await store.checkpointer?.stopped;
  }
}

function spread(ms: number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  ms.sort((a, b) => a - b);
  return { p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), maxMs: ms[ms.length - 1] ?? NaN };
}

type OpenStore = (file: string) => Pick<SqliteStore, 'prune' | 'close'>;

/** 200 prune calls with a per-room cap on `file`: wall and CPU time per call, rows per call. */
async function pruneTimes(label: string, open: OpenStore, file: string, calls: number, cap: number): Promise<PruneBench> {
  const store = open(file);
  const rows: number[] = [];
  const cpu: number[] = [];
  const wall: number[] = [];
  try {
    for (let i = 0; i < calls; i++) {
      const before = process.cpuUsage();
      const t = performance.now();
      rows.push((await store.prune(0, cap)).removed);
      wall.push(performance.now() - t);
      const used = process.cpuUsage(before);
      cpu.push((used.user + used.system) / 1000);
      // A turn between calls, as retention leaves one: the search index's merge steps run there.
      await new Promise((resolve) => setImmediate(resolve));
    }
    cpu.sort((a, b) => a - b);
    const removed = rows.reduce((a, b) => a + b, 0);
    return {
      label,
      calls,
      ...spread(wall),
      returned: removed,
      removed,
      maxRows: Math.max(...rows),
      cpuP50Ms: percentile(cpu, 50),
      cpuP99Ms: percentile(cpu, 99),
    };
  } finally {
    store.close();
  }
}

/** A deterministic text generator, so that runs compare. */
class Texts {
  private seed = 12345;
  private static readonly SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'ze', 'qu', 'bar', 'fen', 'dor', 'lix'];
  static readonly CJK = ['你好', '世界', '今天', '天气', '很好', 'こんにちは', '東京', '元気'];
  readonly vocab: string[];

  constructor() {
    this.vocab = Array.from({ length: 5000 }, () => {
      let w = '';
      for (let i = 0, n = 1 + this.rand(3); i < n; i++) w += Texts.SYLLABLES[this.rand(Texts.SYLLABLES.length)];
      return w;
    });
  }

  rand(n: number): number {
    this.seed = (this.seed * 1103515245 + 12345) & 0x7fffffff;
    return (this.seed >>> 16) % n;
  }

  text(): string {
    const words: string[] = [];
    for (let i = 0, n = 3 + this.rand(12); i < n; i++)
      words.push(this.rand(20) === 0 ? Texts.CJK[this.rand(Texts.CJK.length)]! : this.vocab[this.rand(this.vocab.length)]!);
    return words.join(' ');
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

async function time(label: string, calls: number, call: (i: number) => Promise<number>): Promise<Latency> {
  const ms: number[] = [];
  let returned = 0;
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    returned += await call(i);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { label, calls, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), maxMs: ms[ms.length - 1] ?? NaN, returned };
}

/** One framed client on the built server: sends requests, waits for the first message that matches. */
class Client {
  private readonly waiting: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  private readonly decoder = new FrameDecoder((payload) => this.onMessage(decode(payload) as Record<string, unknown>));

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.decoder.push(chunk));
  }

  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new Client(socket)));
      socket.once('error', reject);
    });
  }

  private onMessage(m: Record<string, unknown>): void {
    const i = this.waiting.findIndex((w) => w.match(m));
    if (i >= 0) this.waiting.splice(i, 1)[0]!.resolve(m);
  }

  /** Send `message` and resolve with the first reply that `match`es (bounded: 30 s). */
  request(message: Record<string, unknown>, match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${String(message['type'])} within 30 s`)), 30_000);
      this.waiting.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
      this.socket.write(encode(message as never));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Join a room, wait for its history; then part it (not timed) so the user stays within the room limit. */
async function joinTimes(port: number, label: string, rooms: string[], calls: number): Promise<Latency> {
  const client = await Client.connect(port);
  try {
    await client.request({ type: 'hello', name: `bench${label.length}`, rooms: ['#lobby'] }, (m) => m['type'] === 'history');
    const ms: number[] = [];
    let returned = 0;
    for (let i = 0; i < calls; i++) {
      const room = rooms[i % rooms.length]!;
      const t = performance.now();
      const history = await client.request({ type: 'join', room }, (m) => m['type'] === 'history' && m['room'] === room);
      ms.push(performance.now() - t);
      returned += (history['messages'] as unknown[]).length;
      await client.request({ type: 'part', room }, (m) => m['type'] === 'left' && m['room'] === room);
    }
    ms.sort((a, b) => a - b);
    return { label, calls, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), maxMs: ms[ms.length - 1] ?? NaN, returned };
  } finally {
    client.close();
  }
}

export async function runStoreBench(options: { messages?: number; log?: (line: string) => void } = {}): Promise<StoreBenchResult> {
  const total = options.messages ?? 1_000_000;
  const log = options.log ?? (() => {});
  const texts = new Texts();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-store-bench-'));
  const file = path.join(dir, 'framechat.sqlite');
  let appended = 0;
  const append = (store: SqliteStore, n: number): void => {
    for (let i = 0; i < n; i++, appended++) {
      store.append({
        kind: 'room',
        id: store.ids.next(),
        ts: Date.now(),
        // Round robin: every room holds the same number of messages (total / ROOMS).
        room: `#room${appended % ROOMS}`,
        from: `user${texts.rand(1000)}`,
        text: texts.text(),
      });
    }
  };
  try {
    const store = openSqliteStore(file);
    const commits: StoreBenchResult['commits'] = [];
    // Each size writes at most a fifth of the total, so a small run stays small.
    for (const [batch, wanted] of [
      [1, 20_000],
      [10, 100_000],
      [100, 200_000],
      [1000, 200_000],
    ] as const) {
      const messages = Math.max(batch, Math.min(wanted, Math.floor(total / 5 / batch) * batch));
      const t = performance.now();
      for (let done = 0; done < messages; done += batch) {
        append(store, batch);
        store.commit();
      }
      // The search index is written after the commits, in steps: its time counts too.
      await store.searchSettled();
      const s = (performance.now() - t) / 1000;
      commits.push({ batch, messages, perSec: messages / s, commitsPerSec: messages / batch / s });
      log(`  store: ${messages} messages in commits of ${batch}: ${Math.round(messages / s)}/s`);
    }
    const fillStart = performance.now();
    const before = appended;
    while (appended < total) {
      append(store, Math.min(FILL_BATCH, total - appended));
      store.commit();
    }
    await store.searchSettled();
    const fillSec = (performance.now() - fillStart) / 1000;
    log(`  store: filled to ${appended} messages in ${fillSec.toFixed(1)} s`);

    // A small database (the smoke test) gets fewer calls; from 100 000 messages on, all of them.
    const calls = (n: number): number => Math.max(20, Math.round(n * Math.min(1, total / 100_000)));
    const roomNames = Array.from({ length: ROOMS }, (_, i) => `#room${i}`);
    const scope = { rooms: roomNames.slice(0, 20), limit: 50 };
    const reads: Latency[] = [];
    reads.push(
      await time('latest(50), store call', calls(2000), async (i) => (await store.latest(roomNames[i % ROOMS]!, 50)).messages.length),
    );
    const words = Array.from({ length: 1000 }, () => texts.vocab[texts.rand(texts.vocab.length)]!);
    reads.push(
      await time('search a word in 20 rooms, store call', calls(1000), async (i) => (await store.search(words[i]!, scope)).messages.length),
    );
    reads.push(
      await time('search 你好 in 20 rooms, store call', calls(200), async () => (await store.search('你好', scope)).messages.length),
    );
    reads.push(
      await time(
        'search a word in 200 rooms, store call',
        calls(200),
        async (i) => (await store.search(words[i]!, { rooms: roomNames, limit: 50 })).messages.length,
      ),
    );
    reads.push(
      await time(
        'search a word, no match in scope, store call',
        calls(200),
        async (i) => (await store.search(words[i]!, { rooms: ['#nowhere'], limit: 50 })).messages.length,
      ),
    );
    for (const r of reads) log(`  store: ${r.label}: p99 ${r.p99Ms.toFixed(2)} ms`);
    store.close();

    const bytes = ['', '-wal', '-shm'].reduce((sum, ext) => sum + (fs.existsSync(file + ext) ? fs.statSync(file + ext).size : 0), 0);
    let textBytes = 0;
    for (let i = 0; i < 1000; i++) textBytes += Buffer.byteLength(texts.text());

    // The join a user sees, through the built server on this database.
    const server = spawnWithFileLimit(
      process.execPath,
      [path.join(ROOT, 'bin/chat-server.js'), 'start', '--host', '127.0.0.1', '--port', '0', '--rate', '0', '--data-dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const joins: Latency[] = [];
    try {
      const port = Number(await waitForOutput(server, /listening on [^\s]+:(\d+)/, 60_000));
      server.stdout?.resume();
      server.stderr?.resume();
      // Each join is a room not joined before in this server (a fresh room: its topic is read too).
      const joinCalls = calls(ROOMS - 1);
      joins.push(await joinTimes(port, 'join with 50 history messages', roomNames, joinCalls));
      const empty = Array.from({ length: joinCalls }, (_, i) => `#empty${i}`);
      joins.push(await joinTimes(port, 'join with no history (same server)', empty, joinCalls));
      for (const j of joins) log(`  store: ${j.label}: p99 ${j.p99Ms.toFixed(2)} ms`);
    } finally {
      await stopProcess(server);
    }

    // Before the prune calls below, on copies of the same file: every room 1000 over the cap, so
    // no candidate runs out of rows; each copy is removed when measured.
    const checkpoints: CheckpointBench[] = [];
    const only = process.env['FRAMECHAT_BENCH_CHECKPOINTS']?.split(',').map(Number);
    for (const chat of CHAT_BATCHES)
      for (const [i, c] of CHECKPOINTS.entries()) {
        if (only && !only.includes(i)) continue;
        const copy = path.join(dir, `checkpoint${i}.sqlite`);
        fs.copyFileSync(file, copy);
        const cap = Math.max(1, Math.floor(appended / ROOMS) - 1000);
        const r = await checkpointTimes(c.label, c.options, chat, copy, calls(2000), cap, texts);
        checkpoints.push(r);
        for (const ext of ['', '-wal', '-shm', '-lock']) fs.rmSync(copy + ext, { force: true });
        log(
          `  store: ${r.label}, chat ${chat}: prune p99 ${r.prune.p99Ms.toFixed(2)} ms, commit p99 ${r.commit.p99Ms.toFixed(2)} ms, ` +
            `WAL max ${(r.walMaxBytes / 2 ** 20).toFixed(1)} MiB`,
        );
      }

    const cap = Math.max(1, Math.floor(appended / ROOMS) - 200);
    const prune: PruneBench[] = [];
    const baseline = process.env['FRAMECHAT_BENCH_BASELINE'];
    if (baseline) {
      // The same file as it is now, copied: both builds start from the same rows and pages.
      const copy = path.join(dir, 'baseline.sqlite');
      fs.copyFileSync(file, copy);
      const base = (await import(path.join(path.resolve(baseline), 'dist/server/store/sqlite.js'))) as { openSqliteStore: OpenStore };
      prune.push(await pruneTimes('prune (per-room cap), one call, baseline build', base.openSqliteStore, copy, calls(200), cap));
    }
    prune.push(await pruneTimes('prune (per-room cap), one call', openSqliteStore, file, calls(200), cap));
    for (const p of prune) log(`  store: ${p.label}: p50 ${p.p50Ms.toFixed(2)} ms, p99 ${p.p99Ms.toFixed(2)} ms, ${p.removed} rows`);
    return {
      messages: appended,
      commits,
      fill: { messages: appended - before, seconds: fillSec, perSec: (appended - before) / fillSec },
      reads,
      joins,
      prune,
      checkpoints,
      disk: { bytes, perMessage: bytes / appended, averageTextBytes: textBytes / 1000 },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(head),
    `|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

export function renderStore(r: StoreBenchResult): string {
  const latency = (l: Latency): string[] => [l.label, String(l.calls), fmt(l.p50Ms), fmt(l.p99Ms), fmt(l.maxMs), fmt(l.returned / l.calls)];
  return [
    `## store: SQLite, ${r.messages} messages in ${ROOMS} rooms`,
    'write throughput: messages committed per second, by messages per commit (one transaction per event-loop turn)',
    '',
    table(
      ['messages per commit', 'messages', 'messages/s', 'commits/s'],
      r.commits.map((c) => [String(c.batch), String(c.messages), fmt(c.perSec), fmt(c.commitsPerSec)]),
    ),
    '',
    `filled to ${r.messages} messages in ${r.fill.seconds.toFixed(1)} s (${fmt(r.fill.perSec)} messages/s in transactions of ${FILL_BATCH})`,
    '',
    `reads at ${r.messages} messages ("store call": through the Store interface, in process; "join": the built server over a socket, join until its history arrives)`,
    '',
    table(['read', 'calls', 'p50 ms', 'p99 ms', 'max ms', 'messages per call'], [...r.reads, ...r.joins].map(latency)),
    '',
    `prune at ${r.messages} messages (a per-room cap, every room 200 over it; CPU: this process's user + system time per call)`,
    '',
    table(
      ['prune', 'calls', 'p50 ms', 'p99 ms', 'max ms', 'CPU p50 ms', 'CPU p99 ms', 'rows', 'rows per call', 'most rows in a call'],
      r.prune.map((p) => [
        p.label,
        String(p.calls),
        fmt(p.p50Ms),
        fmt(p.p99Ms),
        fmt(p.maxMs),
        fmt(p.cpuP50Ms),
        fmt(p.cpuP99Ms),
        String(p.removed),
        fmt(p.removed / p.calls),
        String(p.maxRows),
      ]),
    ),
    '',
    `prune at ${r.messages} messages, by checkpoint: each turn commits the chat messages (none, or a busy turn's), then makes one prune call ` +
      '(a per-room cap, every room 1000 over it); a prune call timed with its commit and any checkpoint it runs; ' +
      'written: bytes handed to write(2) (WAL frames and checkpoint copies); CPU: the whole process, the checkpoint worker included',
    '',
    table(
      [
        'checkpoint',
        'chat per turn',
        'turns',
        'prune p50 ms',
        'prune p99 ms',
        'prune max ms',
        'rows per call',
        'commit p50 ms',
        'commit p99 ms',
        'commit max ms',
        'index step p99 ms',
        'index step max ms',
        'merge steps',
        'merge step p99 ms',
        'merge step max ms',
        'written MiB',
        'CPU s',
        'wall s',
        'WAL max MiB',
        'WAL end MiB',
        'file end MiB',
      ],
      r.checkpoints.map((c) => [
        c.label,
        String(c.chat),
        String(c.turns),
        fmt(c.prune.p50Ms),
        fmt(c.prune.p99Ms),
        fmt(c.prune.maxMs),
        fmt(c.prune.rows / c.turns),
        c.chat > 0 ? fmt(c.commit.p50Ms) : '-',
        c.chat > 0 ? fmt(c.commit.p99Ms) : '-',
        c.chat > 0 ? fmt(c.commit.maxMs) : '-',
        c.indexSteps.steps > 0 ? fmt(c.indexSteps.p99Ms) : '-',
        c.indexSteps.steps > 0 ? fmt(c.indexSteps.maxMs) : '-',
        String(c.mergeSteps.steps),
        c.mergeSteps.steps > 0 ? fmt(c.mergeSteps.p99Ms) : '-',
        c.mergeSteps.steps > 0 ? fmt(c.mergeSteps.maxMs) : '-',
        fmt(c.writtenBytes / 2 ** 20),
        fmt(c.cpuMs / 1000),
        fmt(c.seconds),
        fmt(c.walMaxBytes / 2 ** 20),
        fmt(c.walEndBytes / 2 ** 20),
        fmt(c.dbEndBytes / 2 ** 20),
      ]),
    ),
    '',
    `on disk: ${(r.disk.bytes / 2 ** 20).toFixed(1)} MiB for ${r.messages} messages, **${Math.round(r.disk.perMessage)} bytes per message** ` +
      `(average text ${Math.round(r.disk.averageTextBytes)} bytes; database, WAL and -shm files)`,
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await runStoreBench({ messages: Number(process.argv[2] ?? 1_000_000), log: (l) => process.stderr.write(l + '\n') });
  process.stdout.write(renderStore(result) + '\n');
}
