/**
 * The cluster soak (`--cluster N`): a Redis, a PostgreSQL and N built chat-server nodes, and bots
 * on the bot API spread over them that talk in every room, send each other private messages and
 * move: a bot leaves node i (a logout, or a dropped socket) and logs in to node j with `since` =
 * the last id it has of each room. Halfway one node is SIGKILLed; its bots log in elsewhere with
 * `since` (retrying while their names are still claimed by the dead node), and the node is started
 * again under its id on its port. Then everyone stops talking, waits for the last lines and logs out.
 *
 * What is checked, per bot (checkCluster, pure so the checks are tested alone):
 * - rooms: every line whose sender got its echo (so it has an id and is in the store) reached the
 *   bot exactly once, live or in a catch-up page, in id order per room (checkReceipts);
 * - privates: a confirmed private message reached its recipient at most once, and exactly once if
 *   one connection of the recipient received live ids on both sides of it (that connection was
 *   logged in when it was numbered, so it had to get it); else the recipient was between two
 *   connections and it is excused (private messages to guests are not kept: there is no catch-up);
 * - order: every connection's private messages come in id order (room lines are checked per
 *   room above: a catch-up holds a room's live lines back until its pages are in, so the mix of
 *   rooms on one connection is not in id order, by the bot API's design).
 */
import { connect, ConnectionError, ServerError, type Connection, type ServerMessage } from '../../src/protocol/internal.js';
import { startPostgres, type TestPostgres } from '../services/postgres.js';
import { startRedis, type TestRedis } from '../services/redis.js';
import { checkReceipts, emptyRestartStats, type RestartStats } from './restart.js';
import type { Rng } from './rng.js';
import { ServerProcess } from './server-process.js';

export const CLUSTER_ROOMS = ['#main', '#rust', '#go'];
const ACTIONS = { say: 70, msg: 20, move: 10 } as const;
/** A bot's login attempts in a row before it gives up (a finding): 40 s, past a dead node's claims (15 s). */
const LOGIN_ATTEMPTS = 160;
const LOGIN_RETRY_MS = 250;
const DRAIN_MS = 30_000;
const MAX_PROBLEMS = 25;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ClusterPlan {
  nodes: number;
  bots: number;
  seconds: number;
  /** Mean pause between one bot's actions, in ms. */
  interval: number;
  /** SIGKILL one node at 40 % of the time and start it again once its bots are elsewhere. */
  kill: boolean;
}

/** A confirmed private message: its sender got its echo. */
export interface SentPrivate {
  id: number;
  from: number;
  to: number;
}

/** What one bot received: per room, every id of its room stream; per connection, the live ids and the privates. */
export interface BotReceipts {
  rooms: Map<string, number[]>;
  lives: { live: number[]; privates: number[] }[];
  joined: readonly string[];
  /** `<room> <id>` → how each copy came: `connection <n> live` or `connection <n> page`, for the report. */
  sources?: Map<string, string[]>;
}

export interface ClusterStats extends RestartStats {
  nodes: number;
  moves: number;
  /** Moves that left by dropping the socket rather than logging out. */
  drops: number;
  /** Logins of bots whose node was killed under them. */
  rescues: number;
  /** Logins refused with name_taken before one worked (a killed node's claims live 15 s). */
  nameTakenRetries: number;
  says: number;
  lines: number;
  privates: { confirmed: number; delivered: number; excused: number; lost: number; duplicated: number; refused: number };
  /** Private messages received after one with a higher id, on one connection. */
  privatesOutOfOrder: number;
  killed?: { node: number; afterSeconds: number; restartedAfterSeconds?: number };
  serverErrors: string[];
  /** Exit codes of the nodes' SIGTERM at the end (0 each). */
  exits: (number | null)[];
}

export function emptyClusterStats(nodes: number, bots: number): ClusterStats {
  return {
    ...emptyRestartStats(bots),
    nodes,
    moves: 0,
    drops: 0,
    rescues: 0,
    nameTakenRetries: 0,
    says: 0,
    lines: 0,
    privates: { confirmed: 0, delivered: 0, excused: 0, lost: 0, duplicated: 0, refused: 0 },
    privatesOutOfOrder: 0,
    serverErrors: [],
    exits: [],
  };
}

