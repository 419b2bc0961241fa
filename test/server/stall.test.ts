/**
 * Flood control after a stall of the server's own: while its event loop is busy, a client that
 * keeps to half the rate queues its requests in the kernel, and the server reads them all at once
 * afterwards. That backlog is the server's doing and must not count as the client's burst.
 *
 * The server runs in this process and the stall is real: this process's event loop is blocked by a
 * busy loop. The client is a child process, so it goes on sending at its own pace meanwhile.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { decode, encode, FrameDecoder, MAX_FRAME_LIMIT } from '../../src/protocol/internal.js';
import { startServer } from '../helpers/server.js';

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/**
 * A client that knows nothing of the protocol: it connects, writes the first chunk of PACED at
 * once and, once the server has answered, one more chunk every INTERVAL ms; everything the server
 * sends comes out on stdout.
 */
const PACED_CLIENT = `
const net = require('node:net');
const chunks = JSON.parse(process.env.PACED).map((hex) => Buffer.from(hex, 'hex'));
const socket = net.connect(Number(process.env.PORT), '127.0.0.1', () => socket.write(chunks.shift()));
let timer;
socket.on('data', (d) => {
  process.stdout.write(d);
  timer ??= setInterval(() => (chunks.length > 0 ? socket.write(chunks.shift()) : clearInterval(timer)), Number(process.env.INTERVAL));
});
socket.on('close', () => process.exit(0));
`;

function pacedClient(
  port: number,
  chunks: Buffer[],
  intervalMs: number,
): { received: Record<string, unknown>[]; changed(wake: () => void): void } {
  const child = spawn(process.execPath, ['-e', PACED_CLIENT], {
    env: { ...process.env, PORT: String(port), INTERVAL: String(intervalMs), PACED: JSON.stringify(chunks.map((c) => c.toString('hex'))) },
    stdio: 'pipe',
  });
  children.push(child);
  const received: Record<string, unknown>[] = [];
  const listeners: (() => void)[] = [];
  const decoder = new FrameDecoder((payload) => {
    received.push(decode(payload) as Record<string, unknown>);
    for (const l of listeners) l();
  }, MAX_FRAME_LIMIT);
  child.stdout.on('data', (d: Buffer) => decoder.push(d));
  return { received, changed: (wake) => listeners.push(wake) };
}

function until(client: ReturnType<typeof pacedClient>, test: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (test()) return resolve();
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(client.received.slice(-3))}`)),
      timeoutMs,
    );
    client.changed(() => {
      if (test()) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** Block this process's event loop, as a slow synchronous handler in the server would. */
function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy: nothing is read, no timer fires
  }
}

describe('flood control after a server stall', () => {
  it('forgives the backlog a stall caused: a client at half the rate is never limited', async () => {
    const rate = 20;
    const { port, server } = await startServer({ rate, burst: 10 });
    const says = 50;
    const client = pacedClient(
      port,
      [encode({ type: 'hello', name: 'steady' }), ...Array.from({ length: says }, (_, i) => encode({ type: 'say', text: `s${i}` }))],
      2000 / rate, // half the rate
    );
    await until(client, () => client.received.some((m) => m.type === 'message'), 'the first echo');
    // 3 s at 10 a second is 30 requests waiting in the kernel, three times the burst.
    stall(3_000);
    const echoes = (): number => client.received.filter((m) => m.type === 'message').length;
    await until(client, () => echoes() === says || client.received.some((m) => m.type === 'bye'), `${says} echoes`);

    expect(client.received.filter((m) => m.type === 'error')).toEqual([]);
    expect(client.received.filter((m) => m.type === 'bye')).toEqual([]);
    expect(echoes()).toBe(says);
    expect(server.users.get('steady')).toBeDefined();
  }, 30_000);
});
