/**
 * The connect/disconnect phase: many short connection lives of every kind a server meets (log in
 * and out, log in and vanish, connect and say nothing, half a frame, a telnet user), run a few
 * dozen at a time. Each is checked for the little it should get back; the point is what the
 * server still holds afterwards. Then a probe, through the bot API, asks the server who is left.
 */
import net from 'node:net';
import { connect, decode, encode, FrameDecoder, MAX_FRAME_LIMIT } from '../../src/protocol/internal.js';
import type { Rng } from './rng.js';

export const CYCLE_KINDS = ['logout', 'vanish', 'silent', 'half-frame', 'telnet'] as const;
export type CycleKind = (typeof CYCLE_KINDS)[number];

export interface CycleStats {
  done: number;
  byKind: Record<CycleKind, number>;
  failures: string[];
}

const CYCLE_TIMEOUT_MS = 15_000;
/** What others do in a room: it may reach a connection between its history and its bye. */
const LIVE = new Set(['joined', 'left', 'renamed', 'message', 'topic']);
let serial = 0;

/** One connection life; resolves with a problem in words, or undefined. */
function cycle(port: number, kind: CycleKind): Promise<string | undefined> {
  // Decimal: base 36 would make look-alikes ("y1" and "yl"), which the server refuses.
  const name = `y${serial++}`;
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const got: Buffer[] = [];
    let settled = false;
    const finish = (problem?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => finish(`${kind} cycle ${name} did not finish within ${CYCLE_TIMEOUT_MS} ms`), CYCLE_TIMEOUT_MS);
    socket.on('error', () => {});
    const frames: string[] = [];
    const decoder = new FrameDecoder((payload) => frames.push(String((decode(payload) as { type?: unknown }).type)), MAX_FRAME_LIMIT);
    socket.on('data', (chunk: Buffer) => {
      got.push(chunk);
      if (kind === 'vanish' || kind === 'logout') {
        try {
          decoder.push(chunk);
        } catch (err) {
          finish(`${kind} cycle ${name}: ${(err as Error).message}`);
        }
      }
      if (kind === 'vanish' && frames.includes('welcome')) finish();
      if (kind === 'telnet' && Buffer.concat(got).includes('Welcome to ')) socket.write('quit\r\n');
    });
    socket.on('close', () => {
      // A welcome, the history of each room it starts in (one: #main), then the bye. What others
      // did in #main meanwhile may come between the history and the bye (with an asynchronous
      // store the history read takes a while), never before the welcome or the history.
      if (kind === 'logout') {
        const between = frames.slice(2, -1).every((t) => LIVE.has(t));
        const ok = frames.slice(0, 2).join() === 'welcome,history' && frames.at(-1) === 'bye' && between;
        finish(ok ? undefined : `logout cycle ${name} got ${frames.join() || 'nothing'}`);
      } else if (kind === 'telnet')
        finish(Buffer.concat(got).toString('utf8').includes('Goodbye.') ? undefined : `telnet cycle ${name} got no Goodbye`);
      else finish();
    });
    socket.on('connect', () => {
      switch (kind) {
        case 'logout':
          socket.write(Buffer.concat([encode({ type: 'hello', name }), encode({ type: 'logout' })]));
          break;
        case 'vanish':
          socket.write(encode({ type: 'hello', name }));
          break;
        case 'silent':
          finish();
          break;
        case 'half-frame':
          socket.write(encode({ type: 'hello', name }).subarray(0, 6), () => finish());
          break;
        case 'telnet':
          socket.write(`login ${name}\r\n`);
          break;
      }
    });
  });
}

export async function cycles(port: number, count: number, concurrency: number, rng: Rng, stats: CycleStats): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const kind = rng.pick(CYCLE_KINDS);
      const problem = await cycle(port, kind);
      stats.done++;
      stats.byKind[kind]++;
      if (problem && stats.failures.length < 1000) stats.failures.push(problem);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export function emptyCycleStats(): CycleStats {
  return { done: 0, byKind: { logout: 0, vanish: 0, silent: 0, 'half-frame': 0, telnet: 0 }, failures: [] };
}

export interface ProbeResult {
  /** Everyone logged in, as the server reports it, besides the probe. */
  others: string[];
  rooms: { room: string; users: number }[];
}

/** Log in with the bot API and ask who and which rooms are left. */
export async function probe(port: number): Promise<ProbeResult> {
  const chat = await connect({ host: '127.0.0.1', port, name: 'probe', client: 'soak-probe' });
  try {
    const users = await chat.who();
    const rooms = await chat.rooms();
    return { others: users.users.filter((n) => n !== 'probe'), rooms: rooms.rooms };
  } finally {
    await chat.logout();
  }
}
