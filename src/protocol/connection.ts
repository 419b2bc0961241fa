/**
 * @module
 * Connection: the bot API and the terminal client's transport. Layers, bottom up (as in nats.js):
 * socket → FrameDecoder → decode + parseServerMessage → dispatch (auto-pong, replies to pending
 * requests, events) → AsyncQueue for `for await`.
 *
 * Writes made in one tick are coalesced: the socket is corked on the first write and uncorked in a
 * microtask, so a burst of sends leaves as one writev.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { decode, encode } from './codec.js';
import { ConnectionError, FrameError, ProtocolError, ServerError } from './errors.js';
import { FrameDecoder } from './frame.js';
import {
  DEFAULT_PORT,
  DEFAULT_TLS_PORT,
  MAIN_ROOM,
  MAX_FRAME_LIMIT,
  type ClientMessage,
  type ErrorMsg,
  type RenamedMsg,
  type RoomMsg,
  type RoomsListMsg,
  type ServerMessage,
  type ServerMessageOf,
  type ServerType,
  type UsersMsg,
  type WelcomeMsg,
} from './messages.js';
import { foldName, normalizeRoom } from './names.js';
import { AsyncQueue } from './queue.js';
import { parseServerMessage } from './validate.js';

export interface ConnectOptions {
  host?: string;
  /** Default 5005, or 5006 with `tls` (the ports a server with a certificate listens on). */
  port?: number;
  name: string;
  password?: string;
  /** Connect with TLS. The server certificate is verified unless `insecure` is set. */
  tls?: boolean;
  /** PEM CA certificate(s) to trust instead of the system store (a private CA or a self-signed cert). */
  ca?: string | Buffer;
  /** Skip certificate verification (testing only). */
  insecure?: boolean;
  /** Software name/version sent in `hello`. */
  client?: string;
  /** Rooms to start in (default: the server's, #main). */
  rooms?: string[];
  /** Give up if connect + login takes longer (ms). Default 10 000. */
  timeout?: number;
  /** Silence after which we ping the server (ms). Default 30 000. */
  pingInterval?: number;
  /** Further silence after our ping after which the server counts as dead (ms). Default 30 000. */
  pingTimeout?: number;
}

/** Options for say(), me() and msg(). */
export interface SendOptions {
  /**
   * Copied by the server onto its answer (docs/PROTOCOL.md "Labels"): our own copy of the
   * `message`/`private`, or the `error` that refuses the line. At most 64 bytes of UTF-8.
   */
  label?: string;
}

function labelled<T extends ClientMessage>(message: T, options: SendOptions): T {
  return options.label === undefined ? message : { ...message, label: options.label };
}

/** Module-private: what connect() feeds a Connection with; not part of the bot API. */
const RECEIVE = Symbol('receive');
const FAIL = Symbol('fail');

type Pending = { ref: string; resolve: (m: ServerMessage) => void; reject: (e: Error) => void; match: (m: ServerMessage) => boolean };

export interface ConnectionEvents {
  message: [ServerMessage];
  close: [Error | undefined];
}

/** A logged-in connection. Create it with connect(). */
export class Connection extends EventEmitter<ConnectionEvents> implements AsyncIterable<ServerMessage> {
  /** The server's welcome. */
  readonly welcome: WelcomeMsg;
  #name: string;
  #room: string;

  private readonly socket: net.Socket;
  private readonly queue: AsyncQueue<ServerMessage>;
  private readonly pending: Pending[] = [];
  private corked = false;
  private closedWith: Error | undefined;
  private isClosed = false;
  private readonly closedPromise: Promise<Error | undefined>;
  private resolveClosed!: (e: Error | undefined) => void;
  private lastHeard = Date.now();
  private pinged = false;
  private readonly liveness: NodeJS.Timeout;

  /** @internal Use connect(). */
  constructor(socket: net.Socket, welcome: WelcomeMsg, opts: ConnectOptions) {
    super();
    this.socket = socket;
    this.welcome = welcome;
    this.#name = welcome.you;
    this.#room = welcome.rooms[0]?.room ?? MAIN_ROOM;
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
    this.queue = new AsyncQueue<ServerMessage>(
      10_000,
      () => socket.pause(),
      () => socket.resume(),
    );
    socket.on('close', () => this.finish(this.closedWith));
    socket.on('error', (err) => {
      this.closedWith ??= new ConnectionError('closed', `connection lost: ${err.message}`, { cause: err });
    });
    const interval = opts.pingInterval ?? 30_000;
    const timeout = opts.pingTimeout ?? 30_000;
    this.liveness = setInterval(() => this.checkAlive(interval, timeout), Math.min(interval, timeout) / 2);
    this.liveness.unref();
  }

