/**
 * The fuzz side of the wire: a socket that writes whatever it is given, half-closes, and keeps
 * every byte the server sent back; and the checks run on those bytes afterwards.
 *
 * Unlike test/helpers/raw.ts, nothing is decoded while the socket is open: a server that sent a
 * broken frame must show up as a finding, not as an exception inside a socket callback.
 */
import net from 'node:net';
import { afterEach, vi } from 'vitest';
import { decode, FrameDecoder, FrameError, MAX_FRAME_LIMIT, parseServerMessage, type ServerMessage } from '../../src/protocol/internal.js';
import type { TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw.js';

const open = new Set<net.Socket>();
afterEach(() => {
  for (const s of open) s.destroy();
  open.clear();
});

/** What one hostile connection sent and got back. */
export interface Exchange {
  /** Everything the server sent, in order. */
  received: Buffer;
  /** The server closed (or reset) the connection before we had written everything. */
  cutShort: boolean;
}

/**
 * Connect, write `chunks` one write each, half-close, and resolve once the server has closed the
 * connection. A server that never closes a half-closed connection fails the wait (timeoutMs is only
 * a guard against hanging the suite).
 */
export function exchange(port: number, chunks: Uint8Array[], timeoutMs = 10_000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const received: Buffer[] = [];
    let cutShort = false;
    const socket = net.connect({ port, host: '127.0.0.1' });
    open.add(socket);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`server did not close a half-closed connection within ${timeoutMs} ms (got ${Buffer.concat(received).length} bytes)`),
      );
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    // EPIPE / ECONNRESET: the server closed while we were still writing (it may, after an error).
    socket.on('error', () => (cutShort = true));
    socket.on('close', () => {
      clearTimeout(timer);
      open.delete(socket);
      resolve({ received: Buffer.concat(received), cutShort });
    });
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      socket.end();
    });
  });
}

/** The server's bytes to a framed client, decoded; `problems` lists anything that is not a valid frame. */
export interface Decoded {
  messages: ServerMessage[];
  problems: string[];
}

export function decodeFrames(bytes: Buffer): Decoded {
  const messages: ServerMessage[] = [];
  const problems: string[] = [];
  const decoder = new FrameDecoder((payload) => {
    try {
      messages.push(parseServerMessage(decode(payload)));
    } catch (err) {
      problems.push(`frame ${messages.length + problems.length}: ${(err as Error).message}`);
    }
  }, MAX_FRAME_LIMIT);
  try {
    decoder.push(bytes);
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    problems.push(`framing: ${err.message}`);
  }
  if (decoder.bufferedBytes > 0) problems.push(`${decoder.bufferedBytes} bytes of an incomplete frame at the end`);
  return { messages, problems };
}

/** Problems with the server's bytes to a text-mode client: must be whole UTF-8 lines ending in \r\n. */
export function textProblems(bytes: Buffer): string[] {
  const problems: string[] = [];
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    problems.push('output is not valid UTF-8');
  }
  if (bytes.length > 0 && !bytes.subarray(-2).equals(Buffer.from('\r\n'))) problems.push('output does not end with \\r\\n');
  if (bytes.includes(0)) problems.push('output contains a NUL byte');
  return problems;
}

/** Wait (polling; the timeout is a guard) until the server holds no connection, user or room. */
export async function serverEmpties(server: TestServer['server']): Promise<void> {
  await vi.waitFor(
    () => {
      const state = { connections: server.connectionCount, users: server.users.count, rooms: server.rooms.list() };
      if (state.connections !== 0 || state.users !== 0 || state.rooms.length !== 0) {
        throw new Error(`server still holds ${JSON.stringify(state)}`);
      }
    },
    { timeout: 5_000, interval: 5 },
  );
}

let controlRound = 0;

/**
 * The control check after each fuzz run: two fresh clients log in, one says something, both get it
 * with the same id; both log out and are let go. Then the server is empty again.
 */
export async function controlClientsStillChat(test: TestServer): Promise<void> {
  await serverEmpties(test.server);
  const round = ++controlRound;
  const alice = await RawClient.login(test.port, `control-a${round}`);
  const bob = await RawClient.login(test.port, `control-b${round}`);
  const text = `control round ${round}`;
  alice.send({ type: 'say', text });
  const heard = await bob.next('message', (m) => m.text === text);
  const echo = await alice.next('message', (m) => m.text === text);
  if (heard['id'] !== echo['id'] || heard['from'] !== `control-a${round}`) {
    throw new Error(`control chat went wrong: ${JSON.stringify({ heard, echo })}`);
  }
  for (const c of [alice, bob]) c.send({ type: 'logout' });
  await Promise.all([alice.next('bye'), bob.next('bye')]);
  await Promise.all([alice.waitClosed(), bob.waitClosed()]);
  await serverEmpties(test.server);
}

/** Error lines the server logged (handler or session failures): a fuzz run must cause none. */
export function loggedErrors(test: TestServer): string[] {
  return test.logs.filter((l) => /level=error/.test(l));
}
