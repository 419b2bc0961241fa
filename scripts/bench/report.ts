/**
 * @module
 * Turn a BenchRun into what a reader wants: one table per scenario, ratios of framechat to the
 * minimal relay and to the best IRC server measured in the same run (so that the machine's speed
 * cancels out), and the issue's targets with a pass/fail each.
 */
import type { BenchRun, PhaseResult, ScenarioResult, TargetResult } from './run.js';
import { IRC_TARGETS, type TargetName } from './targets.js';

export interface Ratio {
  metric: string;
  /** framechat's value over the other's: above 1 is better for rates, below 1 for costs. */
  value: number;
  against: TargetName;
}

export interface TargetCheck {
  goal: string;
  measured: string;
  pass: boolean | undefined;
}

const ok = (r: TargetResult | undefined): r is TargetResult => r !== undefined && r.status === 'ok';

function find(s: ScenarioResult | undefined, name: TargetName): TargetResult | undefined {
  return s?.results.find((r) => r.target === name);
}

/** The IRC server with the best value of `metric` (highest, or lowest when lowerIsBetter). */
function bestIrc(
  s: ScenarioResult | undefined,
  metric: (r: TargetResult) => number | undefined,
  lowerIsBetter = false,
): TargetResult | undefined {
  const candidates = IRC_TARGETS.map((n) => find(s, n))
    .filter(ok)
    .filter((r) => Number.isFinite(metric(r) ?? NaN));
  candidates.sort((a, b) => (lowerIsBetter ? metric(a)! - metric(b)! : metric(b)! - metric(a)!));
  return candidates[0];
}

/** Deliveries per second of server CPU: what one core of this machine could carry. */
export function perCoreSecond(p: PhaseResult | undefined): number | undefined {
  return p && p.serverCpuSec > 0 ? p.received / p.serverCpuSec : undefined;
}

/** Logins/s compare only in the storm: elsewhere logins are set-up, each server at its own pace. */
const METRICS: { metric: string; read: (r: TargetResult) => number | undefined; lowerIsBetter: boolean; storm?: boolean }[] = [
  { metric: 'deliveries/s', read: (r) => r.throughput?.deliveriesPerSec, lowerIsBetter: false },
  { metric: 'deliveries per CPU-s', read: (r) => perCoreSecond(r.throughput), lowerIsBetter: false },
  { metric: 'p99 latency', read: (r) => r.latency?.p99Ms, lowerIsBetter: true },
  { metric: 'memory per connection', read: (r) => r.memory?.perConnectionBytes, lowerIsBetter: true },
  { metric: 'logins/s', read: (r) => (r.logins.ok > 0 ? r.logins.perSec : undefined), lowerIsBetter: false, storm: true },
];

export function ratios(s: ScenarioResult): Ratio[] {
  const fc = find(s, 'framechat');
  if (!ok(fc)) return [];
  const out: Ratio[] = [];
  for (const { metric, read, lowerIsBetter, storm } of METRICS) {
    if (storm && s.scenario.kind !== 'storm') continue;
    const mine = read(fc);
    if (mine === undefined || !Number.isFinite(mine)) continue;
    const relay = find(s, 'relay');
    const irc = bestIrc(s, read, lowerIsBetter);
    for (const other of [relay, irc]) {
      const theirs = ok(other) ? read(other) : undefined;
      if (other && theirs !== undefined && Number.isFinite(theirs) && theirs > 0)
        out.push({ metric, value: mine / theirs, against: other.target });
    }
  }
  return out;
}

/** The cluster targets, and the single nodes they compare with (the process as it ships, one node on PostgreSQL). */
export const CLUSTER_TARGETS: TargetName[] = ['framechat-cluster2', 'framechat-cluster3'];
const SINGLE_TARGETS: TargetName[] = ['framechat', 'framechat-pg'];
/** The issue's bound: the cross-node p99 at the fixed offered load within 2x the single node's. */
export const CLUSTER_P99_BOUND = 2;

export interface ClusterRow {
  target: TargetName;
  nodes: number;
  deliveriesPerSec: number;
  /** Latency phase (the fixed offered load). */
  p50Ms: number;
  p99Ms: number;
  lost: number;
  /** Cores busy during the throughput phase (CPU seconds over its wall time), servers summed. */
  serverCores: number;
  redisCores?: number;
  /** Redis's cores at the fixed offered load. */
  redisCoresAtLoad?: number;
  /** Room messages published per Redis CPU-second in the throughput phase. */
  messagesPerRedisCpuSec?: number;
  postgresCores?: number;
  /** p99 over framechat's and over framechat-pg's, in the same run. */
  p99VsSingle?: number;
  p99VsPg?: number;
  deliveriesVsSingle?: number;
}

