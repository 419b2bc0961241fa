/**
 * @module
 * The bench runner: for each scenario and each target, start the server as a child process,
 * split the clients across the load-generator processes, run the phases, and read the server's
 * CPU time and memory from /proc. Returns plain data; report.ts and chart.ts present it.
 */
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Histogram } from './histogram.js';
import type { ClientSpec, ConnectResult, PhaseStats, Progress, Reply, Request, TalkPlan, TalkResult } from './ipc.js';
import { cpuSeconds, fileLimits, memory, spawnWithFileLimit, stopProcess, treeCpuSeconds, writeCalls } from './proc.js';
import { clientSpecs, expectedDeliveries, NEEDS_V2, type Scenario } from './scenarios.js';
import { profiling, ROOT, targets as allTargets, type Running, type Service, type Target, type TargetName } from './targets.js';
import { nowUs } from './stamp.js';
import type { StoreBenchResult } from './store.js';
import type { StoreCostResult } from './store-cost.js';

export interface BenchOptions {
  scenarios: Scenario[];
  targets?: TargetName[];
  /** Load-generator processes (default 2: this machine has 2 cores, and the server needs one). */
  generators?: number;
  /** Run framechat, the relay and the load generators under --cpu-prof, writing .cpuprofile files here. */
  profileDir?: string;
  log?: (line: string) => void;
}

export interface PhaseResult {
  /** Deliveries per second the talkers offered (latency phase) or achieved (throughput phase). */
  deliveriesPerSec: number;
  offeredPerSec?: number;
  sent: number;
  expected: number;
  received: number;
  lost: number;
  duplicates: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  wallSec: number;
  /** When the phase began and its last delivery arrived, in monotonic µs (the clock of CPU profiles). */
  startUs: number;
  endUs: number;
  /** Summed over a cluster's nodes. */
  serverCpuSec: number;
  /** CPU seconds of a cluster's Redis and PostgreSQL (with its backends) during the phase. */
  serviceCpuSec?: ServiceCpu;
  /** Server CPU per delivery, in µs: the machine-independent cost of a delivery. */
  serverUsPerDelivery: number;
  generatorCpuSec: number;
  /** Client connections the server closed during the phase. */
  dropped: number;
}

export type ServiceCpu = Partial<Record<Service['name'], number>>;

export interface TargetResult {
  target: TargetName;
  /** Server processes: a cluster's node count, else 1. */
  nodes: number;
  /** "ok", or why there is no result ("not installed", an error). */
  status: string;
  /** Something about how the server ran that a reader should know. */
  note?: string;
  /** The folder of the server's CPU profile (--profile). */
  profile?: string;
  clients: number;
  /** wallSec: from the first connect to the last completed login (the join storm's figure). */
  logins: {
    ok: number;
    /** On a cluster: the logins each node took. */
    perNode?: number[];
    failed: number;
    perSec: number;
    wallSec?: number;
    startUs?: number;
    endUs?: number;
    errors: string[];
  };
  /** Server CPU seconds while the clients logged in (the join storm). */
  loginCpuSec?: number;
  /** Server write system calls (syscw) while the clients logged in, and in all. */
  loginWrites?: number;
  serverWrites?: number;
  latency?: PhaseResult;
  throughput?: PhaseResult;
  broadcast?: PhaseResult;
  memory?: { baselineBytes: number; loadedBytes: number; perConnectionBytes: number; peakBytes: number };
  serverCpuSec?: number;
  serviceCpuSec?: ServiceCpu;
}

export interface ScenarioResult {
  scenario: Scenario;
  results: TargetResult[];
}

export interface BenchRun {
  startedAt: string;
  machine: { cpus: string; cores: number; memoryGiB: number; node: string; kernel: string; fileLimit: number; loadAverage: number };
  generators: number;
  scenarios: ScenarioResult[];
  /** The store's own benchmark (scripts/bench/store.ts), when it ran. */
  store?: StoreBenchResult;
  /** What one stored message costs, by part (scripts/bench/store-cost.ts), when it ran. */
  storeCost?: StoreCostResult;
}