/** Every check of the run, added to `stats` (see the module comment). */
export function checkCluster(
  stats: ClusterStats,
  sent: ReadonlyMap<string, readonly number[]>,
  privates: readonly SentPrivate[],
  bots: readonly BotReceipts[],
): void {
  const problem = (text: string): void => void (stats.problems.length < MAX_PROBLEMS && stats.problems.push(text));
  checkReceipts(
    stats,
    sent,
    bots.map((b) => b.rooms),
    bots.map((b) => b.joined),
    (b) => `cb${b}`,
    (b, room, id) => bots[b]!.sources?.get(`${room} ${id}`)?.join(', ') ?? '',
  );
  for (const [b, bot] of bots.entries()) {
    for (const [l, life] of bot.lives.entries()) {
      for (let i = 1; i < life.privates.length; i++)
        if (life.privates[i]! <= life.privates[i - 1]!) {
          stats.privatesOutOfOrder++;
          problem(`bot cb${b}, connection ${l}: private id ${life.privates[i]} after ${life.privates[i - 1]}`);
        }
    }
  }
  for (const p of privates) {
    stats.privates.confirmed++;
    const to = bots[p.to]!;
    let count = 0;
    let required = false;
    for (const life of to.lives) {
      count += life.privates.filter((id) => id === p.id).length;
      if (life.live.some((id) => id < p.id) && life.live.some((id) => id > p.id)) required = true;
    }
    if (count > 1) {
      stats.privates.duplicated++;
      problem(`bot cb${p.to} got private id ${p.id} from cb${p.from} ${count} times`);
    }
    if (count >= 1) stats.privates.delivered++;
    else if (required) {
      stats.privates.lost++;
      problem(`bot cb${p.to} never got private id ${p.id} from cb${p.from}, though logged in on both sides of it`);
    } else stats.privates.excused++;
  }
}

/** The services and nodes of one run. */
class Cluster {
  readonly nodes: (ServerProcess | undefined)[] = [];
  readonly ports: number[] = [];
  readonly retired: ServerProcess[] = [];
  private constructor(
    readonly redis: TestRedis,
    readonly postgres: TestPostgres,
    readonly database: string,
  ) {}

  static async start(n: number): Promise<Cluster> {
    const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    const cluster = new Cluster(redis, postgres, await postgres.createDatabase());
    // One at a time: the first migrates the schema (the others would wait on its lock anyway).
    for (let i = 0; i < n; i++) {
      const node = await ServerProcess.start(cluster.args(i));
      cluster.nodes.push(node);
      cluster.ports.push(node.port);
    }
    return cluster;
  }

  args(i: number): string[] {
    return ['--redis', this.redis.url, '--database', this.database, '--node-id', `n${i}`];
  }

  alive(i: number): boolean {
    return this.nodes[i]?.alive === true;
  }

  async kill(i: number): Promise<void> {
    const node = this.nodes[i]!;
    this.nodes[i] = undefined;
    await node.crash();
    this.retired.push(node);
  }

  async restart(i: number): Promise<void> {
    this.nodes[i] = await ServerProcess.start(this.args(i), this.ports[i]);
  }

  errors(): string[] {
    return [...this.retired, ...this.nodes].flatMap((n) => n?.errors ?? []);
  }

  async stop(): Promise<(number | null)[]> {
    const exits = await Promise.all(this.nodes.map(async (n) => (n ? (await n.stop()).code : null)));
    await this.redis.stop();
    await this.postgres.stop();
    return exits;
  }
}