  /** Messages from the server, in order. One consumer at a time. */
  [Symbol.asyncIterator](): AsyncIterator<ServerMessage> {
    return this.queue[Symbol.asyncIterator]();
  }

  /** Resolves when the connection has closed: to undefined after a clean close, else to the error. Never rejects. */
  closed(): Promise<Error | undefined> {
    return this.closedPromise;
  }

  get isOpen(): boolean {
    return !this.isClosed && !this.socket.destroyed;
  }

  /** Send any client message as is. */
  send(message: ClientMessage): void {
    if (!this.isOpen) throw new ConnectionError('closed', 'connection is closed');
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      queueMicrotask(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(encode(message));
  }

  /** Say `text` in our room. With a `label`, our own copy of the `message` (or the `error` refusing it) carries it. */
  say(text: string, options: SendOptions = {}): void {
    this.send(labelled({ type: 'say', text }, options));
  }

  /** An action ("/me waves"): as say(). */
  me(text: string, options: SendOptions = {}): void {
    this.send(labelled({ type: 'say', text, action: true }, options));
  }

  /** A private message to `to`. With a `label`, our own copy of the `private` (or the `error` refusing it) carries it. */
  msg(to: string, text: string, options: SendOptions = {}): void {
    this.send(labelled({ type: 'msg', to, text }, options));
  }

  /** Move to another room ("#rust" or "rust"); resolves with the new room's member list. */
  async join(room: string): Promise<RoomMsg> {
    const target = normalizeRoom(room);
    const reply = await this.request<RoomMsg>({ type: 'join', room: target }, (m) => m.type === 'room');
    return reply;
  }

  /** Change our name; resolves when the server has announced it. */
  async nick(name: string): Promise<RenamedMsg> {
    const before = foldName(this.name);
    return this.request<RenamedMsg>({ type: 'nick', name }, (m) => m.type === 'renamed' && foldName(m.from) === before);
  }

  /** Everyone logged in on the server. */
  who(): Promise<UsersMsg> {
    return this.request<UsersMsg>({ type: 'who' }, (m) => m.type === 'users');
  }

  /** Everyone in our room. */
  look(): Promise<RoomMsg> {
    return this.request<RoomMsg>({ type: 'look' }, (m) => m.type === 'room');
  }

  /** Rooms that have people in them. */
  rooms(): Promise<RoomsListMsg> {
    return this.request<RoomsListMsg>({ type: 'rooms' }, (m) => m.type === 'rooms');
  }

  /** Round trip to the server; resolves with the time it took in ms. */
  async ping(): Promise<number> {
    const start = performance.now();
    const token = `p${Math.floor(Math.random() * 1e9)}`;
    await this.request({ type: 'ping', token }, (m) => m.type === 'pong' && m.token === token);
    return performance.now() - start;
  }

  /** Wait for the next server message of a type (optionally matching a predicate). */
  waitFor<T extends ServerType>(type: T, match: (m: ServerMessageOf<T>) => boolean = () => true, timeoutMs = 10_000): Promise<ServerMessageOf<T>> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: ServerMessage): void => {
        if (m.type === type && match(m as ServerMessageOf<T>)) {
          cleanup();
          resolve(m as ServerMessageOf<T>);
        }
      };
      const onClose = (err: Error | undefined): void => {
        cleanup();
        reject(err ?? new ConnectionError('closed', `connection closed while waiting for ${type}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new ConnectionError('timeout', `no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('message', onMessage);
        this.off('close', onClose);
      };
      this.on('message', onMessage);
      this.on('close', onClose);
    });
  }

  /** Log out: the server answers `bye` and closes; resolves once closed. */
  async logout(reason?: string): Promise<void> {
    if (this.isOpen) this.send(reason === undefined ? { type: 'logout' } : { type: 'logout', reason });
    const timer = setTimeout(() => this.socket.destroy(), 5_000);
    await this.closedPromise;
    clearTimeout(timer);
  }

  /** Close after everything already sent has been flushed: logs out, then ends the socket. */
  async close(): Promise<void> {
    if (this.isOpen) {
      this.send({ type: 'logout' });
      this.socket.end();
    }
    const timer = setTimeout(() => this.socket.destroy(), 5_000);
    await this.closedPromise;
    clearTimeout(timer);
  }

  /** Drop the connection at once, without logging out (as a crash or a pulled cable would). */
  destroy(): void {
    this.socket.destroy();
  }

  private request<T extends ServerMessage>(message: ClientMessage, match: (m: ServerMessage) => boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!this.isOpen) {
        reject(new ConnectionError('closed', 'connection is closed'));
        return;
      }
      this.pending.push({ ref: message.type, resolve: resolve as (m: ServerMessage) => void, reject, match });
      this.send(message);
    });
  }

  /** @internal Called by connect()'s decoder for every message after the welcome. */
  /** Our current name (follows nick). */
  get name(): string {
    return this.#name;
  }

  /** Our current room: the last one joined (follows join). */
  get room(): string {
    return this.#room;
  }

  /** For connect() only: the symbol is not exported, so bots cannot call it. */
  [RECEIVE](message: ServerMessage): void {
    this.lastHeard = Date.now();
    this.pinged = false;
    switch (message.type) {
      case 'ping':
        if (this.isOpen) this.send(message.token === undefined ? { type: 'pong' } : { type: 'pong', token: message.token });
        break;
      case 'renamed':
        if (foldName(message.from) === foldName(this.#name)) this.#name = message.to;
        break;
      case 'room':
        this.#room = message.room;
        break;
      case 'error':
        this.rejectPending(message);
        break;
      default:
        break;
    }
    const index = this.pending.findIndex((p) => p.match(message));
    if (index >= 0) this.pending.splice(index, 1)[0]!.resolve(message);
    this.queue.push(message);
    this.emit('message', message);
  }

  private rejectPending(error: ErrorMsg): void {
    if (error.ref === undefined) return;
    const index = this.pending.findIndex((p) => p.ref === error.ref);
    if (index >= 0) this.pending.splice(index, 1)[0]!.reject(new ServerError(error.code, error.message, error.ref));
  }

  private checkAlive(interval: number, timeout: number): void {
    const silent = Date.now() - this.lastHeard;
    if (!this.pinged && silent >= interval && this.isOpen) {
      this.pinged = true;
      this.send({ type: 'ping', token: 'alive' });
    } else if (this.pinged && silent >= interval + timeout) {
      this.closedWith = new ConnectionError('timeout', `no answer from the server for ${Math.round(silent / 1000)} s`);
      this.socket.destroy();
    }
  }

  /** @internal */
  /** For connect() only (see RECEIVE). */
  [FAIL](err: Error): void {
    this.closedWith ??= err;
    this.socket.destroy();
  }

  private finish(err: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.liveness);
    const reason = err ?? new ConnectionError('closed', 'connection closed');
    for (const p of this.pending.splice(0)) p.reject(reason);
    this.queue.stop(err);
    this.resolveClosed(err);
    this.emit('close', err);
  }
}