/** How long a phase may take to deliver its last messages before the rest count as lost. */
const DRAIN_STALL_MS = 3_000;
const DRAIN_MAX_MS = 30_000;
const LOGIN_TIMEOUT_MS = 30_000;
/** The join storm's message: how long nothing may arrive before the rest count as lost. */
const BROADCAST_STALL_MS = 30_000;
/**
 * Logging everyone in is set-up, bounded like every phase: a server that needs longer than this
 * (ircd-hybrid waiting on reverse DNS, say) gets no result for the scenario rather than an
 * unbounded run. 10 000 clients in 90 s asks for 111 logins/s.
 */
const SETUP_BUDGET_MS = 90_000;
/**
 * Many rooms: 2 000 logins of 10 joins each. ngIRCd, at the 10 logins in flight its listen backlog
 * allows, did 18 logins/s on a loaded machine: 90 s was not enough.
 */
const MANY_ROOMS_SETUP_MS = 300_000;

/** One load-generator process; each request gets exactly one reply, in order. */
class GeneratorProcess {
  private readonly waiting: ((reply: Reply) => void)[] = [];
  private readonly child: ChildProcess;

  constructor(index: number, profileDir: string | undefined) {
    const script = path.join(ROOT, 'scripts/bench/loadgen.ts');
    const args = [...profiling(profileDir, `loadgen${index}`).flags, '--import', 'tsx', script];
    this.child = spawnWithFileLimit(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (reply: Reply) => this.waiting.shift()?.(reply));
    this.child.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w({ op: 'error', message: `load generator exited (${code})` });
    });
  }

  request<T extends Reply>(request: Request): Promise<T> {
    return new Promise((resolve, reject) => {
      this.waiting.push((reply) => (reply.op === 'error' ? reject(new Error(reply.message)) : resolve(reply as T)));
      this.child.send(request);
    });
  }

  /** Ask it to exit, and give it time to (a --cpu-prof profile is written on the way out). */
  async exit(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      await this.request({ op: 'exit' });
      await Promise.race([exited, sleep(5_000)]);
    } catch {
      // already gone
    }
    await stopProcess(this.child, 2_000);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface CpuReading {
  server: number;
  services?: ServiceCpu;
}

/** /proc readings over a target's server processes (summed over a cluster's nodes) and its services. */
class Meter {
  readonly servers: number[];
  private readonly services: Service[];

  constructor(running: Running) {
    this.servers = running.nodes?.map((n) => n.pid) ?? [running.pid];
    this.services = running.services ?? [];
  }

  cpu(): CpuReading {
    const server = this.sum(cpuSeconds);
    if (this.services.length === 0) return { server };
    const services: ServiceCpu = {};
    for (const s of this.services) services[s.name] = s.tree ? treeCpuSeconds(s.pid) : cpuSeconds(s.pid);
    return { server, services };
  }

  since(start: CpuReading): CpuReading {
    const now = this.cpu();
    if (!now.services) return { server: now.server - start.server };
    const services: ServiceCpu = {};
    for (const s of this.services) services[s.name] = now.services[s.name]! - start.services![s.name]!;
    return { server: now.server - start.server, services };
  }

  writes(): number {
    return this.sum(writeCalls);
  }

  /** Resident and peak memory, added over the nodes. */
  memory(): { rss: number; peak: number } {
    const all = this.servers.map(memory);
    return { rss: all.reduce((n, m) => n + m.rss, 0), peak: all.reduce((n, m) => n + m.peak, 0) };
  }

  private sum(read: (pid: number) => number): number {
    return this.servers.reduce((n, pid) => n + read(pid), 0);
  }
}

export async function runBench(options: BenchOptions): Promise<BenchRun> {
  const log = options.log ?? (() => {});
  const wanted = new Set(options.targets ?? allTargets().map((t) => t.name));
  const targets = allTargets({ profileDir: options.profileDir }).filter((t) => wanted.has(t.name));
  const generatorCount = options.generators ?? 2;
  const limit = fileLimits().hard;
  const run: BenchRun = {
    startedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      kernel: `${os.type()} ${os.release()}`,
      fileLimit: limit,
      loadAverage: os.loadavg()[0] ?? 0,
    },
    generators: generatorCount,
    scenarios: [],
  };
  const generators = Array.from({ length: generatorCount }, (_, i) => new GeneratorProcess(i, options.profileDir));
  try {
    for (const scenario of options.scenarios) {
      log(`\n${scenario.title}`);
      const results: TargetResult[] = [];
      for (const target of targets) {
        // Asked for by name, a target runs everywhere; otherwise only where it has something to say.
        if (!options.targets && target.defaultScenarios && !target.defaultScenarios.includes(scenario.name)) continue;
        const result = await runTarget(scenario, target, generators, limit, log);
        results.push(result);
      }
      run.scenarios.push({ scenario, results });
    }
  } finally {
    await Promise.all(generators.map((g) => g.exit()));
  }
  return run;
}