/** What one bot's connections delivered, one after the other, and from that the `since` of its next login. */
export class Receiver {
  readonly receipts: BotReceipts = { rooms: new Map(CLUSTER_ROOMS.map((r) => [r, []])), lives: [], joined: [], sources: new Map() };
  /**
   * The last id of each room's stream: the `since` of the next login. 0 before any: the store is
   * the run's own and the bots are in before the first line, so all of a room is owed.
   */
  readonly last = new Map<string, number>(CLUSTER_ROOMS.map((r) => [r, 0]));
  /**
   * The reader of the last connection: it ends once that connection's queue is empty. since()
   * waits for it, so that `last` holds every line the old connection delivered: its `for await`
   * can be behind the socket (a batch read at once is taken one message per turn), and a `since`
   * read before the reader caught up asks again for lines the old connection had delivered.
   */
  private reading: Promise<void> = Promise.resolve();
  private conn: Connection | undefined;

  constructor(readonly name: string) {}

  /** The `since` of the next login. Bounded: the old connection is closed here, so its queue ends. */
  async since(): Promise<Record<string, number>> {
    this.conn?.destroy();
    await this.reading;
    // Every room, also one with nothing received yet (without it, that room's latest 50 would come again).
    return Object.fromEntries(this.last);
  }

  read(conn: Connection): void {
    this.conn = conn;
    const life = { live: [] as number[], privates: [] as number[] };
    this.receipts.lives.push(life);
    const l = this.receipts.lives.length - 1;
    const add = (room: string, id: number, how: 'live' | 'page'): void => {
      const ids = this.receipts.rooms.get(room);
      if (!ids) return;
      ids.push(id);
      const key = `${room} ${id}`;
      const sources = this.receipts.sources!;
      sources.set(key, [...(sources.get(key) ?? []), `connection ${l} ${how}`]);
      this.last.set(room, Math.max(this.last.get(room) ?? 0, id));
    };
    const take = (m: ServerMessage): void => {
      if (m.type === 'message') {
        life.live.push(m.id);
        add(m.room, m.id, 'live');
      } else if (m.type === 'private') {
        life.live.push(m.id);
        if (m.to === this.name) life.privates.push(m.id);
      } else if (m.type === 'history' && m.room !== undefined) {
        for (const h of m.messages) if (h.type === 'message') add(h.room, h.id, 'page');
      }
    };
    this.reading = (async () => {
      for await (const m of conn) take(m);
    })().catch(() => {});
  }
}

/** One bot: a name for the whole run, in every room, on one node at a time. */
class Bot {
  readonly receiver: Receiver;
  conn: Connection | undefined;
  node = -1;
  private says = 0;
  private msgs = 0;

  constructor(readonly index: number) {
    this.receiver = new Receiver(`cb${index}`);
  }

  get receipts(): BotReceipts {
    return this.receiver.receipts;
  }

  get name(): string {
    return `cb${this.index}`;
  }

  /** Log in to `node` with since, or to the next live one after a refusal; false once the attempts ran out. */
  async login(cluster: Cluster, node: number, stats: ClusterStats): Promise<boolean> {
    const n = cluster.ports.length;
    const since = await this.receiver.since();
    for (let attempt = 0; attempt < LOGIN_ATTEMPTS; attempt++) {
      const target = (node + attempt) % n;
      if (!cluster.alive(target)) continue;
      try {
        const conn = await connect({
          host: '127.0.0.1',
          port: cluster.ports[target]!,
          name: this.name,
          rooms: CLUSTER_ROOMS,
          client: 'soak-cluster',
          since,
        });
        this.conn = conn;
        this.node = target;
        this.receiver.read(conn);
        return true;
      } catch (err) {
        if (err instanceof ServerError && err.code === 'name_taken') stats.nameTakenRetries++;
        else if (!(err instanceof ConnectionError)) throw err;
        await sleep(LOGIN_RETRY_MS);
      }
    }
    return false;
  }

  /** One line in `room`: its id once the echo came, undefined when the link dropped first. */
  say(room: string): Promise<number | undefined> {
    return new Promise((resolve) => {
      try {
        this.conn!.say(`k${this.index}.${this.says++}`, { room, done: (err, m) => resolve(err ? undefined : m!.id) });
      } catch {
        resolve(undefined);
      }
    });
  }

