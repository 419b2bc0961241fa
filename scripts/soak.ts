/**
 * Soak test: `npm run soak -- [--profile short|long] [--clients N] [--seconds T] [--json]`.
 *
 * Phases, against the built server in a child process:
 *   1. warm-up: a short chat and a tenth of the cycles, then idle → heap snapshot, RSS baseline
 *   2. chat: N clients for T seconds (scripts/soak/actors.ts), every stream fed to the ledger
 *   3. connect/disconnect cycles in four batches, RSS after each
 *   4. idle → heap snapshot; wait for RSS to come back to the baseline; a probe asks who is
 *      left; the ledger checks every delivery
 *   5. restart: bots with `reconnect` and a talker; SIGKILL the server halfway and start it again
 *      on the same port and store; every confirmed line reaches every bot once, in order
 *      (scripts/soak/restart.ts). After the memory phases, so that they measure one process.
 *   6. SIGTERM: the server must exit 0
 * With --cluster N: only the cluster soak (scripts/soak/cluster.ts), its own services and nodes.
 * Prints what it checked and the figures (--json: the result as JSON on stdout, the summary on
 * stderr). Exit code 1 on any finding, 2 on bad flags.
 */
import { chat, emptyTraffic } from './soak/actors.js';
import { clusterFindings, clusterSoak, clusterSummary } from './soak/cluster.js';
import { cycles, emptyCycleStats, probe } from './soak/cycles.js';
import type { HeapFigures } from './soak/heap.js';
import { Ledger } from './soak/ledger.js';
import { parseSoakArgs, USAGE, UsageError, type SoakOptions } from './soak/options.js';
import { findings, summary, type SoakResult } from './soak/report.js';
import { restartPhase } from './soak/restart.js';
import { Rng } from './soak/rng.js';
import { ServerProcess } from './soak/server-process.js';

