/**
 * @module
 * Read a V8 .cpuprofile (written by node --cpu-prof) and list where the time went: self time per
 * function, heaviest first, with the share of all samples. `npm run bench -- --profile` prints this
 * for the framechat server after each scenario; it can also be run on any profile:
 *
 *   node --import tsx scripts/bench/profile.ts FILE.cpuprofile [N]
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** Monotonic µs, the clock of process.hrtime (stamp.ts nowUs). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

/** Self time per function, heaviest first; only the samples in [fromUs, toUs) when given. */
export function hotSpots(file: string, top = 15, window?: { fromUs: number; toUs: number }): HotSpot[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  const where = new Map<string, string>();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at >= window.toUs)) return;
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const file = url ? url.replace(/^.*\/(node_modules|dist|src|scripts)\//, '$1/') : '';
    const key = `${name} ${file}:${lineNumber + 1}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
    where.set(key, file ? `${file}:${lineNumber + 1}` : '');
    total += delta;
  });
  return [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => ({ name: key.split(' ')[0]!, where: where.get(key) ?? '', selfMs: us / 1000, share: total > 0 ? us / total : 0 }));
}

/**
 * The main thread's profile in a process's profile folder (see profiling() in targets.ts). Node
 * names a profile CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread,
 * the others are loader threads.
 */
export function mainThreadProfile(folder: string): string | undefined {
  try {
    const file = readdirSync(folder).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
    return file && path.join(folder, file);
  } catch {
    return undefined;
  }
}

export function formatHotSpots(spots: HotSpot[]): string {
  return spots
    .map((s) => `${(s.share * 100).toFixed(1).padStart(5)} %  ${s.selfMs.toFixed(0).padStart(7)} ms  ${s.name}  ${s.where}`)
    .join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: profile.ts FILE.cpuprofile [N]\n');
    process.exit(2);
  }
  process.stdout.write(formatHotSpots(hotSpots(file, Number(top ?? 15))) + '\n');
}