const cores = (cpuSec: number | undefined, p: PhaseResult): number | undefined =>
  cpuSec !== undefined && p.wallSec > 0 ? cpuSec / p.wallSec : undefined;

/** One row per single node and cluster that ran in a room scenario; empty when no cluster target ran. */
export function clusterRows(s: ScenarioResult): ClusterRow[] {
  if (s.scenario.kind !== 'room' && s.scenario.kind !== 'many-rooms') return [];
  if (!s.results.some((r) => CLUSTER_TARGETS.includes(r.target) || r.target === 'framechat-pg')) return [];
  const single = find(s, 'framechat');
  const pg = find(s, 'framechat-pg');
  const ratio = (mine: number, other: TargetResult | undefined, read: (r: TargetResult) => number): number | undefined =>
    ok(other) && read(other) > 0 ? mine / read(other) : undefined;
  const rows: ClusterRow[] = [];
  for (const name of [...SINGLE_TARGETS, ...CLUSTER_TARGETS]) {
    const r = find(s, name);
    if (!ok(r)) continue;
    const t = r.throughput!;
    const l = r.latency!;
    const redis = t.serviceCpuSec?.redis;
    rows.push({
      target: name,
      nodes: r.nodes,
      deliveriesPerSec: t.deliveriesPerSec,
      p50Ms: l.p50Ms,
      p99Ms: l.p99Ms,
      lost: l.lost + t.lost,
      serverCores: cores(t.serverCpuSec, t) ?? NaN,
      redisCores: cores(redis, t),
      redisCoresAtLoad: cores(l.serviceCpuSec?.redis, l),
      messagesPerRedisCpuSec: redis !== undefined && redis > 0 ? t.sent / redis : undefined,
      postgresCores: cores(t.serviceCpuSec?.postgres, t),
      p99VsSingle: name === 'framechat' ? undefined : ratio(l.p99Ms, single, (x) => x.latency!.p99Ms),
      p99VsPg: name === 'framechat' || name === 'framechat-pg' ? undefined : ratio(l.p99Ms, pg, (x) => x.latency!.p99Ms),
      deliveriesVsSingle: name === 'framechat' ? undefined : ratio(t.deliveriesPerSec, single, (x) => x.throughput!.deliveriesPerSec),
    });
  }
  return rows;
}

function clusterTable(s: ScenarioResult): string | undefined {
  const rows = clusterRows(s);
  if (!rows.some((r) => CLUSTER_TARGETS.includes(r.target) || r.target === 'framechat-pg')) return undefined;
  const c = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(2));
  return table(
    [
      'target',
      'nodes',
      'deliveries/s',
      'p50 ms',
      'p99 ms',
      'lost',
      'server cores',
      'Redis cores',
      'Redis cores (fixed load)',
      'messages per Redis CPU-s',
      'PostgreSQL cores',
      'p99 / framechat',
      'p99 / framechat-pg',
      'deliveries/s / framechat',
    ],
    rows.map((r) => [
      r.target,
      String(r.nodes),
      fmtRate(r.deliveriesPerSec),
      fmtMs(r.p50Ms),
      fmtMs(r.p99Ms),
      String(r.lost),
      c(r.serverCores),
      c(r.redisCores),
      c(r.redisCoresAtLoad),
      fmtRate(r.messagesPerRedisCpuSec),
      c(r.postgresCores),
      fmtX(r.p99VsSingle),
      fmtX(r.p99VsPg),
      fmtX(r.deliveriesVsSingle),
    ]),
  );
}