function emptyResult(scenario: Scenario, target: Target, status: string): TargetResult {
  return { target: target.name, status, nodes: 1, clients: scenario.clients, logins: { ok: 0, failed: 0, perSec: 0, errors: [] } };
}

async function runTarget(
  scenario: Scenario,
  target: Target,
  gens: GeneratorProcess[],
  fileLimit: number,
  log: (line: string) => void,
): Promise<TargetResult> {
  if (target.unavailable) {
    log(`  ${target.name}: ${target.unavailable}`);
    return emptyResult(scenario, target, target.unavailable);
  }
  // The server holds every client's socket; each generator holds its share.
  if (scenario.clients + 100 > fileLimit) {
    const status = `skipped: needs ${scenario.clients + 100} open files, the hard limit is ${fileLimit}`;
    log(`  ${target.name}: ${status}`);
    return emptyResult(scenario, target, status);
  }
  let running: Running;
  try {
    running = await target.start(scenario.clients);
  } catch (err) {
    log(`  ${target.name}: failed to start: ${(err as Error).message}`);
    return emptyResult(scenario, target, `failed to start: ${(err as Error).message}`);
  }
  try {
    return await measure(scenario, target, running, gens, log);
  } catch (err) {
    log(`  ${target.name}: failed: ${(err as Error).message}`);
    return emptyResult(scenario, target, `failed: ${(err as Error).message}`);
  } finally {
    await Promise.all(gens.map((g) => g.request({ op: 'disconnect' }).catch(() => undefined)));
    await running.stop();
  }
}

