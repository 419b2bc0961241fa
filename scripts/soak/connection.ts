/**
 * One soak client connection: a raw socket with the protocol module's codec, feeding every
 * message it receives, in order, to the ledger. It answers server pings itself. Its life ends one
 * of three ways: `bye` after a logout, dropped by us (abrupt), or closed by the server unasked.
 */
import net from 'node:net';
import {
  decode,
  encode,
  FrameDecoder,
  MAX_FRAME_LIMIT,
  parseServerMessage,
  type ClientMessage,
  type ServerMessage,
} from '../../src/protocol/internal.js';
import type { Ledger } from './ledger.js';

/** How long to wait for a reply the server owes us before calling it a failure. */
const REPLY_TIMEOUT_MS = 30_000;

export class SoakConnection {
  readonly index: number;
  name: string;
  loggedIn = false;
  /** Resolves once the socket has closed, whoever closed it. */
  readonly closed: Promise<void>;
  private readonly socket: net.Socket;
  private droppedByUs = false;
  private gotBye = false;
  private readonly waiters = new Set<(m: ServerMessage) => boolean>();

  private constructor(
    private readonly ledger: Ledger,
    name: string,
    port: number,
  ) {
    this.name = name;
    this.index = ledger.join(name);
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.setNoDelay(true);
    const decoder = new FrameDecoder((payload) => this.onPayload(payload), MAX_FRAME_LIMIT);
    this.socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (err) {
        this.ledger.badFrame(this.index, (err as Error).message);
        this.socket.destroy();
      }
    });
    this.socket.on('error', () => {});
    this.closed = new Promise((resolve) => {
      this.socket.on('close', () => {
        this.loggedIn = false;
        this.ledger.end(this.index, this.gotBye ? 'bye' : this.droppedByUs ? 'abrupt' : 'dropped');
        for (const w of [...this.waiters]) w({ type: 'bye', reason: 'closed' });
        resolve();
      });
    });
  }

  /** Connect and log in; resolves once welcomed (rejects if the server refuses or closes). */
  static async open(ledger: Ledger, name: string, port: number): Promise<SoakConnection> {
    const conn = new SoakConnection(ledger, name, port);
    conn.send({ type: 'hello', name, client: 'soak' });
    const reply = await conn
      .wait((m) => m.type === 'welcome' || m.type === 'error' || m.type === 'bye')
      .catch((err: unknown) => {
        conn.drop(false);
        throw err;
      });
    if (reply.type !== 'welcome') {
      conn.drop(false);
      throw new Error(`login as ${name} failed: ${JSON.stringify(reply)}`);
    }
    conn.loggedIn = true;
    return conn;
  }

  get isOpen(): boolean {
    return !this.socket.destroyed && !this.gotBye;
  }

  send(message: ClientMessage): void {
    if (!this.socket.destroyed) this.socket.write(encode(message));
  }

  say(): void {
    this.send({ type: 'say', text: this.ledger.sayText(this.index) });
  }

  msg(to: string): void {
    this.send({ type: 'msg', to, text: this.ledger.msgText(this.index) });
  }

  nick(name: string): void {
    this.ledger.claim(this.index, name);
    this.send({ type: 'nick', name });
  }

  /** Round trip: everything the server sent before the pong has been fed to the ledger. */
  async sync(): Promise<void> {
    const token = `sync-${this.index}-${Date.now()}`;
    this.send({ type: 'ping', token });
    await this.wait((m) => (m.type === 'pong' && m.token === token) || (m.type === 'bye' && !this.isOpen));
  }

  /** Log out and wait for the server to close the connection. */
  async logout(): Promise<void> {
    this.send({ type: 'logout' });
    await this.closed;
  }

  /** Drop the connection without a word, optionally in the middle of a frame. */
  drop(midFrame: boolean): void {
    this.droppedByUs = true;
    this.loggedIn = false;
    if (midFrame) this.socket.write(encode({ type: 'say', text: 'never finished' }).subarray(0, 7));
    this.socket.destroy();
  }

  private onPayload(payload: Buffer): void {
    let m: ServerMessage;
    try {
      m = parseServerMessage(decode(payload));
    } catch (err) {
      this.ledger.badFrame(this.index, (err as Error).message);
      return;
    }
    if (m.type === 'bye') this.gotBye = true;
    if (m.type === 'renamed' && m.from === this.name) this.name = m.to;
    if (m.type === 'welcome') this.room = m.rooms[0]?.room;
    if (m.type === 'room') {
      this.room = m.room;
      this.moving = false;
    }
    if (m.type === 'ping') this.send(m.token === undefined ? { type: 'pong' } : { type: 'pong', token: m.token });
    this.ledger.receive(this.index, m);
    for (const w of [...this.waiters]) w(m);
  }

  /** The room this connection is in (the soak keeps each in one room: a join moves). */
  room: string | undefined;
  /** A move is on the wire: the next one waits for its answer, so the room above is current. */
  moving = false;

  private wait(match: (m: ServerMessage) => boolean): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`connection ${this.index} (${this.name}): no reply within ${REPLY_TIMEOUT_MS} ms`));
      }, REPLY_TIMEOUT_MS);
      const check = (m: ServerMessage): boolean => {
        if (!match(m)) return false;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(m);
        return true;
      };
      this.waiters.add(check);
    });
  }
}
