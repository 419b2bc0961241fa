/**
 * The soak's result: every figure, the verdict (a list of findings; empty means pass) and the
 * printed summary.
 *
 * How memory is judged. Two readings, both from outside the server:
 * - The live heap, from heap snapshots (heap.ts): V8 collects all garbage first, so this is exact.
 *   After everyone left no Session, Outbox or decoder may be alive, no more sockets than at the
 *   baseline, and the live bytes may grow only by a small margin (code compiled on the way, the
 *   server's id counter and such), a margin far below what 10 000 leaked sessions would hold.
 * - RSS from /proc, which a garbage-collected process gives back only some time after a load: V8
 *   keeps the heap pages it grew into until its memory reducer runs, and the allocator keeps freed
 *   memory for reuse (taking a snapshot raises RSS too, so the baseline is read after the first
 *   snapshot). So after everyone left, the soak waits (up to returnSeconds) for RSS to come back
 *   within a wider margin of the baseline, and reports how long that took.
 */
import type { Traffic } from './actors.js';
import type { CycleStats, ProbeResult } from './cycles.js';
import type { HeapFigures } from './heap.js';
import type { Tally } from './ledger.js';
import type { SoakOptions } from './options.js';
import type { RestartStats } from './restart.js';
import type { Exit, ServerProcess } from './server-process.js';

const MiB = 1024 * 1024;

export interface Memory {
  /** RSS in bytes; undefined where /proc is not available. */
  fresh?: number;
  baseline?: number;
  afterChat?: number;
  /** After each quarter of the cycle phase. */
  cycles: number[];
  /** Lowest RSS while waiting (up to returnSeconds) for it to come back after everyone left. */
  final?: number;
  returnSeconds?: number;
  toleranceMiB: number;
  /** Live heap after a full GC, from heap snapshots: after the warm-up, and after everyone left. */
  heapBaseline?: HeapFigures;
  heapFinal?: HeapFigures;
  heapToleranceMiB: number;
  heapError?: string;
}

export interface SoakResult {
  options: SoakOptions;
  server: { port: number; pid: number; errors: string[]; warnings: number; exit?: Exit; died?: ServerProcess['died'] };
  seconds: { warmup: number; chat: number; cycles: number; total: number };
  traffic: Traffic;
  tally: Tally;
  problems: string[];
  cycles: CycleStats;
  probe?: ProbeResult;
  probeError?: string;
  memory: Memory;
  /** The restart phase, when it ran (the server was still alive for it). */
  restart?: RestartStats;
}

export function growthMiB(m: Memory): number | undefined {
  return m.final !== undefined && m.baseline !== undefined ? (m.final - m.baseline) / MiB : undefined;
}