async function measure(
  scenario: Scenario,
  target: Target,
  running: Running,
  gens: GeneratorProcess[],
  log: (line: string) => void,
): Promise<TargetResult> {
  const meter = new Meter(running);
  await sleep(300);
  const baseline = meter.memory().rss;
  const cpuStart = meter.cpu();
  const writesStart = meter.writes();
  const result = emptyResult(scenario, target, 'ok');
  result.nodes = meter.servers.length;
  if (running.note) result.note = running.note;
  if (running.profile) result.profile = running.profile;

  // Round-robin split: every room has members in every generator, so each talker has a local observer.
  const specs = clientSpecs(scenario);
  const shares: ClientSpec[][] = gens.map(() => []);
  specs.forEach((spec, i) => shares[i % gens.length]!.push(spec));
  // Outside the storms, logins are set-up, not measurement: each server at the pace it takes best.
  // The join storm measures them at that same pace: what each server takes best is the question.
  const concurrency = scenario.kind === 'storm' ? scenario.concurrency : Math.ceil(target.setupConcurrency / gens.length);
  const joinStorm = scenario.kind === 'join-storm';
  const connected = await Promise.all(
    gens.map((g, i) =>
      g.request<ConnectResult>({
        op: 'connect',
        targets: running.nodes?.map((n) => n.address) ?? [running.address],
        clients: shares[i]!,
        talkers: specs.filter((s) => s.talker >= 0).length,
        concurrency,
        // Many rooms: a login is ten joins, behind up to 999 others' on a busy machine.
        timeoutMs: joinStorm ? scenario.loginTimeoutMs : scenario.kind === 'many-rooms' ? MANY_ROOMS_SETUP_MS : LOGIN_TIMEOUT_MS,
        budgetMs: joinStorm ? scenario.budgetMs : scenario.kind === 'many-rooms' ? MANY_ROOMS_SETUP_MS : SETUP_BUDGET_MS,
      }),
    ),
  );
  const ok = connected.reduce((n, c) => n + c.ok, 0);
  const loginUs = Math.max(...connected.map((c) => c.endUs)) - Math.min(...connected.map((c) => c.startUs));
  result.logins = {
    ok,
    ...(running.nodes ? { perNode: running.nodes.map((_, i) => connected.reduce((n, c) => n + c.okPerTarget[i]!, 0)) } : {}),
    failed: connected.reduce((n, c) => n + c.failed, 0),
    perSec: loginUs > 0 ? ok / (loginUs / 1e6) : 0,
    wallSec: loginUs / 1e6,
    startUs: Math.min(...connected.map((c) => c.startUs)),
    endUs: Math.max(...connected.map((c) => c.endUs)),
    errors: connected.flatMap((c) => c.errors).slice(0, 5),
  };
  result.loginCpuSec = meter.cpu().server - cpuStart.server;
  result.loginWrites = meter.writes() - writesStart;
  await collect(gens); // login traffic is not part of any phase
  if (result.logins.failed > 0) {
    const failed = `${result.logins.failed} of ${specs.length} logins failed: ${result.logins.errors[0] ?? ''}`;
    // In the storms, logins that fail are part of the result; elsewhere the scenario cannot run.
    if (result.logins.errors.some((e) => e.endsWith(NEEDS_V2))) {
      result.status = NEEDS_V2;
      log(`  ${target.name}: ${result.status}`);
      return result;
    } else if (scenario.kind === 'storm' || scenario.kind === 'join-storm') {
      result.note = [result.note, failed].filter(Boolean).join('; ');
    } else {
      result.status = failed;
      log(`  ${target.name}: ${result.status}`);
      return result;
    }
  }

  if (scenario.kind === 'room' || scenario.kind === 'many-rooms') {
    const plan = (mode: TalkPlan['mode'], durationMs: number): TalkPlan => ({
      mode,
      rate: scenario.rate,
      durationMs,
      window: scenario.window,
    });
    result.latency = await phase(specs, gens, meter, plan('rate', scenario.latencyMs));
    result.latency.offeredPerSec = expectedDeliveries(
      specs,
      specs.map(() => scenario.rate),
    );
    result.throughput = await phase(specs, gens, meter, plan('saturate', scenario.throughputMs));
  } else if (scenario.kind === 'join-storm') {
    // The broadcast reaches those logged in: with every login through, every other client.
    result.broadcast = await sayOnce(gens, meter, (sent) =>
      result.logins.failed === 0 ? expectedDeliveries(specs, sent) : Math.max(0, ok - 1) * sent[0]!,
    );
  } else if (scenario.kind === 'idle') {
    await sleep(scenario.settleMs);
    const loaded = meter.memory().rss;
    result.memory = { baselineBytes: baseline, loadedBytes: loaded, perConnectionBytes: (loaded - baseline) / ok, peakBytes: 0 };
    if (target.proto === 'framed') result.broadcast = await broadcast(scenario.clients, gens, meter);
  }
  const peak = meter.memory().peak;
  result.memory = {
    ...(result.memory ?? { baselineBytes: baseline, loadedBytes: meter.memory().rss, perConnectionBytes: NaN }),
    peakBytes: peak,
  };
  const used = meter.since(cpuStart);
  result.serverCpuSec = used.server;
  if (used.services) result.serviceCpuSec = used.services;
  result.serverWrites = meter.writes() - writesStart;
  log(`  ${target.name}: ${summary(result)}`);
  return result;
}

async function collect(gens: GeneratorProcess[]): Promise<PhaseStats[]> {
  return Promise.all(gens.map((g) => g.request<PhaseStats>({ op: 'collect' })));
}

/** Wait until `expected` deliveries have arrived, or none has for `stallMs`. */
async function drain(gens: GeneratorProcess[], expected: number, stallMs = DRAIN_STALL_MS): Promise<void> {
  const deadline = Date.now() + Math.max(DRAIN_MAX_MS, stallMs);
  let last = -1;
  let lastChange = Date.now();
  while (Date.now() < deadline) {
    const received = (await Promise.all(gens.map((g) => g.request<Progress>({ op: 'progress' })))).reduce((n, p) => n + p.received, 0);
    if (received >= expected) return;
    if (received !== last) [last, lastChange] = [received, Date.now()];
    else if (Date.now() - lastChange > stallMs) return;
    await sleep(25);
  }
}

/** Messages sent per global talker number, over all generators. */
function sentByTalker(talked: TalkResult[]): number[] {
  const sent: number[] = [];
  for (const t of talked) t.sent.forEach((n, i) => (sent[i] = (sent[i] ?? 0) + n));
  return sent;
}