  /** A private message: its id, 'refused' (no_such_user: the other one is between nodes), or undefined. */
  msg(to: string): Promise<number | 'refused' | undefined> {
    return new Promise((resolve) => {
      try {
        this.conn!.msg(to, `q${this.index}.${this.msgs++}`, {
          done: (err, m) => resolve(err instanceof ServerError && err.code === 'no_such_user' ? 'refused' : err ? undefined : m!.id),
        });
      } catch {
        resolve(undefined);
      }
    });
  }

  /** Wait (bounded) until this bot has `ids`' last id of every room. */
  async drain(sent: ReadonlyMap<string, readonly number[]>, deadline: number): Promise<void> {
    const done = (): boolean => [...sent].every(([room, ids]) => ids.length === 0 || (this.receiver.last.get(room) ?? 0) >= ids.at(-1)!);
    while (!done() && Date.now() < deadline) await sleep(50);
  }
}

export async function clusterSoak(plan: ClusterPlan, rng: Rng, log: (line: string) => void): Promise<ClusterStats> {
  const started = Date.now();
  const stats = emptyClusterStats(plan.nodes, plan.bots);
  const sent = new Map<string, number[]>(CLUSTER_ROOMS.map((r) => [r, []]));
  const privates: SentPrivate[] = [];
  log(`cluster: starting a Redis, a PostgreSQL and ${plan.nodes} nodes`);
  const cluster = await Cluster.start(plan.nodes);
  log(`cluster: nodes on ports ${cluster.ports.join(', ')}`);
  const bots = Array.from({ length: plan.bots }, (_, i) => new Bot(i));
  try {
    for (const bot of bots) if (!(await bot.login(cluster, bot.index % plan.nodes, stats))) throw new Error(`${bot.name} could not log in`);
    // Everyone is in every room before the first line: each line is owed to every bot.
    const deadline = Date.now() + plan.seconds * 1000;
    const killAt = Date.now() + plan.seconds * 400;
    let victim: number | undefined;

    const rescue = async (bot: Bot): Promise<void> => {
      stats.rescues++;
      if (!(await bot.login(cluster, (bot.node + 1) % plan.nodes, stats))) throw new Error(`${bot.name} could not log in again`);
    };

    const act = async (bot: Bot): Promise<void> => {
      while (Date.now() < deadline) {
        await sleep(rng.next() * 2 * plan.interval);
        if (!bot.conn!.isOpen) {
          await rescue(bot);
          continue;
        }
        switch (rng.weighted(ACTIONS)) {
          case 'say': {
            const room = rng.pick(CLUSTER_ROOMS);
            stats.says++;
            const id = await bot.say(room);
            if (id !== undefined) sent.get(room)!.push(id);
            break;
          }
          case 'msg': {
            const other = rng.pick(bots.filter((b) => b !== bot));
            const id = await bot.msg(other.name);
            if (id === 'refused') stats.privates.refused++;
            else if (id !== undefined) privates.push({ id, from: bot.index, to: other.index });
            break;
          }
          case 'move': {
            const live = cluster.ports.map((_, i) => i).filter((i) => i !== bot.node && cluster.alive(i));
            if (live.length === 0) break;
            stats.moves++;
            const conn = bot.conn!;
            if (rng.next() < 0.5) await conn.logout().catch(() => {});
            else {
              stats.drops++;
              conn.destroy();
            }
            if (!(await bot.login(cluster, rng.pick(live), stats))) throw new Error(`${bot.name} could not move`);
            break;
          }
        }
      }
    };

    const killer = async (): Promise<void> => {
      if (!plan.kill || plan.nodes < 2) return;
      await sleep(Math.max(0, killAt - Date.now()));
      // The node with the most bots, so that there are bots to rescue.
      const load = cluster.ports.map((_, i) => bots.filter((b) => b.node === i).length);
      victim = load.indexOf(Math.max(...load));
      const on = bots.filter((b) => b.node === victim).length;
      log(`cluster: SIGKILL node n${victim} (${on} bots on it)`);
      await cluster.kill(victim);
      stats.killed = { node: victim, afterSeconds: (Date.now() - started) / 1000 };
      // Its bots log in elsewhere (they wait out the dead node's name claims); then it comes back.
      const back = Date.now() + 45_000;
      while (bots.some((b) => b.node === victim) && Date.now() < back) await sleep(100);
      await cluster.restart(victim);
      stats.killed.restartedAfterSeconds = (Date.now() - started) / 1000;
      log(`cluster: node n${victim} started again on port ${cluster.ports[victim]}`);
    };

    await Promise.all([...bots.map(act), killer()]);
    // The drained check needs every bot logged in: one whose link dropped at the very end logs in again.
    for (const bot of bots) if (!bot.conn!.isOpen) await rescue(bot);
    stats.lines = [...sent.values()].reduce((n, ids) => n + ids.length, 0);
    log(`cluster: ${stats.lines} lines confirmed, ${privates.length} private messages; waiting for the last ones`);
    const drainBy = Date.now() + DRAIN_MS;
    await Promise.all(bots.map((b) => b.drain(sent, drainBy)));
    for (const bot of bots) bot.receipts.joined = bot.conn!.joinedRooms;
    await Promise.all(bots.map((b) => b.conn!.logout().catch(() => {})));
    checkCluster(
      stats,
      sent,
      privates,
      bots.map((b) => b.receipts),
    );
  } catch (err) {
    stats.error = (err as Error).message;
    for (const b of bots) b.conn?.destroy();
  }
  stats.serverErrors = cluster.errors();
  stats.exits = await cluster.stop();
  stats.seconds = (Date.now() - started) / 1000;
  return stats;
}

