/**
 * @module
 * Connection: the bot API and the terminal client's transport. Layers, bottom up (as in nats.js):
 * socket → FrameDecoder → decode + parseServerMessage → dispatch (auto-pong, replies to pending
 * requests, events) → AsyncQueue for `for await`.
 *
 * Writes made in one tick are coalesced: the socket is corked on the first write and uncorked in a
 * microtask, so a burst of sends leaves as one writev.
 *
 * History and search: `history()` and `search()` resolve with the page their label matches, and that
 * page is NOT also delivered as an event (a bot that handles `history` events would otherwise take
 * the pages it asked for for history it was sent). The `history` the server sends by itself (after
 * the welcome, after each join) does arrive on the iterator and as events, as before.
 *
 * Reconnecting (`reconnect` in ConnectOptions): one Connection outlives its sockets. When the link
 * drops (not after our own close/logout/destroy, not after a refusal that a retry cannot fix), the
 * connection says `disconnected`, rejects every pending request with ConnectionError `disconnected`,
 * and logs in again after a capped, jittered backoff with the same name, the rooms it was in
 * (hello.rooms) and `since` = the last message id it delivered of each. Then, on the iterator and
 * as events: the new `welcome`, one `history` per room with exactly the messages said meanwhile (the
 * connection fetches further pages itself while the server says `more`), and only then that room's
 * live messages. Live messages that arrive while a room's catch-up is still being fetched are held
 * and delivered after it, minus any the pages already held (the overlap), so each message comes
 * once and, per room, in id order. The iterator ends only on the final close.
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
  MAX_FRAME_LIMIT,
  type ClientMessage,
  type ErrorCode,
  type HistoryMsg,
  type BansListMsg,
  type ModeratedMsg,
  type RegisteredMsg,
  type HistoryRequestMsg,
  type LeftMsg,
  MAX_LABEL_BYTES,
  type MessageMsg,
  type PrivateMsg,
  type RenamedMsg,
  type ResultsMsg,
  type RoomMsg,
  type RoomsListMsg,
  type SearchMsg,
  type TopicMsg,
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
  /** The server's password, if it has one. */
  password?: string;
  /** Log in to the account registered under `name` (hello.auth). */
  account?: { password: string };
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
  /**
   * Catch-up at login: room → the last message id the bot has of it (hello.since). That room's
   * `history` after the welcome is then what came after it, every page of it (see reconnect).
   */
  since?: Record<string, number>;
  /**
   * Log in again by itself when the connection drops (`true`: the defaults of ReconnectOptions).
   * Off by default: then a drop ends the connection, as before.
   */
  reconnect?: boolean | ReconnectOptions;
}

/** How a connection retries after a drop: attempt n waits between half and all of min(maxDelayMs, initialDelayMs × 2^(n-1)). */
export interface ReconnectOptions {
  /** Default 500. */
  initialDelayMs?: number;
  /** Default 30 000. */
  maxDelayMs?: number;
  /** Give up after this many failed attempts in a row (closed() then resolves to a `reconnect_failed` ConnectionError). Default: no limit. */
  maxAttempts?: number;
}

/** What the `reconnecting` event says, before each attempt's wait. */
export interface ReconnectAttempt {
  /** 1 for the first attempt after a drop. */
  attempt: number;
  delayMs: number;
  /** Why the link dropped (attempt 1) or why the previous attempt failed. */
  error: Error;
}

/** Options for history(): a page before or after an id (not both), or the latest. */
export interface HistoryOptions extends SendOptions {
  before?: number;
  after?: number;
  /** At most the server's `welcome.limits.historyLimit`. */
  limit?: number;
}

/** Options for search(). */
export interface SearchOptions extends SendOptions {
  /** One of our rooms (default: all of them). */
  room?: string;
  /** Only what this name said. */
  from?: string;
  /** The next page: matches older than this id (the last id of the previous page). */
  before?: number;
  limit?: number;
}

/** Options for say(), me() and msg(). */
export interface SendOptions {
  /**
   * Copied by the server onto its answer (docs/PROTOCOL.md "Labels"): our own copy of the
   * `message`/`private`, or the `error` that refuses the line. At most 64 bytes of UTF-8, and not
   * one that is still waiting for its answer. With `done` and no label, the connection picks one.
   */
  label?: string;
}

/** Options for say(), me() and msg(). */
export interface LineOptions<A extends ServerMessage> extends SendOptions {
  /** Called once, with our own copy of the line, or with the ServerError refusing it (or a ConnectionError). */
  done?: (err: Error | undefined, answer?: A) => void;
}

/** Options for say() and me(). */
export interface SayOptions extends LineOptions<MessageMsg> {
  /** The room to say it in (one we are in; "#rust" or "rust"). Default: our current room (`room`). */
  room?: string;
}