const ROOM_NAMES = ['#main', '#rust', '#go', '#node', '#ops', '#random', '#help', '#games', '#music', '#news', '#food', '#books'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Idle time after the last client left before the heap is read: the server keeps a closed
 * session referenced by its close-grace timer for 2 s, which is retention, not a leak.
 */
const GRACE_MS = 3_000;
const RSS_EVERY_MS = 250;

/** Lowest RSS seen while the server sits idle for `seconds`. */
async function settledRss(server: ServerProcess, seconds: number): Promise<number | undefined> {
  let lowest: number | undefined;
  const readings = Math.max(1, Math.round((seconds * 1000) / RSS_EVERY_MS));
  for (let i = 0; i < readings; i++) {
    await sleep(RSS_EVERY_MS);
    const rss = server.rss();
    if (rss !== undefined) lowest = Math.min(lowest ?? rss, rss);
  }
  return lowest;
}

/**
 * Wait, up to `seconds`, for RSS to come back within `limit` bytes (V8 gives pages back some
 * time after a load); returns the lowest reading and how long it took.
 */
async function rssReturn(server: ServerProcess, limit: number, seconds: number): Promise<{ rss: number | undefined; seconds: number }> {
  const started = Date.now();
  let lowest: number | undefined;
  while (Date.now() - started < seconds * 1000) {
    await sleep(RSS_EVERY_MS);
    const rss = server.rss();
    if (rss === undefined) break;
    lowest = Math.min(lowest ?? rss, rss);
    if (lowest <= limit) break;
  }
  return { rss: lowest, seconds: (Date.now() - started) / 1000 };
}

async function readHeap(server: ServerProcess, memory: SoakResult['memory']): Promise<HeapFigures | undefined> {
  try {
    return await server.heap();
  } catch (err) {
    memory.heapError = (err as Error).message;
    return undefined;
  }
}

async function soak(o: SoakOptions, log: (line: string) => void): Promise<SoakResult> {
  const started = Date.now();
  const rng = new Rng(o.seed);
  const ledger = new Ledger();
  const traffic = emptyTraffic();
  const cycleStats = emptyCycleStats();
  const rooms = ROOM_NAMES.slice(0, Math.min(o.rooms, ROOM_NAMES.length));
  let server = await ServerProcess.start();
  const memory: SoakResult['memory'] = { cycles: [], toleranceMiB: o.toleranceMiB, heapToleranceMiB: o.heapToleranceMiB };
  const seconds = { warmup: 0, chat: 0, cycles: 0, total: 0 };
  const plan = { port: server.port, clients: o.clients, interval: o.interval, rooms };
  log(`server pid ${server.pid} on port ${server.port}; seed ${o.seed}`);
  memory.fresh = await settledRss(server, o.settleSeconds / 4);

  let t = Date.now();
  log(`warm-up: ${o.clients} clients for ${o.warmupSeconds} s, ${Math.round(o.cycles / 10)} cycles`);
  await chat({ ...plan, seconds: o.warmupSeconds }, ledger, rng, traffic);
  await cycles(server.port, Math.round(o.cycles / 10), o.concurrency, rng, cycleStats);
  seconds.warmup = (Date.now() - t) / 1000;
  await sleep(GRACE_MS);
  log('reading the heap baseline');
  memory.heapBaseline = await readHeap(server, memory);
  memory.baseline = await settledRss(server, o.settleSeconds);

  t = Date.now();
  if (server.alive) {
    log(`chat: ${o.clients} clients for ${o.seconds} s`);
    await chat({ ...plan, seconds: o.seconds }, ledger, rng, traffic);
  }
  seconds.chat = (Date.now() - t) / 1000;
  memory.afterChat = await settledRss(server, o.settleSeconds / 2);

  if (server.alive) log(`cycles: ${o.cycles} in four batches`);
  const batches = 4;
  for (let b = 0; b < batches && server.alive; b++) {
    const n = Math.floor(o.cycles / batches) + (b < o.cycles % batches ? 1 : 0);
    t = Date.now();
    await cycles(server.port, n, o.concurrency, rng, cycleStats);
    seconds.cycles += (Date.now() - t) / 1000;
    const rss = await settledRss(server, o.settleSeconds / 4);
    if (rss !== undefined) memory.cycles.push(rss);
  }

  if (server.died) log(`the server exited by itself ${server.died.afterSeconds.toFixed(1)} s in: skipping the remaining phases`);
  else log('everyone left: reading the heap, waiting for RSS to come back, probing');
  await sleep(GRACE_MS);
  if (memory.heapBaseline && server.alive) memory.heapFinal = await readHeap(server, memory);
  if (memory.baseline !== undefined && server.alive) {
    const back = await rssReturn(server, memory.baseline + o.toleranceMiB * 1024 * 1024, o.returnSeconds);
    memory.final = back.rss;
    memory.returnSeconds = back.seconds;
  }
  const result: SoakResult = {
    options: o,
    server: { port: server.port, pid: server.pid, errors: server.errors, warnings: 0 },
    seconds,
    traffic,
    tally: ledger.verify(),
    problems: ledger.problems,
    cycles: cycleStats,
    memory,
  };
  try {
    result.probe = await probe(server.port);
  } catch (err) {
    result.probeError = (err as Error).message;
  }
  const first = server;
  if (server.alive) {
    log('restart: reconnecting bots, a talker, and a SIGKILL of the server halfway');
    const restart = await restartPhase(server, { bots: Math.min(o.clients, 8), lines: 200 }, log);
    result.restart = restart.stats;
    server = restart.server;
  }
  result.server.exit = await server.stop();
  if (server !== first) {
    result.server.errors.push(...server.errors);
    result.server.warnings += first.warnings.length;
  }
  if (server.died) result.server.died = server.died;
  result.server.warnings += server.warnings.length;
  seconds.total = (Date.now() - started) / 1000;
  return result;
}

async function main(argv: string[]): Promise<number> {
  let options: SoakOptions | undefined;
  try {
    options = parseSoakArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`soak: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const t0 = Date.now();
  const log = (line: string): void => void process.stderr.write(`soak: ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s  ${line}\n`);
  if (options.cluster > 0) return runCluster(options, log);
  const result = await soak(options, log);
  const found = findings(result);
  const text = summary(result, found);
  if (options.json) {
    process.stderr.write(text);
    process.stdout.write(`${JSON.stringify({ ...result, findings: found, pass: found.length === 0 })}\n`);
  } else {
    process.stdout.write(text);
  }
  return found.length === 0 ? 0 : 1;
}

/** Bots in the cluster soak at most: each is in every room, so deliveries grow with its square. */
const MAX_CLUSTER_BOTS = 24;

async function runCluster(o: SoakOptions, log: (line: string) => void): Promise<number> {
  const plan = { nodes: o.cluster, bots: Math.min(o.clients, MAX_CLUSTER_BOTS), seconds: o.seconds, interval: o.interval, kill: true };
  log(`cluster soak: seed ${o.seed}`);
  const stats = await clusterSoak(plan, new Rng(o.seed), log);
  const found = clusterFindings(stats);
  const text = clusterSummary(stats, found);
  if (o.json) {
    process.stderr.write(text);
    process.stdout.write(`${JSON.stringify({ options: o, cluster: stats, findings: found, pass: found.length === 0 })}\n`);
  } else process.stdout.write(text);
  return found.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
