/**
 * Soak flags → a plan. Two profiles: `short` fits in CI (well under 30 s), `long` is the real soak
 * (hundreds of clients for ten minutes, then 10 000 connect/disconnect cycles). Any figure can be
 * overridden by its own flag.
 */
import { parseArgs } from 'node:util';

export interface SoakOptions {
  profile: 'short' | 'long';
  clients: number;
  seconds: number;
  /** Mean pause between one client's actions, in ms. */
  interval: number;
  cycles: number;
  /** Connection lives run at once in the cycle phase. */
  concurrency: number;
  /** Warm-up before the memory baseline: a shorter chat and a tenth of the cycles. */
  warmupSeconds: number;
  /** Idle time over which the RSS baseline is read (the lowest reading counts). */
  settleSeconds: number;
  /** How long RSS may take to come back to the baseline after everyone left. */
  returnSeconds: number;
  /** Allowed RSS growth from baseline to the end, in MiB (see report.ts for why there is one). */
  toleranceMiB: number;
  /** Allowed growth of the live heap (after full GC) from baseline to the end, in MiB. */
  heapToleranceMiB: number;
  rooms: number;
  /** Nodes of the cluster soak (scripts/soak/cluster.ts); 0: the single-process soak. */
  cluster: number;
  seed: number;
  json: boolean;
}

const PROFILES: Record<SoakOptions['profile'], Omit<SoakOptions, 'profile' | 'cluster' | 'seed' | 'json'>> = {
  short: {
    clients: 24,
    seconds: 6,
    interval: 60,
    cycles: 1_000,
    concurrency: 32,
    warmupSeconds: 2,
    settleSeconds: 1,
    returnSeconds: 15,
    toleranceMiB: 24,
    heapToleranceMiB: 2,
    rooms: 4,
  },
  long: {
    clients: 300,
    seconds: 600,
    interval: 500,
    cycles: 10_000,
    concurrency: 64,
    warmupSeconds: 20,
    settleSeconds: 10,
    returnSeconds: 120,
    toleranceMiB: 32,
    heapToleranceMiB: 2,
    rooms: 8,
  },
};

export const USAGE = `Usage: npm run soak -- [--profile short|long] [--clients N] [--seconds T] [--cycles N]
                      [--interval MS] [--concurrency N] [--rooms N] [--seed N] [--json]
       npm run soak -- --cluster N [--clients N] [--seconds T] [--interval MS] [--seed N] [--json]

Starts the built server, has N clients chat for T seconds (joins, says, msgs, nicks, reconnects,
abrupt disconnects), then runs connect/disconnect cycles. Verifies that every member received
every message said in its room while it was there, exactly once and in id order, and that the
server's memory returned to its baseline. Exit code 1 on any finding, 2 on bad flags.

--cluster N starts a Redis, a PostgreSQL and N nodes instead, and has the clients (at most 24)
talk in three rooms and privately while they move between nodes with since; one node is
SIGKILLed halfway and started again. Every bot must have every line once, in order.`;

export class UsageError extends Error {}

function count(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer >= ${min}`);
  return n;
}

/** Parse argv; returns undefined for --help. Throws UsageError on bad flags. */
export function parseSoakArgs(argv: string[]): SoakOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        profile: { type: 'string', default: 'short' },
        clients: { type: 'string' },
        seconds: { type: 'string' },
        interval: { type: 'string' },
        cycles: { type: 'string' },
        concurrency: { type: 'string' },
        rooms: { type: 'string' },
        seed: { type: 'string' },
        cluster: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return undefined;
  const profile = values.profile;
  if (profile !== 'short' && profile !== 'long') throw new UsageError('--profile must be short or long');
  const base = PROFILES[profile];
  const cluster = count('cluster', values.cluster, 0, 0);
  if (cluster === 1 || cluster > 9) throw new UsageError('--cluster must be 2 to 9 nodes (a move needs another node)');
  return {
    ...base,
    profile,
    clients: count('clients', values.clients, base.clients, 2),
    seconds: count('seconds', values.seconds, base.seconds, 1),
    interval: count('interval', values.interval, base.interval, 1),
    cycles: count('cycles', values.cycles, base.cycles, 0),
    concurrency: count('concurrency', values.concurrency, base.concurrency, 1),
    rooms: count('rooms', values.rooms, base.rooms, 1),
    cluster,
    seed: count('seed', values.seed, Math.floor(Math.random() * 2 ** 31), 0),
    json: values.json,
  };
}