/** Every finding, in words. The run passes when there is none. */
export function findings(r: SoakResult): string[] {
  const out: string[] = [];
  const t = r.tally;
  const died = r.server.died;
  // First, because every other finding of such a run is a consequence of it.
  if (died)
    out.push(
      `the server exited by itself ${died.afterSeconds.toFixed(1)} s into the run (code ${died.code}, signal ${died.signal}); the rest of the run was cut short`,
    );
  for (const [key, label] of [
    ['lost', 'messages lost'],
    ['duplicated', 'messages duplicated'],
    ['outOfOrder', 'messages out of id order'],
    ['misrouted', 'messages or events for a room the member was not in'],
    ['viewMismatches', 'disagreements about room membership'],
    ['impostors', 'messages or renames that do not match their sender'],
    ['unanswered', 'members whose says or msgs were not all answered'],
    ['unexpectedErrors', 'unexpected error replies'],
    ['badFrames', 'unreadable frames from the server'],
    ['dropped', 'connections closed by the server without a bye'],
  ] as const) {
    if (t[key] > 0) out.push(`${t[key]} ${label}`);
  }
  if (t.delivered === 0) out.push('no delivery was checked at all');
  if (r.traffic.loginFailures.length > 0)
    out.push(`${r.traffic.loginFailures.length} failed logins (first: ${r.traffic.loginFailures[0]})`);
  if (r.cycles.failures.length > 0)
    out.push(`${r.cycles.failures.length} failed connect/disconnect cycles (first: ${r.cycles.failures[0]})`);
  if (r.probeError !== undefined) out.push(`the probe could not ask the server: ${r.probeError}`);
  if (r.probe && r.probe.others.length > 0)
    out.push(`the server still lists ${r.probe.others.length} users after everyone left (${r.probe.others.slice(0, 5).join(', ')})`);
  if (r.probe && (r.probe.rooms.length !== 1 || r.probe.rooms[0]!.room !== '#main' || r.probe.rooms[0]!.users !== 1)) {
    out.push(`the server still lists rooms after everyone left: ${JSON.stringify(r.probe.rooms.slice(0, 5))}`);
  }
  const rs = r.restart;
  if (rs) {
    if (rs.error !== undefined) out.push(`the restart phase failed: ${rs.error}`);
    else if (rs.confirmed === 0) out.push('the restart phase confirmed no line at all');
    for (const [key, label] of [
      ['lost', 'lines lost across the restart'],
      ['duplicated', 'lines delivered twice across the restart'],
      ['outOfOrder', 'lines out of id order across the restart'],
      ['notRejoined', 'bots not back in all their rooms after the restart'],
    ] as const) {
      if (rs[key] > 0) out.push(`${rs[key]} ${label} (first: ${rs.problems[0]})`);
    }
  }
  if (r.server.errors.length > 0) out.push(`the server logged ${r.server.errors.length} errors (first: ${r.server.errors[0]})`);
  const exit = r.server.exit;
  if (!died && (!exit || exit.code !== 0))
    out.push(`the server did not exit cleanly on SIGTERM (${exit ? `code ${exit.code}, signal ${exit.signal}` : 'no exit'})`);
  const growth = growthMiB(r.memory);
  if (growth !== undefined && growth > r.memory.toleranceMiB)
    out.push(`RSS grew ${growth.toFixed(1)} MiB from baseline, over the ${r.memory.toleranceMiB} MiB tolerance`);
  const { heapBaseline: hb, heapFinal: hf } = r.memory;
  if (r.memory.heapError !== undefined) out.push(`no heap snapshot: ${r.memory.heapError}`);
  if (hb && hf) {
    for (const name of ['Session', 'Outbox', 'FrameDecoder', 'LineDecoder'] as const) {
      if (hf.objects[name] > 0) out.push(`${hf.objects[name]} ${name} objects still alive after everyone left`);
    }
    for (const name of ['Socket', 'TCP'] as const) {
      if (hf.objects[name] > hb.objects[name])
        out.push(`${hf.objects[name] - hb.objects[name]} more live ${name} objects than at the baseline`);
    }
    const heapGrowth = (hf.liveBytes - hb.liveBytes) / MiB;
    if (heapGrowth > r.memory.heapToleranceMiB)
      out.push(`the live heap grew ${heapGrowth.toFixed(2)} MiB, over the ${r.memory.heapToleranceMiB} MiB tolerance`);
  }
  return out;
}

const mib = (bytes: number | undefined): string => (bytes === undefined ? 'n/a' : `${(bytes / MiB).toFixed(1)} MiB`);

function heap(h: HeapFigures | undefined): string {
  if (!h) return 'n/a';
  const o = h.objects;
  return `${(h.liveBytes / MiB).toFixed(2)} MiB [Session ${o.Session}, Outbox ${o.Outbox}, Socket ${o.Socket}, TCP ${o.TCP}]`;
}