/** Auto labels start with this, so that they read as ours in a capture. */
const AUTO_LABEL = 'fc.';

/** `base` with the fields of `extra` that are defined. */
function withDefined<T extends ClientMessage>(base: T, extra: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined && value !== '') out[key] = value;
  return out as T;
}

/** Module-private: what connect() feeds a Connection with; not part of the bot API. */
const RECEIVE = Symbol('receive');
const FAIL = Symbol('fail');

/** A request waiting for its answer: the labelled message of type `answer`, or the labelled error. */
type Pending = {
  answer: ServerType;
  resolve: (m: ServerMessage) => void;
  reject: (e: Error) => void;
  /** The answer goes to its request only, not to the iterator and events (history, search). */
  quiet?: boolean;
};

/** Refusals of a login that the same login cannot overcome by trying again (a taken name can be our old session). */
const FATAL_LOGIN = new Set<ErrorCode>([
  'auth_failed',
  'bad_name',
  'bad_room',
  'bad_request',
  'too_many_rooms',
  'login_failed',
  'name_reserved',
  'account_required',
  'banned',
]);
/** Catch-up pages fetched per room after one reconnect at most (with the default limit, 10 000 messages). */
const MAX_CATCH_UP_PAGES = 50;

/** A room's catch-up after a login with `since`: live messages wait here until its pages are in. */
interface CatchUp {
  held: MessageMsg[];
  pages: number;
}

export interface ConnectionEvents {
  message: [ServerMessage];
  /** The final close: after close()/logout()/destroy(), a fatal refusal, or giving up reconnecting. */
  close: [Error | undefined];
  /** The link dropped and the connection will log in again (only with `reconnect`). */
  disconnected: [Error];
  /** Before each reconnect attempt's wait. */
  reconnecting: [ReconnectAttempt];
  /** Logged in again; the new welcome (also delivered as a message). */
  reconnected: [WelcomeMsg];
}

/** A logged-in connection. Create it with connect(). */
export class Connection extends EventEmitter<ConnectionEvents> implements AsyncIterable<ServerMessage> {
  #welcome: WelcomeMsg;
  #name: string;
  /** Our rooms, as the server names them, in the order we joined them; replaced, never mutated. */
  #rooms: readonly string[];
  /** Where say() goes without a room: the last joined (set when join() is sent), else the first room. */
  #current: string | undefined;

  /** The current link; replaced by a reconnect, never by anything else. */
  private socket: net.Socket;
  private readonly opts: ConnectOptions;
  private readonly queue: AsyncQueue<ServerMessage>;
  /** Requests waiting for an answer, by label: the only way an answer is matched to its request. */
  private readonly pending = new Map<string, Pending>();
  private nextLabel = 1;
  /** join() calls still waiting: while there are any, the last one sent names the current room. */
  private joining = 0;
  private corked = false;
  /** Why the current link is going down, when we know (a socket error, a ping timeout, a bad frame). */
  private closedWith: Error | undefined;
  /** The `bye` of the current link, if the server said one. */
  private bye: string | undefined;
  private isClosed = false;
  /** Set by close()/logout()/destroy(): the link going down is the end, not a drop. */
  private closing = false;
  /** While reconnecting: aborts the wait or the login under way when we close. */
  private retrying: AbortController | undefined;
  private readonly closedPromise: Promise<Error | undefined>;
  private resolveClosed!: (e: Error | undefined) => void;
  private lastHeard = Date.now();
  private pinged = false;
  private readonly liveness: NodeJS.Timeout;
  /** Folded room → the last message id delivered of it (0: none yet): the `since` of a reconnect. */
  private readonly seen = new Map<string, number>();
  /** The largest message id delivered, of any room or private. */
  private maxId = 0;
  /** Folded room → its catch-up, while one is under way. */
  private readonly catchingUp = new Map<string, CatchUp>();

  /** @internal Use connect(). */
  constructor(socket: net.Socket, welcome: WelcomeMsg, opts: ConnectOptions) {
    super();
    this.socket = socket;
    this.opts = opts;
    this.#welcome = welcome;
    this.#name = welcome.you;
    this.#rooms = Object.freeze([]);
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
    this.queue = new AsyncQueue<ServerMessage>(
      10_000,
      () => this.socket.pause(),
      () => this.socket.resume(),
    );
    this.attach(socket, welcome, opts.since);
    const interval = opts.pingInterval ?? 30_000;
    const timeout = opts.pingTimeout ?? 30_000;
    this.liveness = setInterval(() => this.checkAlive(interval, timeout), Math.min(interval, timeout) / 2);
    this.liveness.unref();
  }