export function checkTargets(run: BenchRun): TargetCheck[] {
  const scenario = (name: string): ScenarioResult | undefined => run.scenarios.find((s) => s.scenario.name === name);
  const checks: TargetCheck[] = [];
  const big = scenario('big-room');
  const fcBig = find(big, 'framechat');
  if (big && ok(fcBig)) {
    const irc = bestIrc(big, (r) => r.throughput?.deliveriesPerSec);
    const relay = find(big, 'relay');
    const mine = fcBig.throughput!.deliveriesPerSec;
    const ratio = (other: TargetResult | undefined, read: (r: TargetResult) => number | undefined): number | undefined => {
      const theirs = ok(other) ? read(other) : undefined;
      const m = read(fcBig);
      return theirs && m !== undefined ? m / theirs : undefined;
    };
    const perCore = (r: TargetResult): number | undefined => perCoreSecond(r.throughput);
    const ircPerCore = bestIrc(big, perCore);
    const r1 = ratio(irc, (r) => r.throughput?.deliveriesPerSec);
    const r1c = ratio(ircPerCore, perCore);
    checks.push({
      goal: 'big room deliveries/s >= 1.5x the best IRC server',
      measured: irc
        ? `${fmtX(r1)} ${irc.target} (${fmtRate(mine)} vs ${fmtRate(irc.throughput!.deliveriesPerSec)}); per CPU-second ${fmtX(r1c)} ${ircPerCore?.target ?? ''}`
        : 'no IRC server measured',
      pass: r1 === undefined ? undefined : r1 >= 1.5,
    });
    const r2 = ratio(relay, (r) => r.throughput?.deliveriesPerSec);
    const r2c = ratio(relay, perCore);
    checks.push({
      goal: 'big room deliveries/s >= 0.8x the minimal relay',
      measured: ok(relay)
        ? `${fmtX(r2)} (${fmtRate(mine)} vs ${fmtRate(relay.throughput!.deliveriesPerSec)}); per CPU-second ${fmtX(r2c)}`
        : 'relay not measured',
      pass: r2 === undefined ? undefined : r2 >= 0.8,
    });
    const ircLatency = bestIrc(big, (r) => r.latency?.p99Ms, true);
    checks.push({
      goal: 'big room p99 latency <= the best IRC server at the same offered load',
      measured: ircLatency
        ? `${fcBig.latency!.p99Ms.toFixed(1)} ms vs ${ircLatency.latency!.p99Ms.toFixed(1)} ms (${ircLatency.target}), ${fmtX(fcBig.latency!.p99Ms / ircLatency.latency!.p99Ms)}, ` +
          `at ${fmtRate(fcBig.latency!.offeredPerSec ?? 0)} deliveries/s offered; relay ${ok(relay) ? `${relay.latency!.p99Ms.toFixed(1)} ms` : '-'}`
        : 'no IRC server measured',
      pass: ircLatency ? fcBig.latency!.p99Ms <= ircLatency.latency!.p99Ms : undefined,
    });
  }
  for (const row of big ? clusterRows(big).filter((r) => CLUSTER_TARGETS.includes(r.target)) : []) {
    const l = find(big, row.target)!.latency!;
    checks.push({
      goal: `big room on ${row.nodes} nodes: p99 at ${fmtRate(l.offeredPerSec ?? 0)} deliveries/s offered <= ${CLUSTER_P99_BOUND}x the single node's, nothing lost`,
      measured:
        `${fmtMs(row.p99Ms)} ms, ${fmtX(row.p99VsSingle)} framechat, ${fmtX(row.p99VsPg)} framechat-pg; lost ${row.lost}; ` +
        `${fmtRate(row.deliveriesPerSec)} deliveries/s (${fmtX(row.deliveriesVsSingle)} framechat)`,
      pass: row.p99VsSingle === undefined ? undefined : row.p99VsSingle <= CLUSTER_P99_BOUND && row.lost === 0,
    });
  }
  for (const name of ['idle-10k', 'idle-5k']) {
    const idle = scenario(name);
    const fc = find(idle, 'framechat');
    const insp = find(idle, 'inspircd');
    const inspStatus = insp?.status ?? 'not measured';
    if (!idle || !ok(fc)) continue;
    checks.push({
      goal: `${name}: memory per idle connection <= InspIRCd's`,
      measured: ok(insp)
        ? `${fmtBytes(fc.memory!.perConnectionBytes)} vs ${fmtBytes(insp.memory!.perConnectionBytes)} (${fmtX(fc.memory!.perConnectionBytes / insp.memory!.perConnectionBytes)})`
        : `${fmtBytes(fc.memory!.perConnectionBytes)}; InspIRCd ${inspStatus}`,
      pass: ok(insp) ? fc.memory!.perConnectionBytes <= insp.memory!.perConnectionBytes : undefined,
    });
    break;
  }
  const storm = scenario('join-storm');
  const fcStorm = find(storm, 'framechat');
  const inspStorm = find(storm, 'inspircd');
  const inspStatus = inspStorm?.status ?? 'not measured';
  if (storm && ok(fcStorm)) {
    const mine = fcStorm.logins.wallSec ?? NaN;
    const theirs = ok(inspStorm) ? (inspStorm.logins.wallSec ?? NaN) : NaN;
    const complete = fcStorm.logins.failed === 0 && ok(inspStorm) && inspStorm.logins.failed === 0;
    checks.push({
      goal: `join storm: ${storm.scenario.clients} clients into one room no slower than InspIRCd`,
      measured: ok(inspStorm)
        ? `${mine.toFixed(1)} s vs ${theirs.toFixed(1)} s until every client had its welcome (${fmtX(mine / theirs)}); ${fcStorm.logins.failed} + ${inspStorm.logins.failed} logins failed`
        : `${mine.toFixed(1)} s; InspIRCd ${inspStatus}`,
      pass: ok(inspStorm) ? complete && mine <= theirs : undefined,
    });
  }
  for (const name of ['big-room', 'small-room']) {
    const sc = scenario(name);
    const withStore = sc && pairRatios(sc, 'framechat', 'framechat-nostore')[0];
    if (!withStore) continue;
    checks.push({
      goal: `${name} deliveries/s with the store >= 0.9x without (--no-store)`,
      measured: fmtX(withStore.value),
      pass: withStore.value >= 0.9,
    });
  }
  const idle10k = scenario('idle-10k');
  const fc10k = find(idle10k, 'framechat');
  if (idle10k) {
    const b = fc10k?.broadcast;
    const held = fc10k?.logins.ok ?? 0;
    checks.push({
      goal: `${idle10k.scenario.clients} clients held, a broadcast to all delivered with p99 <= 1 s`,
      measured: b
        ? `${held} logged in; broadcast p99 ${b.p99Ms.toFixed(0)} ms, max ${b.maxMs.toFixed(0)} ms, lost ${b.lost}`
        : (fc10k?.status ?? 'not run'),
      pass: b ? held === idle10k.scenario.clients && b.p99Ms <= 1000 && b.lost === 0 : false,
    });
  }
  return checks;
}

