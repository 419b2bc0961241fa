/**
 * An independent framechat client, written only from docs/PROTOCOL.md with node:net and
 * @msgpack/msgpack. It must not import anything from src/: it stands for a client someone writes
 * in another language, and proves the document is enough to write one.
 */
import { decode, encode } from '@msgpack/msgpack';
import net from 'node:net';

export type Message = Record<string, unknown> & { type: string };

/** "Accept any length up to 16 MiB − 1" for server frames. */
const MAX_SERVER_FRAME = 0x00ff_ffff;

export class IndependentClient {
  /** Every message received, in order. */
  readonly received: Message[] = [];
  closed = false;
  private buffer = Buffer.alloc(0);
  private cursor = 0;
  private readonly wakers = new Set<() => void>();

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static open(port: number, host = '127.0.0.1'): Promise<IndependentClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => resolve(new IndependentClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Open and send hello; resolves with the client and its welcome (or rejects with the error). */
  static async login(
    port: number,
    name: string,
    extra: Record<string, unknown> = {},
  ): Promise<{ client: IndependentClient; welcome: Message }> {
    const client = await IndependentClient.open(port);
    client.send({ type: 'hello', name, ...extra });
    const reply = await client.next((m) => m.type === 'welcome' || m.type === 'error');
    if (reply.type === 'error') throw new Error(`login refused: ${String(reply.code)}`);
    return { client, welcome: reply };
  }

  /** One frame: 4-byte big-endian length, then one MessagePack map. */
  static frame(message: unknown): Buffer {
    const payload = encode(message);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(payload.length, 0);
    return Buffer.concat([header, payload]);
  }

  send(message: Record<string, unknown>): void {
    this.socket.write(IndependentClient.frame(message));
  }

  sendBytes(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next message after the last one returned that matches; earlier non-matching ones are skipped. */
  next(match: (m: Message) => boolean, timeoutMs = 5_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const look = (): boolean => {
        for (let i = this.cursor; i < this.received.length; i++) {
          if (match(this.received[i]!)) {
            this.cursor = i + 1;
            resolve(this.received[i]!);
            return true;
          }
        }
        return false;
      };
      if (look()) return;
      const timer = setTimeout(() => {
        this.wakers.delete(waker);
        reject(new Error(`no matching message within ${timeoutMs} ms; last: ${JSON.stringify(this.received.slice(-3))}`));
      }, timeoutMs);
      const waker = (): void => {
        if (look()) {
          clearTimeout(timer);
          this.wakers.delete(waker);
        }
      };
      this.wakers.add(waker);
    });
  }

  /** The next message of `type`. */
  nextOf(type: string, timeoutMs?: number): Promise<Message> {
    return this.next((m) => m.type === type, timeoutMs);
  }

  /** Resolves once the server has closed the connection. */
  waitClosed(timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => {
        this.wakers.delete(waker);
        reject(new Error(`connection still open after ${timeoutMs} ms`));
      }, timeoutMs);
      const waker = (): void => {
        if (!this.closed) return;
        clearTimeout(timer);
        this.wakers.delete(waker);
        resolve();
      };
      this.wakers.add(waker);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (length === 0 || length > MAX_SERVER_FRAME) throw new Error(`server sent a frame of ${length} bytes`);
      if (this.buffer.length < 4 + length) break;
      const message = decode(this.buffer.subarray(4, 4 + length)) as Message;
      this.buffer = this.buffer.subarray(4 + length);
      this.received.push(message);
      // "Clients answer ping with pong", echoing the token.
      if (message.type === 'ping') this.send(message.token === undefined ? { type: 'pong' } : { type: 'pong', token: message.token });
    }
    this.wake();
  }

  private wake(): void {
    for (const waker of [...this.wakers]) waker();
  }
}