async function phase(specs: ClientSpec[], gens: GeneratorProcess[], meter: Meter, plan: TalkPlan): Promise<PhaseResult> {
  const cpu0 = meter.cpu();
  const talked = await Promise.all(gens.map((g) => g.request<TalkResult>({ op: 'talk', plan })));
  const perTalker = sentByTalker(talked);
  const sent = perTalker.reduce((a, b) => a + b, 0);
  const expected = expectedDeliveries(specs, perTalker);
  await drain(gens, expected);
  const cpu = meter.since(cpu0);
  const startUs = Math.min(...talked.map((t) => t.startUs));
  return summarize(await collect(gens), { sent, expected, startUs, cpu });
}

/** One message from talker 0 to its room: how long until every member has it. */
async function sayOnce(gens: GeneratorProcess[], meter: Meter, expectedFor: (sent: number[]) => number): Promise<PhaseResult> {
  const cpu0 = meter.cpu();
  const talked = await Promise.all(gens.map((g) => g.request<TalkResult>({ op: 'say-once' })));
  const sent = sentByTalker(talked);
  const expected = expectedFor(sent);
  // The message queues behind the storm's last JOIN lines at every client: give it time to get through.
  await drain(gens, expected, BROADCAST_STALL_MS);
  const startUs = Math.min(...talked.map((t) => t.startUs));
  return summarize(await collect(gens), { sent: sent.reduce((a, b) => a + b, 0), expected, startUs, cpu: meter.since(cpu0) });
}

async function broadcast(clients: number, gens: GeneratorProcess[], meter: Meter): Promise<PhaseResult> {
  const cpu0 = meter.cpu();
  const startUs = nowUs();
  await gens[0]!.request({ op: 'broadcast' });
  const expected = clients - 1;
  await drain(gens, expected);
  return summarize(await collect(gens), { sent: 1, expected, startUs, cpu: meter.since(cpu0) });
}

function summarize(stats: PhaseStats[], phase: { sent: number; expected: number; startUs: number; cpu: CpuReading }): PhaseResult {
  const latency = new Histogram();
  for (const s of stats) latency.add(s.latency);
  const received = stats.reduce((n, s) => n + s.received, 0);
  const lastUs = Math.max(...stats.map((s) => s.lastUs));
  const wallSec = lastUs > phase.startUs ? (lastUs - phase.startUs) / 1e6 : 0;
  return {
    deliveriesPerSec: wallSec > 0 ? received / wallSec : 0,
    sent: phase.sent,
    expected: phase.expected,
    received,
    lost: Math.max(0, phase.expected - received),
    duplicates: stats.reduce((n, s) => n + s.duplicates, 0),
    p50Ms: latency.quantile(0.5) / 1000,
    p99Ms: latency.quantile(0.99) / 1000,
    maxMs: latency.max / 1000,
    wallSec,
    startUs: phase.startUs,
    endUs: Math.max(lastUs, phase.startUs),
    serverCpuSec: phase.cpu.server,
    ...(phase.cpu.services ? { serviceCpuSec: phase.cpu.services } : {}),
    serverUsPerDelivery: received > 0 ? (phase.cpu.server * 1e6) / received : NaN,
    generatorCpuSec: stats.reduce((n, s) => n + s.cpuUs, 0) / 1e6,
    dropped: stats.reduce((n, s) => n + s.dropped, 0),
  };
}

function summary(r: TargetResult): string {
  const parts = [`${r.logins.ok} logins at ${Math.round(r.logins.perSec)}/s in ${(r.logins.wallSec ?? 0).toFixed(1)} s`];
  if (r.latency) parts.push(`latency p99 ${r.latency.p99Ms.toFixed(2)} ms (lost ${r.latency.lost})`);
  if (r.throughput) parts.push(`${Math.round(r.throughput.deliveriesPerSec)} deliveries/s (lost ${r.throughput.lost})`);
  if (r.memory && Number.isFinite(r.memory.perConnectionBytes)) parts.push(`${Math.round(r.memory.perConnectionBytes)} B/conn`);
  if (r.broadcast) parts.push(`broadcast p99 ${r.broadcast.p99Ms.toFixed(1)} ms (lost ${r.broadcast.lost})`);
  return parts.join(', ');
}