// ---- text ---------------------------------------------------------------------------------

export function fmtRate(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

export function fmtBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}

function fmtMs(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function fmtX(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '-' : `${n.toFixed(2)}x`;
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

function lostOf(...phases: (PhaseResult | undefined)[]): string {
  const present = phases.filter((p): p is PhaseResult => p !== undefined);
  return present.length === 0 ? '-' : String(present.reduce((n, p) => n + p.lost, 0));
}

/** What a second framechat row in the same run compares with framechat's own (store off, another build). */
const VARIANTS: { name: TargetName; label: string }[] = [
  { name: 'framechat-nostore', label: 'store on / store off (framechat / framechat-nostore)' },
  { name: 'framechat-base', label: 'this build / the baseline build (framechat / framechat-base)' },
];

/** `a` over `b` for the figures of the scenario's kind; empty unless both ran. */
export function pairRatios(s: ScenarioResult, a: TargetName, b: TargetName): Ratio[] {
  const mine = find(s, a);
  const other = find(s, b);
  if (!ok(mine) || !ok(other)) return [];
  const figures: { metric: string; read: (r: TargetResult) => number | undefined }[] =
    s.scenario.kind === 'join-storm'
      ? [
          { metric: 'time until all welcomed', read: (r) => r.logins.wallSec },
          { metric: 'server CPU', read: (r) => r.serverCpuSec },
          { metric: 'write calls (logins)', read: (r) => r.loginWrites },
        ]
      : s.scenario.kind === 'room' || s.scenario.kind === 'many-rooms'
        ? [
            { metric: 'deliveries/s', read: (r) => r.throughput?.deliveriesPerSec },
            { metric: 'deliveries per CPU-s', read: (r) => perCoreSecond(r.throughput) },
            { metric: 'p99 latency', read: (r) => r.latency?.p99Ms },
          ]
        : [
            { metric: 'logins/s', read: (r) => r.logins.perSec },
            { metric: 'memory per connection', read: (r) => r.memory?.perConnectionBytes },
          ];
  const out: Ratio[] = [];
  for (const { metric, read } of figures) {
    const x = read(mine);
    const y = read(other);
    if (x !== undefined && y !== undefined && Number.isFinite(x) && Number.isFinite(y) && y > 0)
      out.push({ metric, value: x / y, against: b });
  }
  return out;
}

/** framechat over each IRC server in the join storm, figure by figure. */
export function joinStormRatios(s: ScenarioResult): Ratio[] {
  const fc = find(s, 'framechat');
  if (!ok(fc)) return [];
  const figures: { metric: string; read: (r: TargetResult) => number | undefined }[] = [
    { metric: 'time until all welcomed', read: (r) => r.logins.wallSec },
    { metric: 'server CPU', read: (r) => r.serverCpuSec },
    { metric: 'write calls (logins)', read: (r) => r.loginWrites },
    { metric: 'peak RSS', read: (r) => r.memory?.peakBytes },
    { metric: 'broadcast delivery', read: (r) => r.broadcast?.wallSec },
  ];
  const out: Ratio[] = [];
  for (const name of IRC_TARGETS) {
    const other = find(s, name);
    // A run where some logins failed did less work: its figures do not compare.
    if (!ok(other) || other.logins.failed > 0 || fc.logins.failed > 0) continue;
    for (const { metric, read } of figures) {
      const mine = read(fc);
      const theirs = read(other);
      if (mine !== undefined && theirs !== undefined && Number.isFinite(mine) && theirs > 0)
        out.push({ metric, value: mine / theirs, against: name });
    }
  }
  return out;
}

function scenarioTable(s: ScenarioResult): string {
  const rows: string[][] = [];
  const sc = s.scenario;
  for (const r of s.results) {
    if (r.status !== 'ok') {
      rows.push([r.target, r.status]);
      continue;
    }
    const peak = fmtBytes(r.memory?.peakBytes);
    const cpu = r.serverCpuSec === undefined ? '-' : `${r.serverCpuSec.toFixed(1)} s`;
    if (sc.kind === 'room' || sc.kind === 'many-rooms') {
      const l = r.latency!;
      const t = r.throughput!;
      rows.push([
        r.target,
        fmtRate(t.deliveriesPerSec),
        fmtRate(perCoreSecond(t)),
        fmtMs(l.p50Ms),
        fmtMs(l.p99Ms),
        fmtMs(l.maxMs),
        lostOf(l, t),
        fmtRate(r.logins.perSec),
        cpu,
        peak,
      ]);
    } else if (sc.kind === 'idle') {
      const b = r.broadcast;
      rows.push([
        r.target,
        String(r.logins.ok),
        fmtRate(r.logins.perSec),
        fmtBytes(r.memory?.perConnectionBytes),
        peak,
        b ? `${fmtMs(b.p50Ms)} / ${fmtMs(b.p99Ms)} / ${fmtMs(b.maxMs)}` : 'n/a',
        lostOf(b),
        cpu,
      ]);
    } else if (sc.kind === 'join-storm') {
      const b = r.broadcast;
      const loginCpu = r.loginCpuSec === undefined ? '-' : `${r.loginCpuSec.toFixed(1)} s`;
      const writes = r.loginWrites === undefined || Number.isNaN(r.loginWrites) ? '-' : fmtRate(r.loginWrites);
      rows.push([
        r.target,
        String(r.logins.ok),
        String(r.logins.failed),
        `${(r.logins.wallSec ?? NaN).toFixed(1)} s`,
        fmtRate(r.logins.perSec),
        loginCpu,
        writes,
        cpu,
        peak,
        b ? fmtMs(b.wallSec * 1000) : '-',
        b ? `${fmtMs(b.p50Ms)} / ${fmtMs(b.p99Ms)} / ${fmtMs(b.maxMs)}` : '-',
        lostOf(b),
      ]);
    } else {
      rows.push([r.target, String(r.logins.ok), String(r.logins.failed), fmtRate(r.logins.perSec), cpu, peak]);
    }
  }
  const head =
    sc.kind === 'room' || sc.kind === 'many-rooms'
      ? ['target', 'deliveries/s', 'per CPU-s', 'p50 ms', 'p99 ms', 'max ms', 'lost', 'logins/s', 'server CPU', 'peak RSS']
      : sc.kind === 'idle'
        ? ['target', 'logged in', 'logins/s', 'RSS/conn', 'peak RSS', 'broadcast p50/p99/max ms', 'lost', 'server CPU']
        : sc.kind === 'join-storm'
          ? [
              'target',
              'logged in',
              'failed',
              'all welcomed',
              'logins/s',
              'CPU (logins)',
              'writes (logins)',
              'server CPU',
              'peak RSS',
              'broadcast ms',
              'broadcast p50/p99/max ms',
              'lost',
            ]
          : ['target', 'logged in', 'failed', 'logins/s', 'server CPU', 'peak RSS'];
  const width = head.length;
  return table(
    head,
    rows.map((r) => (r.length === 2 ? [r[0]!, r[1]!, ...new Array<string>(width - 2).fill('')] : r)),
  );
}

function describe(s: ScenarioResult): string {
  const sc = s.scenario;
  if (sc.kind === 'room') {
    const offered = sc.talkers * sc.rate * (sc.clients - 1);
    return (
      `latency at ${fmtRate(offered)} deliveries/s offered (${sc.talkers} talkers x ${sc.rate}/s, ${sc.latencyMs / 1000} s); ` +
      `deliveries/s with ${sc.window} messages in flight per talker (${sc.throughputMs / 1000} s)`
    );
  }
  if (sc.kind === 'many-rooms') {
    const talkers = sc.rooms * sc.talkersPerRoom;
    const members = (sc.clients * sc.perClient) / sc.rooms;
    return (
      `${sc.rooms} rooms of ${members} members, each client in ${sc.perClient}; latency at ${fmtRate(talkers * sc.rate * (members - 1))} deliveries/s offered ` +
      `(${talkers} talkers x ${sc.rate}/s, ${sc.latencyMs / 1000} s); deliveries/s with ${sc.window} messages in flight per talker (${sc.throughputMs / 1000} s)`
    );
  }
  if (sc.kind === 'join-storm') {
    return (
      'every client logs in and joins #main, each server at the set-up pace it takes best (framechat and InspIRCd 1 000 logins in flight, ngIRCd 10); ' +
      '"all welcomed": first connect to the last welcome (framechat) or end of NAMES (IRC); then one message to the room'
    );
  }
  if (sc.kind === 'idle')
    return `rooms of ${sc.roomSize}; memory read ${sc.settleMs / 1000} s after the last login; one rename sent to everyone (framechat wire only)`;
  return `${sc.concurrency} logins in flight per load generator, rooms of ${sc.roomSize}`;
}

export function renderText(run: BenchRun): string {
  const out: string[] = [];
  const m = run.machine;
  out.push(
    `framechat bench, ${run.startedAt}: ${m.cpus}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}, Node ${m.node}, ` +
      `${run.generators} load generators, load average at start ${m.loadAverage.toFixed(2)}`,
  );
  for (const s of run.scenarios) {
    out.push('', `## ${s.scenario.title}`, describe(s), '', scenarioTable(s));
    for (const r of s.results) if (r.note) out.push(`note: ${r.target}: ${r.note}`);
    const cluster = clusterTable(s);
    if (cluster) {
      out.push(
        '',
        '### cluster',
        'clients round-robin over the nodes; cores = CPU seconds over the wall time of the throughput phase (Redis also at the fixed load); ' +
          'p50/p99 at the fixed offered load; PostgreSQL counted with its backends',
        '',
        cluster,
      );
    }
    const rs = s.scenario.kind === 'join-storm' ? joinStormRatios(s) : ratios(s);
    if (rs.length > 0) out.push('', 'framechat / ' + rs.map((r) => `${r.against} ${r.metric} ${fmtX(r.value)}`).join(', '));
    for (const { name, label } of VARIANTS) {
      const pr = pairRatios(s, 'framechat', name);
      if (pr.length > 0) out.push('', `${label}: ` + pr.map((r) => `${r.metric} ${fmtX(r.value)}`).join(', '));
    }
    if (s.scenario.kind === 'many-rooms') {
      // framechat's row may be missing (protocol v2 rooms): the IRC servers still compare.
      const [a, b] = ['inspircd', 'ngircd'].map((n) => find(s, n as TargetName));
      if (ok(a) && ok(b)) {
        out.push(
          `inspircd / ngircd: deliveries/s ${fmtX(a.throughput!.deliveriesPerSec / b.throughput!.deliveriesPerSec)}, ` +
            `per CPU-s ${fmtX((perCoreSecond(a.throughput) ?? NaN) / (perCoreSecond(b.throughput) ?? NaN))}, p99 ${fmtX(a.latency!.p99Ms / b.latency!.p99Ms)}`,
        );
      }
    }
  }
  const checks = checkTargets(run);
  if (checks.length > 0) {
    out.push('', '## targets', '');
    for (const c of checks) out.push(`${c.pass === undefined ? '[ ? ]' : c.pass ? '[ok ]' : '[no ]'} ${c.goal}: ${c.measured}`);
  }
  return out.join('\n') + '\n';
}