/**
 * Connect, log in and resolve with the Connection once the server's `welcome` arrives.
 * Rejects with ServerError (code from the server: `name_taken`, `bad_name`, `auth_failed`,
 * `server_full`, ...) or ConnectionError (`connect_failed`, `closed`, `timeout`, `tls_failed`,
 * `not_framechat`).
 */
export function connect(opts: ConnectOptions): Promise<Connection> {
  const host = opts.host ?? 'localhost';
  const port = opts.port ?? (opts.tls ? DEFAULT_TLS_PORT : DEFAULT_PORT);
  const timeoutMs = opts.timeout ?? 10_000;
  return new Promise<Connection>((resolve, reject) => {
    let connection: Connection | undefined;
    let settled = false;
    const settle = (err: Error | undefined, conn?: Connection): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(conn!);
    };
    const socket: net.Socket = opts.tls
      ? tls.connect({
          host,
          port,
          servername: net.isIP(host) ? undefined : host,
          ...(opts.ca === undefined ? {} : { ca: opts.ca }),
          rejectUnauthorized: !opts.insecure,
        })
      : net.connect({ host, port });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 15_000);
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    /** Set once hello is sent: the peer accepted the connection (and the TLS handshake). */
    let helloSent = false;
    /** Set once the peer has sent one valid framechat message: from then on it is one. */
    let spokeFramechat = false;
    const notFramechat = (why: string): ConnectionError => new ConnectionError('not_framechat', `${where} does not look like a framechat server: ${why}`);
    const timer = setTimeout(
      () =>
        settle(
          !helloSent
            ? new ConnectionError('timeout', `no answer from ${where} within ${timeoutMs} ms`)
            : spokeFramechat
              ? new ConnectionError('timeout', `no welcome from ${where} within ${timeoutMs} ms`)
              : notFramechat(`it accepted the connection but did not answer hello within ${timeoutMs / 1000} s`),
        ),
      timeoutMs,
    );

    const decoder = new FrameDecoder((payload) => {
      let message: ServerMessage;
      try {
        message = parseServerMessage(decode(payload));
      } catch (err) {
        // A type this version does not know comes from a newer server: skip it, as PROTOCOL.md asks.
        if (err instanceof ProtocolError && err.code === 'unknown_type') return;
        if (connection) connection[FAIL](err as Error);
        else if (!spokeFramechat) settle(notFramechat(`its first frame is not a framechat message (${(err as Error).message})`));
        else settle(err as Error);
        return;
      }
      spokeFramechat = true;
      if (connection) {
        connection[RECEIVE](message);
        return;
      }
      if (message.type === 'welcome') {
        connection = new Connection(socket, message, opts);
        settle(undefined, connection);
      } else if (message.type === 'error') {
        settle(new ServerError(message.code, message.message, message.ref));
      } else if (message.type === 'ping') {
        socket.write(encode(message.token === undefined ? { type: 'pong' } : { type: 'pong', token: message.token }));
      } else if (message.type === 'bye') {
        settle(new ConnectionError('closed', `server said bye (${message.reason}) before welcome`));
      }
    }, MAX_FRAME_LIMIT);

    socket.on(opts.tls ? 'secureConnect' : 'connect', () => {
      const hello: ClientMessage = { type: 'hello', name: opts.name, client: opts.client ?? 'framechat-bot/0.1' };
      if (opts.password !== undefined) hello.password = opts.password;
      if (opts.rooms !== undefined) hello.rooms = opts.rooms.map(normalizeRoom);
      helloSent = true;
      socket.write(encode(hello));
    });
    let firstChunk = true;
    socket.on('data', (chunk: Buffer) => {
      if (firstChunk) {
        firstChunk = false;
        // Every frame a framechat server sends is shorter than 16 MiB, so its stream starts with
        // 0x00; anything else (SSH's "SSH-", HTTP's "HTTP", a TLS alert) is another protocol.
        if (chunk[0] !== 0) {
          settle(notFramechat(describeForeignBytes(chunk)));
          return;
        }
      }
      try {
        decoder.push(chunk);
      } catch (err) {
        let e = err as Error;
        if (err instanceof FrameError) {
          e = !connection && !spokeFramechat ? notFramechat(`it sent a bad frame (${err.message})`) : new ProtocolError(err.code, `server sent a bad frame: ${err.message}`);
        }
        if (connection) connection[FAIL](e);
        else settle(e);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (connection) return;
      const isTls = /certificate|self[- ]signed|SSL|TLS|altnames/i.test(err.message) || (err.code ?? '').startsWith('ERR_TLS') || (err.code ?? '').includes('CERT');
      settle(
        new ConnectionError(isTls ? 'tls_failed' : 'connect_failed', `cannot connect to ${where}: ${isTls ? err.message : describeSocketError(err, host)}`, { cause: err }),
      );
    });
    socket.on('close', () => {
      if (connection) return;
      // A framechat server always says why before it closes (an error or bye frame). Hanging up
      // on our hello without a byte is what a TLS port does to a plain client.
      if (helloSent && firstChunk && !opts.tls) settle(notFramechat('it closed the connection without answering hello (if it is a TLS port, connect with TLS)'));
      else settle(new ConnectionError('closed', `${where} closed the connection before welcome`));
    });
  });
}