/** Every finding of a cluster run, in words; none means pass. */
export function clusterFindings(s: ClusterStats): string[] {
  const out: string[] = [];
  if (s.error) out.push(`the cluster soak could not run to its end: ${s.error}`);
  const counts: [number, string][] = [
    [s.lost, 'room messages lost'],
    [s.duplicated, 'room messages duplicated'],
    [s.outOfOrder, 'room messages out of id order'],
    [s.notRejoined, 'bots not back in every room'],
    [s.privates.lost, 'private messages lost'],
    [s.privates.duplicated, 'private messages duplicated'],
    [s.privatesOutOfOrder, 'private messages out of id order'],
    [s.serverErrors.length, 'error lines in the nodes’ logs'],
  ];
  for (const [n, what] of counts) if (n > 0) out.push(`${n} ${what}`);
  if (!s.error && s.confirmed === 0) out.push('no line was confirmed: the run checked nothing');
  for (const [i, code] of s.exits.entries()) if (code !== 0) out.push(`node n${i} exited with ${code} on SIGTERM`);
  return out;
}

export function clusterSummary(s: ClusterStats, found: string[]): string {
  const p = s.privates;
  const lines = [
    `cluster soak: ${s.nodes} nodes, ${s.bots} bots, ${s.seconds.toFixed(1)} s`,
    `  moves ${s.moves} (${s.drops} by a dropped socket), rescues after the kill ${s.rescues}, name_taken retries ${s.nameTakenRetries}`,
    s.killed
      ? `  killed n${s.killed.node} at ${s.killed.afterSeconds.toFixed(1)} s, started again at ${s.killed.restartedAfterSeconds?.toFixed(1) ?? '-'} s`
      : '  no node killed',
    `  room lines: ${s.says} said, ${s.lines} confirmed; receipts ${s.delivered}/${s.confirmed}, lost ${s.lost}, duplicated ${s.duplicated}, out of order ${s.outOfOrder}, not rejoined ${s.notRejoined}`,
    `  private: ${p.confirmed} confirmed, delivered ${p.delivered}, excused ${p.excused} (recipient between nodes), refused ${p.refused}, lost ${p.lost}, duplicated ${p.duplicated}`,
    `  private out of order ${s.privatesOutOfOrder}; node exits ${s.exits.join(', ')}`,
    ...s.problems.map((t) => `  problem: ${t}`),
    ...s.serverErrors.slice(0, 10).map((t) => `  node error: ${t}`),
    found.length === 0 ? 'PASS' : `FAIL\n${found.map((f) => `  - ${f}`).join('\n')}`,
  ];
  return `${lines.join('\n')}\n`;
}