export function summary(r: SoakResult, found: string[]): string {
  const { options: o, traffic: tr, tally: t, memory: m } = r;
  const growth = growthMiB(m);
  const lines = [
    `framechat soak, profile ${o.profile}, seed ${o.seed}: ${o.clients} clients for ${o.seconds} s (after a ${o.warmupSeconds} s warm-up), then ${o.cycles} connect/disconnect cycles`,
    `server     127.0.0.1:${r.server.port}, pid ${r.server.pid}; ${r.server.warnings} warning and ${r.server.errors.length} error log lines`,
    `traffic    ${tr.connections} connection lives: ${tr.says} says, ${tr.msgs} msgs, ${tr.joins} joins, ${tr.nicks} nicks, ${tr.queries} look/who/rooms, ${tr.reconnects} reconnects, ${tr.drops} abrupt disconnects (${tr.dropsMidFrame} mid-frame)`,
    `checked    ${t.messages} room messages and ${t.privates} private messages (ids 1..${t.maxId}; ${t.unobserved} assigned but seen by nobody); ${t.delivered} deliveries present, ${t.excused} excused (in flight when a member dropped its connection)`,
    `result     lost ${t.lost}, duplicated ${t.duplicated}, out of order ${t.outOfOrder}, misrouted ${t.misrouted}, membership disagreements ${t.viewMismatches}, impostors ${t.impostors}, unanswered ${t.unanswered}, unexpected errors ${t.unexpectedErrors}, bad frames ${t.badFrames}, dropped by server ${t.dropped}`,
    `endings    ${t.endings.bye} logged out, ${t.endings.abrupt} dropped by the client, ${t.endings.dropped} closed by the server`,
    `cycles     ${r.cycles.done} in ${r.seconds.cycles.toFixed(1)} s (${Object.entries(r.cycles.byKind)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}); ${r.cycles.failures.length} failed`,
    `state      after everyone left: ${r.probe ? `${r.probe.others.length} other users, rooms ${r.probe.rooms.map((x) => `${x.room} (${x.users})`).join(', ')}` : `probe failed: ${r.probeError}`}`,
    `memory     RSS fresh ${mib(m.fresh)}, baseline ${mib(m.baseline)}, after chat ${mib(m.afterChat)}, through cycles ${m.cycles.map(mib).join(' → ') || 'n/a'}, final ${mib(m.final)}` +
      (growth === undefined
        ? ' (no /proc: not checked)'
        : ` ${(m.returnSeconds ?? 0).toFixed(1)} s after everyone left (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB vs baseline; tolerance ${m.toleranceMiB} MiB)`),
    `heap       live after full GC: baseline ${heap(m.heapBaseline)}, after everyone left ${heap(m.heapFinal)}` +
      (m.heapBaseline && m.heapFinal
        ? ` (${((m.heapFinal.liveBytes - m.heapBaseline.liveBytes) / MiB).toFixed(2)} MiB; tolerance ${m.heapToleranceMiB} MiB)`
        : ''),
    `restart    ${
      r.restart
        ? `${r.restart.bots} reconnecting bots, SIGKILL and restart halfway: ${r.restart.delivered} of ${r.restart.confirmed} expected receipts present; lost ${r.restart.lost}, duplicated ${r.restart.duplicated}, out of order ${r.restart.outOfOrder}, not rejoined ${r.restart.notRejoined} (${r.restart.seconds.toFixed(1)} s)${r.restart.error === undefined ? '' : `; failed: ${r.restart.error}`}`
        : 'n/a: the server had already exited'
    }`,
    `shutdown   ${r.server.died ? 'n/a: the server had already exited' : r.server.exit ? `SIGTERM → exit code ${r.server.exit.code} in ${r.server.exit.ms} ms` : 'n/a'}`,
    `time       ${r.seconds.total.toFixed(1)} s in all`,
  ];
  if (r.problems.length > 0) lines.push('first problems:', ...r.problems.map((p) => `  - ${p}`));
  lines.push(found.length === 0 ? 'verdict    PASS' : `verdict    FAIL: ${found.join('; ')}`);
  return lines.join('\n') + '\n';
}
