/**
 * The restart phase: bots on the bot API with `reconnect`, a talker that keeps talking, and a
 * SIGKILL of the server halfway, which then starts again on the same port and store. Every line
 * the talker had confirmed (its own echo carries the id) must reach every bot exactly once, in id
 * order per room, whether live or in the catch-up after the reconnect (hello.since), and every bot
 * must be back in all its rooms. A line whose echo the crash swallowed is not counted either way.
 */
import { connect, ConnectionError, type Connection, type MessageMsg } from '../../src/protocol/internal.js';
import { ServerProcess } from './server-process.js';

export interface RestartStats {
  bots: number;
  /** Receipts expected (each confirmed line × each bot), and those that were there. */
  confirmed: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Bots not back in all their rooms at the end. */
  notRejoined: number;
  seconds: number;
  problems: string[];
  /** Set when the phase could not run to its end. */
  error?: string;
}

const ROOMS = ['#main', '#rust'];
const RECONNECT = { initialDelayMs: 50, maxDelayMs: 500, maxAttempts: 60 };
const WAIT_MS = 20_000;
const MAX_PROBLEMS = 10;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Each bot's ids per room, from `message` and from `history` pages, in the order delivered. */
function record(bot: Connection): Map<string, number[]> {
  const ids = new Map<string, number[]>(ROOMS.map((r) => [r, []]));
  const add = (m: MessageMsg): void => void (m.text.startsWith('r.') ? ids.get(m.room)?.push(m.id) : undefined);
  void (async () => {
    for await (const m of bot) {
      if (m.type === 'message') add(m);
      if (m.type === 'history') for (const h of m.messages) if (h.type === 'message') add(h);
    }
  })().catch(() => {});
  return ids;
}

function said(c: Connection, text: string, room: string): Promise<MessageMsg> {
  return new Promise((resolve, reject) => c.say(text, { room, done: (err, m) => (err ? reject(err) : resolve(m!)) }));
}

/**
 * Every bot against what the talker had confirmed: each id once, none missing, in id order per
 * room, and every bot in every room. Adds to `stats` (pure, so the checks are tested alone).
 */
export function checkReceipts(
  stats: RestartStats,
  sent: ReadonlyMap<string, readonly number[]>,
  got: readonly ReadonlyMap<string, readonly number[]>[],
  joined: readonly (readonly string[])[],
  botName: (b: number) => string = (b) => `rb${b}`,
  /** How bot `b` got `id` of `room` (which connections, live or in a page), for a duplicate's report. */
  sources?: (b: number, room: string, id: number) => string,
): void {
  const problem = (text: string): void => void (stats.problems.length < MAX_PROBLEMS && stats.problems.push(text));
  for (const [b, ids] of got.entries()) {
    for (const [room, expected] of sent) {
      const mine = ids.get(room) ?? [];
      stats.confirmed += expected.length;
      const count = new Map<number, number>();
      for (const id of mine) count.set(id, (count.get(id) ?? 0) + 1);
      for (const id of expected) {
        const c = count.get(id) ?? 0;
        if (c === 0) {
          stats.lost++;
          problem(`bot ${botName(b)} never got id ${id} in ${room}`);
        } else stats.delivered++;
        if (c > 1) {
          stats.duplicated++;
          const how = sources?.(b, room, id);
          problem(`bot ${botName(b)} got id ${id} in ${room} ${c} times${how ? ` (${how})` : ''}`);
        }
      }
      for (let i = 1; i < mine.length; i++)
        if (mine[i]! < mine[i - 1]!) {
          stats.outOfOrder++;
          problem(`bot ${botName(b)} got id ${mine[i]} after ${mine[i - 1]} in ${room}`);
        }
    }
    if ([...sent.keys()].some((r) => !joined[b]!.includes(r))) {
      stats.notRejoined++;
      problem(`bot ${botName(b)} is in ${joined[b]!.join(', ') || 'no room'} after the restart`);
    }
  }
}

export function emptyRestartStats(bots: number): RestartStats {
  return { bots, confirmed: 0, delivered: 0, lost: 0, duplicated: 0, outOfOrder: 0, notRejoined: 0, seconds: 0, problems: [] };
}

/** Runs the phase on `server` and returns the server it leaves running (the restarted one). */
export async function restartPhase(
  server: ServerProcess,
  o: { bots: number; lines: number },
  log: (line: string) => void,
): Promise<{ stats: RestartStats; server: ServerProcess }> {
  const started = Date.now();
  const stats = emptyRestartStats(o.bots);
  const port = server.port;
  const opts = { host: '127.0.0.1', port, rooms: ROOMS, reconnect: RECONNECT, client: 'soak-restart' };
  const bots: Connection[] = [];
  const sent = new Map<string, number[]>(ROOMS.map((r) => [r, []]));
  let current = server;
  try {
    for (let i = 0; i < o.bots; i++) bots.push(await connect({ ...opts, name: `rb${i}` }));
    const got = bots.map(record);
    const talker = await connect({ ...opts, name: 'rtalker' });
    for (let n = 0; n < o.lines; n++) {
      if (n === Math.floor(o.lines / 2)) {
        log(`restart: SIGKILL the server after ${n} lines, start it again on port ${port}`);
        await current.crash();
        current = await ServerProcess.start([], port);
      }
      const room = ROOMS[n % ROOMS.length]!;
      // Bounded: the talker is back within its own reconnect attempts, or the phase fails.
      for (let tries = 0; ; tries++) {
        try {
          sent.get(room)!.push((await said(talker, `r.${n}`, room)).id);
          break;
        } catch (err) {
          // Only a drop (the crash) is retried: the line is said again once the talker is back.
          if (tries >= 200 || !(err instanceof ConnectionError && err.code === 'disconnected')) throw err;
          await sleep(50);
        }
      }
    }
    const deadline = Date.now() + WAIT_MS;
    const complete = (): boolean => got.every((ids) => ROOMS.every((r) => ids.get(r)!.at(-1) === sent.get(r)!.at(-1)));
    while (!complete() && Date.now() < deadline) await sleep(50);
    checkReceipts(
      stats,
      sent,
      got,
      bots.map((b) => b.joinedRooms),
    );
    await talker.close();
  } catch (err) {
    stats.error = (err as Error).message;
  }
  await Promise.all(bots.map((b) => b.close()));
  stats.seconds = (Date.now() - started) / 1000;
  return { stats, server: current };
}