  /** The server's welcome: the latest one, after a reconnect. */
  get welcome(): WelcomeMsg {
    return this.#welcome;
  }

  /** Messages from the server, in order; across reconnects, until the final close. One consumer at a time. */
  [Symbol.asyncIterator](): AsyncIterator<ServerMessage> {
    return this.queue[Symbol.asyncIterator]();
  }

  /** Resolves when the connection has closed for good: to undefined after a clean close, else to the error. Never rejects. */
  closed(): Promise<Error | undefined> {
    return this.closedPromise;
  }

  get isOpen(): boolean {
    return !this.isClosed && !this.socket.destroyed;
  }

  /** True between a drop and the next welcome (or the final close), with `reconnect` only. */
  get isReconnecting(): boolean {
    return this.retrying !== undefined;
  }

  /** Send any client message as is. */
  send(message: ClientMessage): void {
    if (!this.isOpen) throw this.notOpen();
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

  /**
   * Say `text` in `options.room`, or in our current room (`room`). With `done`, it is called with
   * our own copy of the `message`, or with the ServerError that refuses it (`not_in_room`,
   * `rate_limited`, ...). Throws ConnectionError when closed, ProtocolError for a bad label.
   */
  say(text: string, options: SayOptions = {}): void {
    this.line({ type: 'say', ...this.sayRoom(options), text }, 'message', options);
  }

  /** An action ("/me waves"): as say(). */
  me(text: string, options: SayOptions = {}): void {
    this.line({ type: 'say', ...this.sayRoom(options), text, action: true }, 'message', options);
  }

  /** A private message to `to`; `done` gets our own copy of the `private` (or `no_such_user`, ...). */
  msg(to: string, text: string, options: LineOptions<PrivateMsg> = {}): void {
    this.line({ type: 'msg', to, text }, 'private', options);
  }

  /**
   * Join a room too ("#rust" or "rust"), and make it our current room; we stay in the others.
   * Resolves with the room's state (topic, members). Rejects with ServerError: `bad_room`,
   * `too_many_rooms`. Joining a room we are in just answers its state.
   */
  async join(room: string, options: SendOptions = {}): Promise<RoomMsg> {
    const target = normalizeRoom(room);
    const before = this.#current;
    // Set before the answer: the server handles our requests in order, so a say() right after an
    // unawaited join() already goes to the new room.
    this.#current = target;
    this.joining++;
    try {
      const reply = await this.request<RoomMsg>({ type: 'join', room: target }, 'room', options.label);
      if (this.#current === target) this.#current = reply.room;
      return reply;
    } catch (err) {
      if (this.#current === target) this.#current = before !== undefined && this.isIn(before) ? before : this.#rooms.at(-1);
      throw err;
    } finally {
      this.joining--;
    }
  }

  /** Leave `room`, with a `reason` for the others if given. Resolves with our own `left`; rejects with `not_in_room`. */
  part(room: string, reason?: string, options: SendOptions = {}): Promise<LeftMsg> {
    const message: ClientMessage =
      reason === undefined ? { type: 'part', room: normalizeRoom(room) } : { type: 'part', room: normalizeRoom(room), reason };
    return this.request<LeftMsg>(message, 'left', options.label);
  }

  /**
   * Without `text`, ask for `room`'s topic (any room); with it, set it (`""` clears; members only).
   * Resolves with the `topic` reply (`text: ""`, `by: ""`, `ts: 0` when there is none).
   */
  topic(room: string, text?: string, options: SendOptions = {}): Promise<TopicMsg> {
    const message: ClientMessage =
      text === undefined ? { type: 'topic', room: normalizeRoom(room) } : { type: 'topic', room: normalizeRoom(room), text };
    return this.request<TopicMsg>(message, 'topic', options.label);
  }

  // ---- accounts and moderation ----

  /**
   * Register our current name as an account (and log in to it). Rejects with ServerError:
   * `weak_password`, `name_registered`, `registration_closed`, `server_busy`.
   */
  register(password: string, options: SendOptions = {}): Promise<RegisteredMsg> {
    return this.request<RegisteredMsg>({ type: 'register', password }, 'registered', options.label);
  }

  /**
   * Kick `name` out of `room`, or without `room` off the server (operators). Resolves with the
   * `moderated` answer; rejects with ServerError: `not_operator`, `no_such_user`, `not_in_room`.
   */
  kick(name: string, options: SendOptions & { room?: string; reason?: string } = {}): Promise<ModeratedMsg> {
    return this.request<ModeratedMsg>(
      withDefined({ type: 'kick', name }, { room: options.room && normalizeRoom(options.room), reason: options.reason }),
      'moderated',
      options.label,
    );
  }

  /** Ban a name or an address from `room` or the server, for `duration` seconds or until lifted. */
  ban(
    target: { name: string } | { address: string },
    options: SendOptions & { room?: string; duration?: number; reason?: string } = {},
  ): Promise<ModeratedMsg> {
    return this.request<ModeratedMsg>(
      withDefined(
        { type: 'ban', ...target },
        { room: options.room && normalizeRoom(options.room), duration: options.duration, reason: options.reason },
      ),
      'moderated',
      options.label,
    );
  }

  /** Lift a ban; rejects with ServerError `no_such_ban` when none is in force. */
  unban(target: { name: string } | { address: string }, options: SendOptions & { room?: string } = {}): Promise<ModeratedMsg> {
    return this.request<ModeratedMsg>(
      withDefined({ type: 'unban', ...target }, { room: options.room && normalizeRoom(options.room) }),
      'moderated',
      options.label,
    );
  }

  /** The bans in force on the server (or in `room`), at most 100. */
  bans(options: SendOptions & { room?: string } = {}): Promise<BansListMsg> {
    return this.request<BansListMsg>(
      withDefined({ type: 'bans' }, { room: options.room && normalizeRoom(options.room) }),
      'bans',
      options.label,
    );
  }

  /** `name` may not say anything in `room` for `duration` seconds (or until unmute). */
  mute(room: string, name: string, options: SendOptions & { duration?: number } = {}): Promise<ModeratedMsg> {
    return this.request<ModeratedMsg>(
      withDefined({ type: 'mute', room: normalizeRoom(room), name }, { duration: options.duration }),
      'moderated',
      options.label,
    );
  }

  unmute(room: string, name: string, options: SendOptions = {}): Promise<ModeratedMsg> {
    return this.request<ModeratedMsg>({ type: 'unmute', room: normalizeRoom(room), name }, 'moderated', options.label);
  }

  // ---- end accounts and moderation ----

  /** Change our name; resolves when the server has announced it. */
  nick(name: string, options: SendOptions = {}): Promise<RenamedMsg> {
    return this.request<RenamedMsg>({ type: 'nick', name }, 'renamed', options.label);
  }

  /** Everyone logged in on the server. */
  who(options: SendOptions = {}): Promise<UsersMsg> {
    return this.request<UsersMsg>({ type: 'who' }, 'users', options.label);
  }

  /** Who is in `room` (any room), or in our current room; rejects with `not_in_room` when we are in none. */
  look(room?: string, options: SendOptions = {}): Promise<RoomMsg> {
    const target = room === undefined ? this.#current : normalizeRoom(room);
    return this.request<RoomMsg>(target === undefined ? { type: 'look' } : { type: 'look', room: target }, 'room', options.label);
  }

  /** Rooms that have people in them. */
  rooms(options: SendOptions = {}): Promise<RoomsListMsg> {
    return this.request<RoomsListMsg>({ type: 'rooms' }, 'rooms', options.label);
  }

  /**
   * A page of history: of `{ room }` (one we are in) or of the private conversation `{ with: name }`;
   * the latest `limit`, or those `before` or `after` an id. Resolves with the `history` (messages
   * oldest first; `more`: older ones exist beyond it, or newer ones with `after`). The page goes to
   * this promise only, not to the iterator and events. Rejects with ServerError: `not_in_room`,
   * `bad_room`, `bad_name`, `bad_request`, `rate_limited`.
   */
  history(target: { room: string } | { with: string }, options: HistoryOptions = {}): Promise<HistoryMsg> {
    const message: HistoryRequestMsg =
      'room' in target ? { type: 'history', room: normalizeRoom(target.room) } : { type: 'history', with: target.with };
    if (options.before !== undefined) message.before = options.before;
    if (options.after !== undefined) message.after = options.after;
    if (options.limit !== undefined) message.limit = options.limit;
    return this.request<HistoryMsg>(message, 'history', options.label, true);
  }

  /**
   * Search the rooms we are in (or `room`) for `text`, plain words (no character is query syntax).
   * Resolves with `results`: newest first, `more` when older matches exist (ask again with `before`
   * the last id). Not delivered as an event. Rejects with ServerError: `not_in_room`, `bad_room`,
   * `bad_name`, `bad_text`, `text_too_long`, `bad_request`, `rate_limited`.
   */
  search(text: string, options: SearchOptions = {}): Promise<ResultsMsg> {
    const message: SearchMsg = { type: 'search', text };
    if (options.room !== undefined) message.room = normalizeRoom(options.room);
    if (options.from !== undefined) message.from = options.from;
    if (options.before !== undefined) message.before = options.before;
    if (options.limit !== undefined) message.limit = options.limit;
    return this.request<ResultsMsg>(message, 'results', options.label, true);
  }

  /** Round trip to the server; resolves with the time it took in ms. */
  async ping(): Promise<number> {
    const start = performance.now();
    await this.request({ type: 'ping' }, 'pong');
    return performance.now() - start;
  }

  /** Wait for the next server message of a type (optionally matching a predicate). */
  waitFor<T extends ServerType>(
    type: T,
    match: (m: ServerMessageOf<T>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<ServerMessageOf<T>> {
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

  /** Log out: the server answers `bye` and closes; resolves once closed. Never reconnects afterwards. */
  async logout(reason?: string): Promise<void> {
    this.closing = true;
    if (this.isOpen) this.send(reason === undefined ? { type: 'logout' } : { type: 'logout', reason });
    else this.retrying?.abort();
    const timer = setTimeout(() => this.socket.destroy(), 5_000);
    await this.closedPromise;
    clearTimeout(timer);
  }

  /** Close after everything already sent has been flushed: logs out, then ends the socket. Stops reconnecting. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.isOpen) {
      this.send({ type: 'logout' });
      this.socket.end();
    } else this.retrying?.abort();
    const timer = setTimeout(() => this.socket.destroy(), 5_000);
    await this.closedPromise;
    clearTimeout(timer);
  }

  /** Drop the connection at once, without logging out (as a crash or a pulled cable would). Never reconnects. */
  destroy(): void {
    this.closing = true;
    this.retrying?.abort();
    this.socket.destroy();
  }

  /** say/me/msg: throw when closed or given a bad label (as send() does); settle `done` if given. */
  private line<A extends ServerMessage>(message: ClientMessage, answer: ServerType, options: LineOptions<A>): void {
    if (!this.isOpen) throw this.notOpen();
    this.checkLabel(message.type, options.label);
    const { done } = options;
    if (done === undefined) {
      this.send(options.label === undefined ? message : { ...message, label: options.label });
      return;
    }
    this.request<A>(message, answer, options.label).then(
      (m) => done(undefined, m),
      (err: Error) => done(err),
    );
  }

  /** Send `message` with a label nobody is waiting on, and settle from the answer carrying it. */
  private request<T extends ServerMessage>(message: ClientMessage, answer: ServerType, label?: string, quiet = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!this.isOpen) {
        reject(this.notOpen());
        return;
      }
      this.checkLabel(message.type, label);
      this.ask(message, { answer, resolve: resolve as (m: ServerMessage) => void, reject, quiet }, label);
    });
  }

  /** Send `message` labelled (`label` or a fresh one) and wait for its answer in `pending`. */
  private ask(message: ClientMessage, waiting: Pending, label?: string): void {
    const key = label ?? this.freshLabel();
    this.pending.set(key, waiting);
    try {
      this.send({ ...message, label: key });
    } catch (err) {
      this.pending.delete(key);
      throw err;
    }
  }

  /** The error for a request made while there is no link: for good, or until the reconnect. */
  private notOpen(): ConnectionError {
    return this.retrying !== undefined && !this.isClosed
      ? new ConnectionError('disconnected', 'not connected: the connection dropped and is reconnecting')
      : new ConnectionError('closed', 'connection is closed');
  }

  private checkLabel(type: string, label: string | undefined): void {
    if (label === undefined) return;
    // The server refuses a bad label with an unlabelled error, which could never settle a request.
    if (Buffer.byteLength(label, 'utf8') > MAX_LABEL_BYTES)
      throw new ProtocolError('bad_request', `label must be at most ${MAX_LABEL_BYTES} bytes of UTF-8`, type);
    if (this.pending.has(label)) throw new ProtocolError('bad_request', `label "${label}" is still waiting for its answer`, type);
  }

  private freshLabel(): string {
    let label: string;
    do label = `${AUTO_LABEL}${this.nextLabel++}`;
    while (this.pending.has(label));
    return label;
  }

  private sayRoom(options: SayOptions): { room?: string } {
    const room = options.room === undefined ? this.#current : normalizeRoom(options.room);
    return room === undefined ? {} : { room };
  }

  private isIn(room: string): boolean {
    const folded = foldName(room);
    return this.#rooms.some((r) => foldName(r) === folded);
  }

  /** Our current name (follows nick). */
  get name(): string {
    return this.#name;
  }

  /**
   * Our current room, where say() and look() go without a room: the last one join() was called for
   * (from the moment it is sent), else the first of the welcome's rooms; when we leave it, the
   * last of our other rooms. Undefined while we are in none.
   */
  get room(): string | undefined {
    return this.#current;
  }

  /**
   * The rooms we are in (`rooms()` is every room on the server), in the order we joined them, as the server names them: from the welcome,
   * then every `room` answer that lists us (join, look), and our own `left` (part, kick). A new
   * array after each change; read-only.
   */
  get joinedRooms(): readonly string[] {
    return this.#rooms;
  }

  /** For connect() only: the symbol is not exported, so bots cannot call it. */
  [RECEIVE](message: ServerMessage): void {
    this.lastHeard = Date.now();
    this.pinged = false;
    switch (message.type) {
      case 'ping':
        if (this.isOpen) this.send(message.token === undefined ? { type: 'pong' } : { type: 'pong', token: message.token });
        break;
      case 'bye':
        this.bye = message.reason;
        break;
      case 'renamed':
        if (foldName(message.from) === foldName(this.#name)) this.#name = message.to;
        break;
      case 'room':
        // The stream is in order, so a `room` snapshot says whether we are in it at this point.
        if (message.users.some((u) => foldName(u) === foldName(this.#name))) this.enter(message.room);
        else this.leave(message.room);
        break;
      case 'left':
        if (foldName(message.name) === foldName(this.#name)) this.leave(message.room);
        break;
      case 'message': {
        const catchUp = this.catchingUp.get(foldName(message.room));
        if (catchUp !== undefined) {
          // Newer than the catch-up still being fetched: delivered once it is in (endCatchUp).
          if (message.label !== undefined) this.settle(message.label, message);
          catchUp.held.push(message);
          return;
        }
        break;
      }
      case 'history':
        // The server's own history (after welcome or room) carries no label; a requested page does.
        if (message.label === undefined && message.room !== undefined) {
          const room = foldName(message.room);
          const catchUp = this.catchingUp.get(room);
          if (catchUp !== undefined) this.catchUpPage(room, catchUp, message);
          else this.deliver(message);
          return;
        }
        break;
      default:
        break;
    }
    if ('label' in message && message.label !== undefined && this.settle(message.label, message)) return;
    this.deliver(message);
  }

  /** To the iterator and the events; keeps the last id seen per room, for a reconnect's `since`. */
  private deliver(message: ServerMessage): void {
    if (message.type === 'message') this.saw(foldName(message.room), message.id);
    else if (message.type === 'private') this.maxId = Math.max(this.maxId, message.id);
    else if (message.type === 'history' && message.room !== undefined && message.label === undefined) {
      const last = message.messages.at(-1);
      // A join's history is older than what we had of the room (a re-join): the newest stays.
      if (last !== undefined && last.id > (this.seen.get(foldName(message.room)) ?? 0)) this.saw(foldName(message.room), last.id);
    }
    this.queue.push(message);
    this.emit('message', message);
  }

  private saw(room: string, id: number): void {
    // Only for rooms we are in (a `message` of another room cannot come; a stale page can).
    if (this.seen.has(room)) this.seen.set(room, id);
    this.maxId = Math.max(this.maxId, id);
  }

  /**
   * One page of a room's catch-up: delivered without what we already have (the overlap with live
   * messages), then the next page asked for while the server says `more` (bounded), else the end.
   */
  private catchUpPage(room: string, catchUp: CatchUp, page: HistoryMsg): void {
    const after = this.seen.get(room) ?? 0;
    const fresh = page.messages.filter((m) => m.id > after);
    catchUp.pages++;
    this.deliver(fresh.length === page.messages.length ? page : { ...page, messages: fresh });
    if (!page.more || catchUp.pages >= MAX_CATCH_UP_PAGES || !this.isOpen) {
      this.endCatchUp(room);
      return;
    }
    const next: HistoryRequestMsg = { type: 'history', room: page.room!, after: this.seen.get(room) ?? after };
    const limit = this.#welcome.limits.historyLimit;
    if (limit !== undefined) next.limit = limit;
    // The page is delivered by catchUpPage itself, without its label, as the server's own are.
    this.ask(next, {
      answer: 'history',
      quiet: true,
      resolve: (m) => {
        if (this.catchingUp.get(room) === catchUp) this.catchUpPage(room, catchUp, { ...(m as HistoryMsg), label: undefined });
      },
      // Refused (we left the room meanwhile, rate_limited): give what we hold. A drop clears catchingUp first.
      reject: () => {
        if (this.catchingUp.get(room) === catchUp) this.endCatchUp(room);
      },
    });
  }

  /** The catch-up of `room` is complete: the live messages held meanwhile follow, each once. */
  private endCatchUp(room: string): void {
    const catchUp = this.catchingUp.get(room);
    if (catchUp === undefined) return;
    this.catchingUp.delete(room);
    for (const m of catchUp.held) if (m.id > (this.seen.get(room) ?? 0)) this.deliver(m);
  }

  /** Settle the request labelled `label` with `message`, when it is its answer or its refusal; true when it was quiet. */
  private settle(label: string, message: ServerMessage): boolean {
    const waiting = this.pending.get(label);
    if (waiting === undefined) return false;
    if (message.type === 'error') {
      this.pending.delete(label);
      waiting.reject(new ServerError(message.code, message.message, message.ref));
    } else if (message.type === waiting.answer) {
      this.pending.delete(label);
      waiting.resolve(message);
    } else return false;
    return waiting.quiet === true;
  }

  private enter(room: string): void {
    if (this.isIn(room)) return;
    this.#rooms = Object.freeze([...this.#rooms, room]);
    // Ids are one counter for the whole server: nothing said here after we came is older than what we have seen.
    this.seen.set(foldName(room), this.maxId);
    // A join another way (send()) makes the new room current too, unless a join() sent since decides.
    if (this.joining === 0) this.#current = room;
  }

  private leave(room: string): void {
    if (!this.isIn(room)) return;
    const folded = foldName(room);
    this.endCatchUp(folded);
    this.seen.delete(folded);
    this.#rooms = Object.freeze(this.#rooms.filter((r) => foldName(r) !== folded));
    if (this.#current !== undefined && foldName(this.#current) === folded) this.#current = this.#rooms.at(-1);
  }

  /**
   * Take `socket` as the link, logged in with `welcome`. `since` (room → id): the rooms whose
   * `history` after the welcome is a catch-up.
   */
  private attach(socket: net.Socket, welcome: WelcomeMsg, since: Record<string, number> | undefined): void {
    this.socket = socket;
    this.#welcome = welcome;
    this.#name = welcome.you;
    this.closedWith = undefined;
    this.bye = undefined;
    this.corked = false;
    this.lastHeard = Date.now();
    this.pinged = false;
    const before = this.#current;
    const sinceOf = new Map(Object.entries(since ?? {}).map(([r, id]) => [foldName(r), id]));
    this.#rooms = Object.freeze([]);
    this.seen.clear();
    this.catchingUp.clear();
    for (const { room } of welcome.rooms) {
      this.enter(room);
      const id = sinceOf.get(foldName(room));
      if (id === undefined) continue;
      this.seen.set(foldName(room), id);
      this.catchingUp.set(foldName(room), { held: [], pages: 0 });
    }
    this.#current = before !== undefined && this.isIn(before) ? before : this.#rooms[0];
    socket.on('close', () => this.linkDown(socket));
    socket.on('error', (err) => {
      if (socket === this.socket) this.closedWith ??= new ConnectionError('closed', `connection lost: ${err.message}`, { cause: err });
    });
  }

  /** The link's socket closed: the end, or (with `reconnect`) a drop to recover from. */
  private linkDown(socket: net.Socket): void {
    if (socket !== this.socket || this.isClosed) return;
    const err = this.closedWith;
    if (!this.opts.reconnect || this.closing) {
      this.finish(err);
      return;
    }
    const why =
      err ??
      new ConnectionError('closed', this.bye === undefined ? 'the server closed the connection' : `the server said bye (${this.bye})`);
    const retrying = new AbortController();
    this.retrying = retrying;
    // Held live messages are not delivered: they follow a gap the next catch-up fills from `seen`.
    this.catchingUp.clear();
    const lost = new ConnectionError('disconnected', `connection lost while waiting for the answer (${why.message}); reconnecting`, {
      cause: why,
    });
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(lost);
    this.emit('disconnected', why);
    void this.reconnect(why, retrying.signal);
  }

  /** Log in again until it works, a refusal is fatal, the attempts run out, or we close. */
  private async reconnect(why: Error, signal: AbortSignal): Promise<void> {
    const r = typeof this.opts.reconnect === 'object' ? this.opts.reconnect : {};
    const initial = Math.max(1, r.initialDelayMs ?? 500);
    const cap = Math.max(initial, r.maxDelayMs ?? 30_000);
    const max = r.maxAttempts ?? Infinity;
    let last = why;
    let attempt = 0;
    // Bounded by maxAttempts, and by close() (which aborts); each turn waits at least half a delay.
    while (attempt < max && !signal.aborted) {
      attempt++;
      const ceiling = Math.min(cap, initial * 2 ** Math.min(attempt - 1, 30));
      const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      this.emit('reconnecting', { attempt, delayMs, error: last });
      await delay(delayMs, signal);
      if (signal.aborted) break;
      const since = this.sinceMap();
      try {
        await handshake(
          { ...this.opts, name: this.#name, rooms: [...this.#rooms], since },
          (socket, welcome) => {
            this.retrying = undefined;
            this.attach(socket, welcome, since);
            this.deliver(welcome);
            this.emit('reconnected', welcome);
            return this;
          },
          signal,
        );
        return;
      } catch (err) {
        last = err as Error;
        // Transport failures are all retried: this address was a framechat server a moment ago, and
        // one that is half up (or a proxy in front of it) may close without a word.
        if (err instanceof ServerError && FATAL_LOGIN.has(err.code)) break;
      }
    }
    this.retrying = undefined;
    if (signal.aborted) this.finish(undefined);
    else if (attempt < max) this.finish(last);
    else
      this.finish(
        new ConnectionError('reconnect_failed', `gave up reconnecting after ${attempt} attempts: ${last.message}`, { cause: last }),
      );
  }

  /** hello.since for a reconnect: every room we are in, with the last id we delivered of it. */
  private sinceMap(): Record<string, number> {
    const since: Record<string, number> = {};
    for (const room of this.#rooms) since[room] = this.seen.get(foldName(room)) ?? this.maxId;
    return since;
  }

  private checkAlive(interval: number, timeout: number): void {
    const silent = Date.now() - this.lastHeard;
    if (!this.pinged && silent >= interval && this.isOpen) {
      this.pinged = true;
      this.send({ type: 'ping', token: 'alive' });
    } else if (this.pinged && silent >= interval + timeout && this.isOpen) {
      this.closedWith = new ConnectionError('timeout', `no answer from the server for ${Math.round(silent / 1000)} s`);
      this.socket.destroy();
    }
  }

  /** For connect() only (see RECEIVE). */
  [FAIL](err: Error): void {
    this.closedWith ??= err;
    this.socket.destroy();
  }

  private finish(err: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.retrying = undefined;
    clearInterval(this.liveness);
    const reason = err ?? new ConnectionError('closed', 'connection closed');
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
    this.catchingUp.clear();
    this.queue.stop(err);
    this.resolveClosed(err);
    this.emit('close', err);
  }
}

/** Wait `ms`, or less when `signal` aborts. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/**
 * Connect, log in and resolve with the Connection once the server's `welcome` arrives.
 * Rejects with ServerError (code from the server: `name_taken`, `bad_name`, `auth_failed`,
 * `server_full`, ...) or ConnectionError (`connect_failed`, `closed`, `timeout`, `tls_failed`,
 * `not_framechat`). With `reconnect`, only this first login can reject: later drops are retried.
 */
export function connect(opts: ConnectOptions): Promise<Connection> {
  return handshake(opts, (socket, welcome) => new Connection(socket, welcome, opts));
}

/**
 * One login over a new socket. `onWelcome` is called in the same turn as the welcome is read, so
 * that the frames after it (its `history`) go to the Connection it returns. `signal` cancels.
 */
function handshake(
  opts: ConnectOptions,
  onWelcome: (socket: net.Socket, welcome: WelcomeMsg) => Connection,
  signal?: AbortSignal,
): Promise<Connection> {
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
      signal?.removeEventListener('abort', cancel);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(conn!);
    };
    const cancel = (): void => settle(new ConnectionError('closed', 'cancelled: the connection was closed'));
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
    const notFramechat = (why: string): ConnectionError =>
      new ConnectionError('not_framechat', `${where} does not look like a framechat server: ${why}`);
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
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel);

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
        connection = onWelcome(socket, message);
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
      if (opts.account !== undefined) hello.auth = { password: opts.account.password };
      if (opts.rooms !== undefined) hello.rooms = opts.rooms.map(normalizeRoom);
      if (opts.since !== undefined && Object.keys(opts.since).length > 0) hello.since = opts.since;
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
          e =
            !connection && !spokeFramechat
              ? notFramechat(`it sent a bad frame (${err.message})`)
              : new ProtocolError(err.code, `server sent a bad frame: ${err.message}`);
        }
        if (connection) connection[FAIL](e);
        else settle(e);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (connection) return;
      const isTls =
        /certificate|self[- ]signed|SSL|TLS|altnames/i.test(err.message) ||
        (err.code ?? '').startsWith('ERR_TLS') ||
        (err.code ?? '').includes('CERT');
      settle(
        new ConnectionError(
          isTls ? 'tls_failed' : 'connect_failed',
          `cannot connect to ${where}: ${isTls ? err.message : describeSocketError(err, host)}`,
          { cause: err },
        ),
      );
    });
    socket.on('close', () => {
      if (connection) return;
      // A framechat server always says why before it closes (an error or bye frame). Hanging up
      // on our hello without a byte is what a TLS port does to a plain client.
      if (helloSent && firstChunk && !opts.tls)
        settle(notFramechat('it closed the connection without answering hello (if it is a TLS port, connect with TLS)'));
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
