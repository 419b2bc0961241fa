/**
 * Raw sockets for tests: a framed client that sends any bytes and records every decoded server
 * message, and a text client that speaks lines as telnet or nc would. Neither uses the bot API,
 * so the server is tested from the wire up.
 */
import net from 'node:net';
import { afterEach } from 'vitest';
import { decode, encode, FrameDecoder, MAX_FRAME_LIMIT } from '../../src/protocol/internal.js';

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
function waitUntil<T>(
  find: () => T | undefined,
  subscribe: (wake: () => void) => () => void,
  what: () => string,
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const found = find();
    if (found !== undefined) return resolve(found);
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
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

/** What both clients share: a socket, a record of what arrived, and waiting for the next match. */
abstract class Recorder<T> {
  /** Index of the first item not yet returned by take(). */
  private cursor = 0;
  private readonly listeners = new Set<() => void>();
  closed = false;

  constructor(
    readonly socket: net.Socket,
    protected readonly items: T[],
  ) {
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  protected wake(): void {
    for (const l of [...this.listeners]) l();
  }

  private readonly subscribe = (wake: () => void): (() => void) => {
    this.listeners.add(wake);
    return () => this.listeners.delete(wake);
  };

  /** The next item (after the last one taken) that matches; skips others. */
  protected take(test: (item: T) => boolean, what: () => string, timeoutMs: number): Promise<T> {
    let scanned = this.cursor; // each wake looks only at items it has not seen yet
    return waitUntil(
      () => {
        for (; scanned < this.items.length; scanned++) {
          if (test(this.items[scanned]!)) {
            this.cursor = scanned + 1;
            return this.items[scanned]!;
          }
        }
        return undefined;
      },
      this.subscribe,
      () => `${what()}${this.closed ? ' (socket closed)' : ''}`,
      timeoutMs,
    );
  }

  /** The first item found by `find`, whenever it arrived: no cursor, nothing taken. */
  protected whenever<R>(find: () => R | undefined, what: () => string, timeoutMs: number): Promise<R> {
    return waitUntil(find, this.subscribe, () => `${what()}${this.closed ? ' (socket closed)' : ''}`, timeoutMs);
  }

  /** Resolves when the server has closed the connection. */
  waitClosed(timeoutMs = 5_000): Promise<true> {
    return waitUntil(
      () => (this.closed ? true : undefined),
      this.subscribe,
      () => 'close',
      timeoutMs,
    );
  }

  close(): void {
    this.socket.destroy();
  }
}

export class RawClient extends Recorder<AnyMessage> {
  readonly messages: AnyMessage[];
  /** Answer server pings, as a well-behaved client does. */
  pongs = false;

  private constructor(socket: net.Socket) {
    const messages: AnyMessage[] = [];
    super(socket, messages);
    this.messages = messages;
    const decoder = new FrameDecoder((payload) => {
      const message = decode(payload) as AnyMessage;
      this.messages.push(message);
      if (this.pongs && message.type === 'ping') this.send({ type: 'pong', token: message['token'] });
      this.wake();
    }, MAX_FRAME_LIMIT);
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  }

  static async connect(port: number, host?: string): Promise<RawClient> {
    return new RawClient(await connectSocket(port, host));
  }

  /** Connect and log in; resolves with the welcome. */
  static async login(port: number, name: string, extra: Record<string, unknown> = {}, host?: string): Promise<RawClient> {
    const client = await RawClient.connect(port, host);
    client.send({ type: 'hello', name, ...extra });
    await client.next('welcome');
    return client;
  }

  send(message: Record<string, unknown>): void {
    this.socket.write(encode(message));
  }

  sendBytes(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next message (after the last one returned) of `type` matching `match`; skips others. */
  next(type?: string, match: (m: AnyMessage) => boolean = () => true, timeoutMs = 5_000): Promise<AnyMessage> {
    return this.take(
      (m) => (type === undefined || m.type === type) && match(m),
      () => type ?? 'any message',
      timeoutMs,
    );
  }

  /** Every room and private message received so far, live or inside a `history` page, in order. */
  chat(): AnyMessage[] {
    return this.messages.flatMap((m) =>
      m.type === 'history' ? (m['messages'] as AnyMessage[]) : m.type === 'message' || m.type === 'private' ? [m] : [],
    );
  }

  /**
   * The first message of chat() that `match` accepts, whenever it came: for a line that may be
   * delivered live or, when it was said before this client joined, in the history of the join.
   */
  heard(match: (m: AnyMessage) => boolean, timeoutMs = 5_000): Promise<AnyMessage> {
    return this.whenever(
      () => this.chat().find(match),
      () => 'a message, live or in history',
      timeoutMs,
    );
  }

  /** Round trip: everything the server sent before answering this ping has arrived. */
  async sync(timeoutMs = 5_000): Promise<void> {
    const token = `sync-${Math.random()}`;
    this.send({ type: 'ping', token });
    await this.next('pong', (m) => m.token === token, timeoutMs);
  }
}

export class TextClient extends Recorder<string> {
  readonly lines: string[];
  private partial = '';

  private constructor(socket: net.Socket) {
    const lines: string[] = [];
    super(socket, lines);
    this.lines = lines;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const parts = (this.partial + text).split('\r\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      this.wake();
    });
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
    return this.take(test, () => `line ${String(pattern)} (last lines: ${JSON.stringify(this.lines.slice(-5))})`, timeoutMs);
  }
}
