/**
 * Raw sockets for tests: a framed client that sends any bytes and records every decoded server
 * message, and a text client that speaks lines as telnet or nc would. Neither uses the bot API,
 * so the server is tested from the wire up.
 */
import net from 'node:net';
import { afterEach } from 'vitest';
import { decode, encode, FrameDecoder, MAX_FRAME_LIMIT } from '../../src/protocol/index.js';

type AnyMessage = Record<string, unknown> & { type: string };

const open = new Set<net.Socket>();
afterEach(() => {
  for (const s of open) s.destroy();
  open.clear();
});

function connectSocket(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host }, () => resolve(socket));
    socket.once('error', reject);
    open.add(socket);
  });
}

/** Wait until `find()` returns something, re-checking whenever `onChange` fires. */
function waitUntil<T>(find: () => T | undefined, subscribe: (wake: () => void) => () => void, what: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const found = find();
    if (found !== undefined) return resolve(found);
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const unsubscribe = subscribe(() => {
      const value = find();
      if (value !== undefined) {
        clearTimeout(timer);
        unsubscribe();
        resolve(value);
      }
    });
  });
}

export class RawClient {
  readonly messages: AnyMessage[] = [];
  /** Index of the first message not yet returned by next(). */
  private cursor = 0;
  private readonly listeners = new Set<() => void>();
  closed = false;
  /** Answer server pings, as a well-behaved client does. */
  pongs = false;

  private constructor(readonly socket: net.Socket) {
    const decoder = new FrameDecoder((payload) => {
      const message = decode(payload) as AnyMessage;
      this.messages.push(message);
      if (this.pongs && message.type === 'ping') this.send({ type: 'pong', token: message['token'] });
      this.wake();
    }, MAX_FRAME_LIMIT);
    socket.on('data', (chunk) => decoder.push(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, host?: string): Promise<RawClient> {
    return new RawClient(await connectSocket(port, host));
  }

  /** Connect and log in; resolves with the welcome. */
  static async login(port: number, name: string, extra: Record<string, unknown> = {}): Promise<RawClient> {
    const client = await RawClient.connect(port);
    client.send({ type: 'hello', name, ...extra });
    await client.next('welcome');
    return client;
  }

  private wake(): void {
    for (const l of [...this.listeners]) l();
  }

  private subscribe = (wake: () => void): (() => void) => {
    this.listeners.add(wake);
    return () => this.listeners.delete(wake);
  };

  send(message: Record<string, unknown>): void {
    this.socket.write(encode(message));
  }

  sendBytes(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next message (after the last one returned) of `type` matching `match`; skips others. */
  async next(type?: string, match: (m: AnyMessage) => boolean = () => true, timeoutMs = 5_000): Promise<AnyMessage> {
    let scanned = this.cursor; // each wake looks only at messages it has not seen yet
    return waitUntil(
      () => {
        for (; scanned < this.messages.length; scanned++) {
          const m = this.messages[scanned]!;
          if ((type === undefined || m.type === type) && match(m)) {
            this.cursor = scanned + 1;
            return m;
          }
        }
        return undefined;
      },
      this.subscribe,
      `${type ?? 'any message'}${this.closed ? ' (socket closed)' : ''}`,
      timeoutMs,
    );
  }

  /** Resolves when the server has closed the connection. */
  waitClosed(timeoutMs = 5_000): Promise<true> {
    return waitUntil(() => (this.closed ? true : undefined), this.subscribe, 'close', timeoutMs);
  }

  /** Round trip: everything the server sent before answering this ping has arrived. */
  async sync(): Promise<void> {
    const token = `sync-${Math.random()}`;
    this.send({ type: 'ping', token });
    await this.next('pong', (m) => m.token === token);
  }

  close(): void {
    this.socket.destroy();
  }
}

export class TextClient {
  readonly lines: string[] = [];
  private cursor = 0;
  private partial = '';
  private readonly listeners = new Set<() => void>();
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const parts = (this.partial + text).split('\r\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<TextClient> {
    return new TextClient(await connectSocket(port));
  }

  static async login(port: number, name: string): Promise<TextClient> {
    const client = await TextClient.connect(port);
    client.write(`login ${name}\r\n`);
    await client.expect(/^Welcome to /);
    return client;
  }

  private wake(): void {
    for (const l of [...this.listeners]) l();
  }

  private subscribe = (wake: () => void): (() => void) => {
    this.listeners.add(wake);
    return () => this.listeners.delete(wake);
  };

  write(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Send a line ending in \r\n as telnet does. */
  line(text: string): void {
    this.socket.write(`${text}\r\n`);
  }

  /** The next line (after the last one returned) matching `pattern`; skips others. */
  expect(pattern: RegExp | string, timeoutMs = 5_000): Promise<string> {
    const test = (l: string): boolean => (typeof pattern === 'string' ? l === pattern : pattern.test(l));
    let scanned = this.cursor;
    return waitUntil(
      () => {
        for (; scanned < this.lines.length; scanned++) {
          if (test(this.lines[scanned]!)) {
            this.cursor = scanned + 1;
            return this.lines[scanned]!;
          }
        }
        return undefined;
      },
      this.subscribe,
      `line ${String(pattern)} (got: ${JSON.stringify(this.lines.slice(-5))})`,
      timeoutMs,
    );
  }

  waitClosed(timeoutMs = 5_000): Promise<true> {
    return waitUntil(() => (this.closed ? true : undefined), this.subscribe, 'close', timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}
