/**
 * @module
 * The controller: the one place where the Connection, the state and a front end (the full screen
 * or line mode) meet. Data flows one way: Connection messages → apply() → front end; the user's
 * lines → commands → Connection. It also owns the connection's life: the first connect, noticing
 * a drop, reconnecting with backoff, going back to the same room, and sending what was typed
 * while offline.
 *
 * Own lines are not printed when sent: they wait in state.outgoing and appear when the server's
 * echo arrives, so what you see is what the room saw, in the server's order. outgoing.ts decides
 * what goes when (the pace, one line at a time after a refusal); this file only puts on the wire
 * what a flush returns, with its label, and sets the timer for the next flush.
 */
import {
  connect,
  ConnectionError,
  foldName,
  isValidName,
  isValidRoom,
  normalizeRoom,
  ServerError,
  textProblem,
  type Connection,
  type ConnectOptions,
  type ErrorCode,
} from '../protocol/internal.js';
import { ROOM_RULE, runInput, type CommandContext, type InputMode } from './commands.js';
import type { ChatLine } from './line.js';
import type { Line, PendingSend } from './outgoing.js';
import { retry, type BackoffOptions } from './reconnect.js';
import { apply, initialState, type ChatEvent, type ChatState, type RequestType } from './state.js';

/** What a front end does with what the controller decides. */
export interface Frontend {
  /** New lines for the pane, in order. */
  show(lines: ChatLine[], state: ChatState): void;
  /** The state changed (status, room, users, pending sends). */
  update(state: ChatState): void;
  clear(): void;
  toggleUsers(): void;
  /** /urls: list the links the front end has shown (a no-op where lines are printed, not kept). */
  urls(): void;
}

export interface AppOptions {
  host: string;
  port: number;
  /** The address as shown to the user. */
  address: string;
  name: string;
  password?: string;
  /** Room to be in after logging in (default: where the server puts us). */
  room?: string;
  tls?: boolean;
  ca?: string | Buffer;
  insecure?: boolean;
  backoff?: BackoffOptions;
  /**
   * How often (ms) to ask the server for the count of people online while some of them are where
   * we hear nothing of their coming and going (in other rooms, or we are not in the login room).
   */
  countRefreshMs?: number;
  /** Connection liveness (ms): silence before we ping, and further silence before the server counts as dead. */
  pingInterval?: number;
  pingTimeout?: number;
  now?: () => number;
}

/** Server refusals after which reconnecting cannot help. */
const FATAL_LOGIN: ReadonlySet<ErrorCode> = new Set(['auth_failed', 'bad_name']);

export const CLIENT_SOFTWARE = 'framechat-client/0.1';

/** The server takes a logout reason of at most this many UTF-16 units (PROTOCOL.md). */
export const MAX_QUIT_MESSAGE = 256;