/** What a peer that is not a framechat server sent first, for a person to recognise it. */
function describeForeignBytes(chunk: Buffer): string {
  // A TLS record: handshake (0x16) or alert (0x15), version 3.x.
  if ((chunk[0] === 0x15 || chunk[0] === 0x16) && chunk[1] === 0x03) return 'it answered in TLS (connect with TLS)';
  const line = chunk.subarray(0, 200).toString('latin1').split(/\r?\n/)[0]!;
  if (/^[\x20-\x7e]+$/.test(line)) return `it sent "${line.length > 60 ? `${line.slice(0, 60)}…` : line}"`;
  return `it sent the bytes ${[...chunk.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

/** A socket error as a sentence; the code stays at the end for searching. */
function describeSocketError(err: NodeJS.ErrnoException, host: string): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'nothing is listening on that port (ECONNREFUSED)';
    case 'ENOTFOUND':
      return `no host named "${host}" was found (ENOTFOUND)`;
    case 'EAI_AGAIN':
      return `the name "${host}" could not be looked up right now (EAI_AGAIN)`;
    case 'ETIMEDOUT':
      return 'the host did not answer (ETIMEDOUT)';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the host cannot be reached from here (${err.code})`;
    case 'ECONNRESET':
      return `the connection was reset (ECONNRESET)`;
    default:
      return err.message;
  }
}
