/**
 * The chat phase: N clients, each an actor that logs in and then, at random intervals, says
 * something, sends a private message, changes room or name, looks around, reconnects politely or
 * drops its connection (sometimes in the middle of a frame) and comes back under a fresh name.
 * At the deadline every client still online syncs and logs out, so that its stream is complete.
 */
import { SoakConnection } from './connection.js';
import type { Ledger } from './ledger.js';
import type { Rng } from './rng.js';

export interface Traffic {
  connections: number;
  says: number;
  msgs: number;
  joins: number;
  nicks: number;
  queries: number;
  reconnects: number;
  drops: number;
  dropsMidFrame: number;
  loginFailures: string[];
}

export function emptyTraffic(): Traffic {
  return { connections: 0, says: 0, msgs: 0, joins: 0, nicks: 0, queries: 0, reconnects: 0, drops: 0, dropsMidFrame: 0, loginFailures: [] };
}

export interface ChatPlan {
  port: number;
  clients: number;
  seconds: number;
  /** Mean pause between one client's actions, in ms. */
  interval: number;
  rooms: readonly string[];
}

const ACTIONS = { say: 55, msg: 10, join: 12, nick: 4, query: 4, reconnect: 3, drop: 3 } as const;
/** Pause before trying again after a failed login (a finding; the run goes on). */
const RETRY_MS = 200;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let names = 0;
/**
 * A name no one has had yet in this run (the ledger relies on it). Decimal, not base 36: the
 * server refuses look-alikes, and "u1" looks like "ul", "urn" like "um".
 */
function freshName(prefix: string): string {
  return `${prefix}${names++}`;
}

export async function chat(plan: ChatPlan, ledger: Ledger, rng: Rng, traffic: Traffic): Promise<void> {
  const deadline = Date.now() + plan.seconds * 1000;
  const online = new Set<SoakConnection>();

  const act = async (conn: SoakConnection): Promise<'again' | 'done'> => {
    while (Date.now() < deadline) {
      await sleep(rng.next() * 2 * plan.interval);
      if (!conn.isOpen) return 'again';
      switch (rng.weighted(ACTIONS)) {
        case 'say':
          traffic.says++;
          conn.say();
          break;
        case 'msg': {
          const others = [...online].filter((c) => c !== conn && c.loggedIn);
          traffic.msgs++;
          conn.msg(others.length > 0 ? rng.pick(others).name : conn.name);
          break;
        }
        case 'join':
          // Protocol v2 keeps a user in every room joined; the soak's model is one room each, so a
          // join moves: part first (nothing of the old room can arrive after our own `left`). One
          // move at a time, so that the room parted is the one we are in.
          if (conn.moving) break;
          traffic.joins++;
          conn.moving = true;
          if (conn.room !== undefined) conn.send({ type: 'part', room: conn.room });
          conn.send({ type: 'join', room: rng.pick(plan.rooms) });
          break;
        case 'nick':
          traffic.nicks++;
          conn.nick(freshName('n'));
          break;
        case 'query':
          traffic.queries++;
          conn.send({ type: rng.pick(['look', 'who', 'rooms'] as const) });
          break;
        case 'reconnect':
          traffic.reconnects++;
          online.delete(conn);
          await conn.logout();
          return 'again';
        case 'drop': {
          const midFrame = rng.next() < 0.5;
          traffic.drops++;
          if (midFrame) traffic.dropsMidFrame++;
          online.delete(conn);
          conn.drop(midFrame);
          await conn.closed;
          return 'again';
        }
      }
    }
    return 'done';
  };

  const actor = async (): Promise<void> => {
    while (Date.now() < deadline) {
      let conn: SoakConnection;
      try {
        traffic.connections++;
        conn = await SoakConnection.open(ledger, freshName('u'), plan.port);
      } catch (err) {
        traffic.loginFailures.push((err as Error).message);
        await sleep(RETRY_MS);
        continue;
      }
      online.add(conn);
      const next = await act(conn);
      online.delete(conn);
      if (next === 'done' && conn.isOpen) {
        await conn.sync();
        await conn.logout();
      }
    }
  };

  await Promise.all(Array.from({ length: plan.clients }, actor));
}