/** `text` cut to at most `max` UTF-16 units, never inside a surrogate pair. */
function cutUnits(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

export class ChatApp implements CommandContext {
  private current: ChatState;
  private conn: Connection | undefined;
  private frontend: Frontend | undefined;
  private quitting = false;
  private readonly stopRetry = new AbortController();
  private readonly now: () => number;
  private resolveDone!: (code: number) => void;
  /** Resolves with the exit code once the app has finished (after /quit, or a fatal refusal). */
  readonly done: Promise<number> = new Promise((r) => (this.resolveDone = r));
  private readonly idleWaiters = new Set<() => void>();
  /** Set while the pace holds the next line back: the flush it wakes for. */
  private sendTimer: { timer: NodeJS.Timeout; at: number } | undefined;
  /** Lines made before a front end was set. */
  private readonly backlog: ChatLine[] = [];
  private countTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: AppOptions) {
    this.now = opts.now ?? Date.now;
    this.current = initialState(opts.address, opts.name, opts.room === undefined ? undefined : normalizeRoom(opts.room));
  }

  get state(): ChatState {
    return this.current;
  }

  /**
   * Connect and log in. Rejects (ServerError, ConnectionError) when the first attempt fails, so
   * the command line can say why in one line and exit; later drops are handled here.
   */
  async start(): Promise<void> {
    if (this.opts.insecure) this.dispatch({ type: 'local', kind: 'error', text: 'Warning: --insecure: the server certificate is not checked', now: this.now() });
    const conn = await connect(this.connectOptions(this.opts.name));
    this.attach(conn, this.opts.room);
  }

  /**
   * Hand the app its front end. Lines from before (the welcome, the first messages) are shown
   * now: the screen is only created once the first login has succeeded, so that a refused login
   * leaves the terminal untouched.
   */
  setFrontend(frontend: Frontend): void {
    this.frontend = frontend;
    const backlog = this.backlog.splice(0);
    if (backlog.length > 0) frontend.show(backlog, this.current);
    frontend.update(this.current);
  }

  /** A line the user entered: a command or text to say (`mode`: which front end, for /help). */
  submit(line: string, mode: InputMode = 'screen'): void {
    runInput(this, line, mode);
  }

  /**
   * Resolves with true once nothing we typed is waiting for the server's echo, or with false when
   * no line has been delivered for `stallMs` (a long paste at the pacer's pace is not a stall).
   */
  whenDelivered(stallMs = Infinity): Promise<boolean> {
    return this.whenIdle((s) => s.outgoing.lines.length, stallMs);
  }

  /**
   * As whenDelivered, and also every request the user made (/who, /join, …) has its answer: what
   * line mode waits for before it runs the next line, so that answers come out in input order.
   * An aborted wait resolves with false.
   */
  whenSettled(stallMs = Infinity, signal?: AbortSignal): Promise<boolean> {
    return this.whenIdle((s) => s.outgoing.lines.length + s.requests.filter((r) => !r.quiet).length, stallMs, signal);
  }

  /** Resolves once `open(state)` is 0 (true), or with false when it has not gone down for `stallMs` or `signal` aborts. */
  private whenIdle(open: (s: ChatState) => number, stallMs: number, signal?: AbortSignal): Promise<boolean> {
    if (open(this.current) === 0) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      let left = open(this.current);
      let timer: NodeJS.Timeout | undefined;
      const finish = (done: boolean): void => {
        clearTimeout(timer);
        this.idleWaiters.delete(check);
        signal?.removeEventListener('abort', abort);
        resolve(done);
      };
      const abort = (): void => finish(false);
      const arm = (): void => {
        clearTimeout(timer);
        if (Number.isFinite(stallMs)) timer = setTimeout(() => finish(false), stallMs);
      };
      const check = (): void => {
        const now = open(this.current);
        if (now === 0) return finish(true);
        if (now < left) arm();
        left = now;
      };
      this.idleWaiters.add(check);
      signal?.addEventListener('abort', abort);
      arm();
    });
  }

  // ---- CommandContext -----------------------------------------------------------------------

  say(text: string): void {
    this.queueSend({ kind: 'say', text });
  }

  me(text: string): void {
    this.queueSend({ kind: 'me', text });
  }

  msg(to: string, text: string): void {
    if (!isValidName(to)) return this.error(`"${to}" is not a valid name`);
    this.queueSend({ kind: 'msg', to, text });
  }

  who(): void {
    this.request({ type: 'who' });
  }

  look(): void {
    this.request({ type: 'look' });
  }

  rooms(): void {
    this.request({ type: 'rooms' });
  }

  join(room: string): void {
    const target = normalizeRoom(room);
    if (!isValidRoom(target)) return this.error(`"${room}" is not a valid room name: a room name is ${ROOM_RULE}`);
    const from = this.current.room;
    this.request({ type: 'join', room: target });
    // One pane, one room: the server keeps us in both (protocol v2), so leave the one we came from.
    if (this.conn && foldName(from) !== foldName(target)) this.conn.send({ type: 'part', room: from });
  }

  nick(name: string): void {
    if (!isValidName(name)) return this.error(`"${name}" is not a valid name (1-32 letters, digits, "_", "-" or ".")`);
    this.request({ type: 'nick', name });
  }

  toggleUsers(): void {
    this.frontend?.toggleUsers();
  }

  urls(): void {
    this.frontend?.urls();
  }

  clear(): void {
    this.frontend?.clear();
  }

  info(text: string): void {
    this.dispatch({ type: 'local', kind: 'info', text, now: this.now() });
  }

  /** Something the user entered is refused. */
  error(text: string): void {
    this.dispatch({ type: 'local', kind: 'error', text, refusal: true, now: this.now() });
  }

  /**
   * Log out (if connected) with `message` as the reason (cut to what the server takes; the server
   * logs it) and finish with exit code `code`. Safe to call more than once.
   */
  quit(message?: string, code = 0): void {
    if (this.quitting) return;
    this.quitting = true;
    this.stopRetry.abort();
    clearTimeout(this.sendTimer?.timer);
    clearInterval(this.countTimer);
    const conn = this.conn;
    const reason = message === undefined || message.trim() === '' ? 'quit' : cutUnits(message, MAX_QUIT_MESSAGE);
    const finished = conn?.isOpen ? conn.logout(reason).catch(() => undefined) : Promise.resolve();
    void finished.then(() => this.resolveDone(code));
  }

  // ---- internals ----------------------------------------------------------------------------

  private connectOptions(name: string): ConnectOptions {
    const o: ConnectOptions = {
      host: this.opts.host,
      port: this.opts.port,
      name,
      client: CLIENT_SOFTWARE,
      pingInterval: this.opts.pingInterval ?? 15_000,
      pingTimeout: this.opts.pingTimeout ?? 10_000,
    };
    if (this.opts.password !== undefined) o.password = this.opts.password;
    // Start in the room we are in (or were asked for): hello.rooms, so we never pass through #main.
    o.rooms = [this.current.room];
    if (this.opts.tls) o.tls = true;
    if (this.opts.ca !== undefined) o.ca = this.opts.ca;
    if (this.opts.insecure) o.insecure = true;
    return o;
  }

  private dispatch(event: ChatEvent): void {
    const outgoingBefore = this.current.outgoing;
    const { state, lines } = apply(this.current, event);
    this.current = state;
    if (!this.frontend) this.backlog.push(...lines);
    else {
      if (lines.length > 0) this.frontend.show(lines, state);
      this.frontend.update(state);
    }
    // A line added, settled or refused, or the connection come or gone: perhaps something may go now.
    if (state.outgoing !== outgoingBefore) this.flush();
    for (const wake of [...this.idleWaiters]) wake();
  }

  /** Put on the wire what the pace lets go now, and wake when it lets the next one go. */
  private flush(): void {
    const { state, send = [], wakeAt } = apply(this.current, { type: 'flush', now: this.now() });
    this.current = state;
    const conn = this.conn;
    for (const line of send) if (conn) this.transmit(conn, line);
    if (send.length > 0) this.frontend?.update(state);
    if (this.sendTimer && this.sendTimer.at !== wakeAt) {
      clearTimeout(this.sendTimer.timer);
      this.sendTimer = undefined;
    }
    if (wakeAt !== undefined && !this.sendTimer && !this.quitting) {
      const timer = setTimeout(() => {
        this.sendTimer = undefined;
        this.flush();
      }, Math.max(0, wakeAt - this.now()));
      this.sendTimer = { timer, at: wakeAt };
    }
  }

  /** Take over a freshly logged-in connection: show its welcome, go to `room`, send what waits. */
  private attach(conn: Connection, room: string | undefined): void {
    this.conn = conn;
    this.dispatch({ type: 'server', message: conn.welcome, now: this.now() });
    void room; // hello.rooms started us there (connectOptions)
    this.dispatch({ type: 'status', status: 'online', now: this.now() });
    this.countTimer ??= setInterval(() => this.refreshCount(), this.opts.countRefreshMs ?? 30_000).unref();
    void this.pump(conn);
  }

  /**
   * `joined` and `left` keep the count of people online only for our room. Where others come
   * and go unheard (someone is in another room, or we are not where logins land), ask quietly.
   */
  private refreshCount(): void {
    const s = this.current;
    if (s.status !== 'online' || s.requests.some((r) => r.type === 'who' && r.quiet)) return;
    if (s.clients > s.users.length || foldName(s.room) !== foldName(s.lobby)) this.request({ type: 'who' }, true);
  }

  /** Feed the connection's messages to the state until it closes, then reconnect (unless quitting). */
  private async pump(conn: Connection): Promise<void> {
    try {
      for await (const message of conn) this.dispatch({ type: 'server', message, now: this.now() });
    } catch {
      // The reason is in closed() below.
    }
    const err = await conn.closed();
    if (this.conn !== conn) return;
    this.conn = undefined;
    if (this.quitting) return;
    await this.reconnect(err);
  }

  private async reconnect(cause: Error | undefined): Promise<void> {
    const room = this.current.room;
    const why = cause ? cause.message : 'the server closed the connection';
    this.dispatch({ type: 'status', status: 'reconnecting', detail: '', line: `Disconnected: ${why}. Reconnecting…`, now: this.now() });
    try {
      const conn = await retry(() => connect(this.connectOptions(this.current.me)), {
        signal: this.stopRetry.signal,
        ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
        isFatal: (e) => e instanceof ServerError && FATAL_LOGIN.has(e.code),
        onWait: (attempt, ms, last) => {
          const detail = last instanceof ServerError && last.code === 'name_taken' ? 'name still in use' : '';
          this.dispatch({ type: 'status', status: 'reconnecting', detail, retry: { attempt, at: this.now() + ms }, now: this.now() });
        },
      });
      if (!conn) return;
      if (this.quitting) {
        conn.destroy();
        return;
      }
      this.attach(conn, room);
    } catch (err) {
      this.dispatch({ type: 'status', status: 'offline', detail: 'gave up', line: `Cannot log back in: ${(err as Error).message}`, now: this.now() });
    }
  }

  private queueSend(line: Line): void {
    const problem = textProblem(line.text);
    if (problem) return this.error(problem.code === 'text_too_long' ? 'That line is too long to send (4096 bytes at most)' : `Cannot send that: ${problem.message}`);
    this.dispatch({ type: 'send', line, now: this.now() });
  }

  /** One line on the wire, with the label its answer will carry. A closed socket is noticed by pump(), which requeues it. */
  private transmit(conn: Connection, p: PendingSend): void {
    const options = { label: p.label };
    try {
      if (p.kind === 'msg') conn.msg(p.to, p.text, options);
      else if (p.kind === 'me') conn.me(p.text, options);
      else conn.say(p.text, options);
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
    }
  }

  private request(message: { type: 'who' } | { type: 'look' } | { type: 'rooms' } | { type: 'join'; room: string } | { type: 'nick'; name: string }, quiet = false): void {
    const conn = this.conn;
    const offline = (): void => (quiet ? undefined : this.error('Not connected; try again once reconnected'));
    if (!conn?.isOpen) return offline();
    try {
      conn.send(message);
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      return offline();
    }
    const request: RequestType = message.type;
    this.dispatch({ type: 'request', request, ...(quiet ? { quiet: true } : {}), now: this.now() });
  }
}
