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
  isValidName,
  isValidRoom,
  normalizeRoom,
  ServerError,
  textProblem,
  type ClientMessage,
  type Connection,
  type ConnectOptions,
  type ErrorCode,
  type ServerMessage,
} from '../protocol/internal.js';
import { ROOM_RULE, runInput, type CommandContext, type InputMode, type ModerationLine } from './commands.js';
import type { Line, PendingSend } from './outgoing.js';
import { retry, type BackoffOptions } from './reconnect.js';
import { apply, initialState, type ChatEvent, type ChatState, type RequestType } from './state.js';
import {
  applyWindows,
  byId,
  CATCH_UP_PAGES,
  close,
  find,
  focusActive,
  focusedRoom,
  focus,
  focusNumber,
  focusStep,
  initialWindows,
  join as joinWindow,
  people,
  query,
  releaseHeld,
  resume,
  sayTarget,
  type Shown,
  type Windows,
} from './windows.js';

/** What a front end does with what the controller decides. */
export interface Frontend {
  /** New lines, each for its window, in order; `bell`: a mention or private message arrived in a window not focused. */
  show(shown: readonly Shown[], windows: Windows, bell: boolean): void;
  /** The state or the windows changed (status, focus, members, pending sends). */
  update(state: ChatState, windows: Windows): void;
  clear(): void;
  toggleUsers(): void;
  /** /urls: list the links the front end has shown (a no-op where lines are printed, not kept). */
  urls(): void;
  /**
   * /goto: show message `id` in window `window` (focused already), highlighted. The full screen
   * pages back (app.older) until it has the line; line mode has no pane to show it in.
   */
  reveal?(window: number, id: number): void;
}

/** Lines of an older page asked for at most (PageUp at the top of a window). */
export const OLDER_PAGE = 50;

export interface AppOptions {
  host: string;
  port: number;
  /** The address as shown to the user. */
  address: string;
  name: string;
  password?: string;
  /** The password of the account `name` is registered to (hello.auth). */
  accountPassword?: string;
  /** Room to be in after logging in (default: where the server puts us). */
  room?: string;
  /** Rooms to be in after logging in, the first focused (over `room`). */
  rooms?: readonly string[];
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
  /** Every line shown, with the windows it went to (autolog.ts writes the log files from it). */
  log?: (shown: readonly Shown[], windows: Windows) => void;
}

/**
 * Server refusals after which reconnecting cannot help. Strings, not ErrorCode: the account codes
 * (a wrong or missing account password) reach src/protocol with the server's accounts.
 */
const FATAL_LOGIN: ReadonlySet<string> = new Set<ErrorCode | 'login_failed' | 'name_reserved'>([
  'auth_failed',
  'bad_name',
  'login_failed',
  'name_reserved',
]);

/**
 * hello.auth for a registered name, until the bot API takes it (issue 14, item 8): connect()
 * leaves out of the hello what it does not know, so this is sent once src/protocol passes it on.
 */
type AccountConnectOptions = ConnectOptions & { account?: { password: string } };

/** register and passwd (shared/PROTOCOL.md), declared here until src/protocol has them. */
type AccountRequest = { type: 'register'; password: string } | { type: 'passwd'; old: string; new: string };

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
  /** The windows (windows.ts): which exist, which is focused, each room's members and topic. */
  private ws: Windows = initialWindows();
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
  private readonly backlog: Shown[] = [];
  private backlogBell = false;
  private countTimer: NodeJS.Timeout | undefined;
  /**
   * The window each request and line we sent was made in, by its label, until its answer comes:
   * where an answer with no window of its own (an error, /who) is shown, even when the user has
   * moved on. Bounded: a request's entry goes with its answer or the connection, a line's with
   * its answer (the lines waiting are bounded by outgoing.ts).
   */
  private readonly origins = new Map<string, number>();
  /** Request labels: "q1", "q2", …, apart from the lines' (outgoing.ts numbers those). */
  private requestCount = 0;
  /**
   * Our own `history` requests waiting for their answer, by label: the window and what the page is.
   * One per window at most (a PageUp held down asks once); a dropped connection forgets them all.
   */
  private readonly pages = new Map<string, { window: number; page: 'before' | 'after' }>();
  private pageSeq = 0;
  /** Catch-up pages asked per window on this connection (bounded by CATCH_UP_PAGES). */
  private readonly catchUps = new Map<number, number>();

  constructor(private readonly opts: AppOptions) {
    this.now = opts.now ?? Date.now;
    const first = opts.rooms?.[0] ?? opts.room;
    this.current = initialState(opts.address, opts.name, first === undefined ? undefined : normalizeRoom(first));
  }

  get state(): ChatState {
    return this.current;
  }

  get windows(): Windows {
    return this.ws;
  }

  /**
   * Connect and log in. Rejects (ServerError, ConnectionError) when the first attempt fails, so
   * the command line can say why in one line and exit; later drops are handled here.
   */
  async start(): Promise<void> {
    if (this.opts.insecure)
      this.dispatch({ type: 'local', kind: 'error', text: 'Warning: --insecure: the server certificate is not checked', now: this.now() });
    const conn = await connect(this.connectOptions(this.opts.name));
    this.attach(conn);
  }

  /**
   * Hand the app its front end. Lines from before (the welcome, the first messages) are shown
   * now: the screen is only created once the first login has succeeded, so that a refused login
   * leaves the terminal untouched.
   */
  setFrontend(frontend: Frontend): void {
    this.frontend = frontend;
    const backlog = this.backlog.splice(0);
    if (backlog.length > 0) frontend.show(backlog, this.ws, this.backlogBell);
    frontend.update(this.current, this.ws);
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
    this.speak('say', text);
  }

  me(text: string): void {
    this.speak('me', text);
  }

  /** A line typed in the focused window: to its room, or to the person of a private window. */
  private speak(kind: 'say' | 'me', text: string): void {
    const t = sayTarget(this.ws);
    if (t.kind === 'none') return this.error(t.message);
    // The protocol has no private actions: a /me in a private window is refused, not sent as something else.
    if (t.kind === 'private')
      return kind === 'me' ? this.error('/me works in room windows; private messages have no actions') : this.msg(t.to, text);
    this.queueSend({ kind, room: t.room, text });
  }

  msg(to: string, text: string): void {
    if (!isValidName(to)) return this.error(`"${to}" is not a valid name`);
    this.queueSend({ kind: 'msg', to, text });
  }

  who(): void {
    this.request({ type: 'who' });
  }

  look(): void {
    const room = focusedRoom(this.ws);
    this.request(room === undefined ? { type: 'look' } : { type: 'look', room });
  }

  rooms(): void {
    this.request({ type: 'rooms' });
  }

  join(room: string): void {
    const target = normalizeRoom(room);
    if (!isValidRoom(target)) return this.error(`"${room}" is not a valid room name: a room name is ${ROOM_RULE}`);
    // The room's window opens and takes the focus when the server answers (a refused join opens nothing).
    if (this.request(this.joinMessage(target))) this.setWindows(joinWindow(this.ws, target));
  }

  /** A join of a room whose window has shown messages catches up from the last of them (join.since). */
  private joinMessage(room: string): { type: 'join'; room: string; since?: number } {
    const w = find(this.ws, 'room', room);
    return w && w.sinceId > 0 ? { type: 'join', room, since: w.sinceId } : { type: 'join', room };
  }

  /**
   * PageUp at the top of a window: ask for the `limit` messages before `before` (the oldest id the
   * window shows; undefined: it shows none, so the latest). False when nothing was asked: not a
   * room we are in, not connected, or a page for this window is already on its way.
   */
  older(window: number, before: number | undefined, limit = OLDER_PAGE): boolean {
    const w = byId(this.ws, window);
    if (!w || w.kind !== 'room' || !w.joined || limit <= 0) return false;
    if ([...this.pages.values()].some((p) => p.window === window)) return false;
    const message = {
      type: 'history' as const,
      room: w.name,
      limit,
      ...(before !== undefined ? { before } : w.sinceId > 0 ? { before: w.sinceId + 1 } : {}),
    };
    return this.page(window, 'before', message);
  }

  private page(
    window: number,
    page: 'before' | 'after',
    message: { type: 'history'; room: string; limit: number; before?: number; after?: number },
  ): boolean {
    // The server refuses a page longer than its historyLimit.
    const max = this.conn?.welcome.limits?.historyLimit;
    if (max !== undefined && message.limit > max) message = { ...message, limit: max };
    const label = `pg${++this.pageSeq}`;
    if (!this.request({ ...message, label }, true)) return false;
    this.pages.set(label, { window, page });
    return true;
  }

  /** /search TEXT: the results go to the search window, numbered for /goto. */
  search(text: string): void {
    this.request({ type: 'search', text, limit: 20 }, false, text);
  }

  /** /more: the next page of the last search's results. */
  more(): void {
    const s = this.current.search;
    if (!s || s.hits.length === 0) return this.error('No search to continue: /search TEXT first');
    if (!s.more) return this.info(`No older results for "${s.text}"`);
    this.request({ type: 'search', text: s.text, before: s.hits.at(-1)!.id, limit: 20 });
  }

  /** /goto N: go to result N of the last search, in its room's window. */
  goto(n: number): void {
    const hit = this.current.search?.hits[n - 1];
    if (!hit) return this.error(`There is no result ${n}${this.current.search ? '' : ': /search TEXT first'}`);
    const w = find(this.ws, 'room', hit.room);
    if (!w?.joined) return this.error(`You are not in ${hit.room}: /join ${hit.room}, then /goto ${n} again`);
    this.setWindows(focus(this.ws, w.id));
    if (this.frontend?.reveal) this.frontend.reveal(w.id, hit.id);
    else this.info(`Result ${n} is in window ${this.ws.list.indexOf(w) + 1} (${w.name})`);
  }

  part(reason?: string): void {
    const room = focusedRoom(this.ws);
    const w = this.ws.list.find((x) => x.id === this.ws.focused);
    if (room === undefined || !w?.joined)
      return this.error(
        room === undefined ? 'This is not a room window: /part leaves the room of the window you are in' : `You are not in ${room}`,
      );
    this.sendPart(room, reason);
  }

  private sendPart(room: string, reason?: string): void {
    const r = reason === undefined || reason.trim() === '' ? undefined : cutUnits(reason, MAX_QUIT_MESSAGE);
    this.request(r === undefined ? { type: 'part', room } : { type: 'part', room, reason: r });
  }

  topic(text?: string): void {
    const room = focusedRoom(this.ws);
    if (room === undefined) return this.error('This is not a room window: /topic shows or sets the topic of the room you are in');
    this.request(text === undefined ? { type: 'topic', room } : { type: 'topic', room, text });
  }

  window(n: number): void {
    const r = focusNumber(this.ws, n);
    if (!r.ok) return this.error(r.message);
    this.setWindows(r.windows);
  }

  query(name: string): void {
    if (!isValidName(name)) return this.error(`"${name}" is not a valid name`);
    this.setWindows(query(this.ws, name));
  }

  close(n?: number): void {
    const r = close(this.ws, n);
    if (!r.ok) return this.error(r.message);
    this.setWindows(r.windows);
    // Closing a room we are still in leaves it (irssi's /window close).
    if (r.part !== undefined && this.conn?.isOpen) this.sendPart(r.part);
  }

  /** Alt-a: the window with the loudest news. */
  focusActive(): void {
    this.setWindows(focusActive(this.ws));
  }

  /** Ctrl-N / Ctrl-P. */
  focusStep(step: 1 | -1): void {
    this.setWindows(focusStep(this.ws, step));
  }

  /** Everyone we know to be online, for /msg completion. */
  people(): string[] {
    return people(this.ws);
  }

  private setWindows(ws: Windows): void {
    if (ws === this.ws) return;
    this.ws = ws;
    this.frontend?.update(this.current, ws);
    for (const wake of [...this.idleWaiters]) wake();
  }

  nick(name: string): void {
    if (!isValidName(name)) return this.error(`"${name}" is not a valid name (1-32 letters, digits, "_", "-" or ".")`);
    this.request({ type: 'nick', name });
  }

  register(password: string): void {
    if (this.sendAccount({ type: 'register', password })) this.info(`Asked the server to register ${this.current.me} to you`);
  }

  /**
   * Moderation: kick, mute and unmute default to the focused room; a kick typed in a window that
   * is no room is off the server. The server decides who may (not_operator otherwise).
   */
  moderate(request: ModerationLine): void {
    const room = focusedRoom(this.ws);
    let message: ModerationLine = request;
    if (
      (request.type === 'kick' || request.type === 'mute' || request.type === 'unmute') &&
      request.room === undefined &&
      room !== undefined
    )
      message = { ...request, room };
    if ((message.type === 'mute' || message.type === 'unmute') && message.room === undefined)
      return this.error(`This is not a room window: /${message.type} NAME #ROOM`);
    const conn = this.conn;
    if (!conn?.isOpen) return this.error('Not connected; try again once reconnected');
    try {
      conn.send(message as ClientMessage);
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      this.error('Not connected; try again once reconnected');
    }
  }

  passwd(old: string, next: string): void {
    if (this.sendAccount({ type: 'passwd', old, new: next })) this.info('Asked the server to change your password');
  }

  /**
   * An account request on the wire; false when not connected (said). Not counted as a request
   * waiting for its answer: `passwd` is answered by a notice, which answers nothing else, and
   * the types are not src/protocol's yet (AccountRequest). The password is never shown.
   */
  private sendAccount(message: AccountRequest): boolean {
    const conn = this.conn;
    if (!conn?.isOpen) {
      this.error('Not connected; try again once reconnected');
      return false;
    }
    try {
      conn.send(message as unknown as ClientMessage);
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      this.error('Not connected; try again once reconnected');
      return false;
    }
    return true;
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

  /** A line in the server window, wherever the focus is (a log file that cannot be written). */
  serverNotice(text: string): void {
    this.dispatch({ type: 'local', kind: 'error', text, now: this.now() }, 'server');
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
    const o: AccountConnectOptions = {
      host: this.opts.host,
      port: this.opts.port,
      name,
      client: CLIENT_SOFTWARE,
      pingInterval: this.opts.pingInterval ?? 15_000,
      pingTimeout: this.opts.pingTimeout ?? 10_000,
    };
    if (this.opts.password !== undefined) o.password = this.opts.password;
    if (this.opts.accountPassword !== undefined) o.account = { password: this.opts.accountPassword };
    // Start in every room we are in (at first the ones asked for): hello.rooms, so we never pass through #main.
    // And from the last message seen in each (hello.since), so that the gap is filled, each message once.
    if (this.ws.welcomed) {
      const { rooms, since } = resume(this.ws);
      o.rooms = rooms;
      o.since = since;
    } else o.rooms = (this.opts.rooms ?? [this.opts.room ?? '#main']).map((r) => normalizeRoom(r));
    if (this.opts.tls) o.tls = true;
    if (this.opts.ca !== undefined) o.ca = this.opts.ca;
    if (this.opts.insecure) o.insecure = true;
    return o;
  }

  private dispatch(event: ChatEvent, to?: 'server'): void {
    const outgoingBefore = this.current.outgoing;
    const { state, lines } = apply(this.current, event);
    this.current = state;
    const origin = event.type === 'server' ? this.originOf(event.message) : undefined;
    // Requests not yet answered are forgotten with their connection (state.ts does the same).
    if (event.type === 'status') for (const label of [...this.origins.keys()]) if (label.startsWith('q')) this.origins.delete(label);
    const m = event.type === 'server' ? event.message : undefined;
    const label = m?.type === 'history' ? m.label : undefined;
    const asked = label === undefined ? undefined : this.pages.get(label);
    if (asked) this.pages.delete(label!);
    // A drop took every request with it: nothing will answer them now.
    if (event.type === 'status' && event.status !== 'online') this.pages.clear();
    const r =
      event.type === 'server'
        ? applyWindows(this.ws, {
            type: 'server',
            message: event.message,
            lines,
            me: state.me,
            ...(origin === undefined ? {} : { window: origin }),
            ...(asked ? { page: asked.page } : {}),
          })
        : applyWindows(this.ws, { type: 'local', lines, to: event.type === 'status' ? 'status' : (to ?? 'focused') });
    this.ws = r.windows;
    if (m?.type === 'history') this.continueCatchUp(r);
    // The first welcome focuses a room: "Connected …" shows there too, so that the screen says where we are.
    // So do the lines from before it (the --insecure warning): nothing is on the screen yet.
    if (event.type === 'server' && event.message.type === 'welcome' && !r.shown.some((x) => x.window === r.windows.focused)) {
      const focused = r.windows.focused;
      if (!this.frontend)
        this.backlog.push(...this.backlog.filter((x) => 'line' in x && x.window === 1).map((x) => ({ ...x, window: focused })));
      r.shown.push(...lines.map((line) => ({ window: focused, line })));
    }
    this.opts.log?.(r.shown, r.windows);
    if (!this.frontend) {
      this.backlog.push(...r.shown);
      this.backlogBell ||= r.bell;
    } else {
      if (r.shown.length > 0) this.frontend.show(r.shown, r.windows, r.bell);
      this.frontend.update(state, r.windows);
    }
    // A line added, settled or refused, or the connection come or gone: perhaps something may go now.
    if (state.outgoing !== outgoingBefore) this.flush();
    for (const wake of [...this.idleWaiters]) wake();
  }

  /** The window the request or line a message answers was made in; its entry goes once answered (a line refused for our pace goes again). */
  private originOf(m: ServerMessage): number | undefined {
    const label = 'label' in m ? m.label : undefined;
    if (label === undefined) return undefined;
    const origin = this.origins.get(label);
    if (!(m.type === 'error' && m.code === 'rate_limited')) this.origins.delete(label);
    return origin;
  }

  /**
   * A catch-up longer than one page (its window holds live lines until it is whole): ask for the
   * next page after the last id shown, up to CATCH_UP_PAGES; past that, show the held lines and
   * say that part of the gap is missing.
   */
  private continueCatchUp(r: { windows: Windows; shown: Shown[] }): void {
    for (const w of r.windows.list) {
      if (w.held === undefined || w.kind !== 'room' || [...this.pages.values()].some((p) => p.window === w.id)) continue;
      const n = (this.catchUps.get(w.id) ?? 0) + 1;
      this.catchUps.set(w.id, n);
      const limit = this.conn?.welcome.limits?.historyLimit ?? 200;
      if (n <= CATCH_UP_PAGES && this.page(w.id, 'after', { type: 'history', room: w.name, after: w.sinceId, limit })) continue;
      const released = releaseHeld(r.windows, w.id);
      r.windows = released.windows;
      const text = `More was said in ${w.name} while you were away than is fetched; some of it is not shown`;
      r.shown.push({ window: w.id, line: { kind: 'system', ts: this.now(), text } }, ...released.shown);
      this.ws = r.windows;
    }
  }

  /** Put on the wire what the pace lets go now, and wake when it lets the next one go. */
  private flush(): void {
    const { state, send = [], wakeAt } = apply(this.current, { type: 'flush', now: this.now() });
    this.current = state;
    const conn = this.conn;
    for (const line of send) if (conn) this.transmit(conn, line);
    if (send.length > 0) this.frontend?.update(state, this.ws);
    if (this.sendTimer && this.sendTimer.at !== wakeAt) {
      clearTimeout(this.sendTimer.timer);
      this.sendTimer = undefined;
    }
    if (wakeAt !== undefined && !this.sendTimer && !this.quitting) {
      const timer = setTimeout(
        () => {
          this.sendTimer = undefined;
          this.flush();
        },
        Math.max(0, wakeAt - this.now()),
      );
      this.sendTimer = { timer, at: wakeAt };
    }
  }

  /** Take over a freshly logged-in connection: show its welcome (hello.rooms put us in our rooms), send what waits. */
  private attach(conn: Connection): void {
    this.conn = conn;
    // A new connection, perhaps to a restarted server: message ids start afresh (we send no hello.since).
    // (sinceId, kept, is what hello.since carried: the catch-up is deduped against it.)
    this.ws = {
      ...this.ws,
      list: this.ws.list.map((w) => (w.lastId === 0 && w.held === undefined ? w : { ...w, lastId: 0, held: undefined })),
    };
    this.catchUps.clear();
    this.dispatch({ type: 'server', message: conn.welcome, now: this.now() });
    this.dispatch({ type: 'status', status: 'online', now: this.now() });
    this.countTimer ??= setInterval(() => this.refreshCount(), this.opts.countRefreshMs ?? 30_000).unref();
    void this.pump(conn);
  }

  /**
   * `joined` and `left` keep the count of people online only for our room. Where others come
   * and go unheard (someone is in another room, or we are not in the login room), ask quietly.
   */
  private refreshCount(): void {
    const s = this.current;
    if (s.status !== 'online' || s.requests.some((r) => r.type === 'who' && r.quiet)) return;
    const inLobby = this.ws.list.some((w) => w.kind === 'room' && w.joined && w.key === '#main');
    if (s.clients > people(this.ws).length || !inLobby) this.request({ type: 'who' }, true);
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
      this.attach(conn);
    } catch (err) {
      this.dispatch({
        type: 'status',
        status: 'offline',
        detail: 'gave up',
        line: `Cannot log back in: ${(err as Error).message}`,
        now: this.now(),
      });
    }
  }

  private queueSend(line: Line): void {
    const problem = textProblem(line.text);
    if (problem)
      return this.error(
        problem.code === 'text_too_long' ? 'That line is too long to send (4096 bytes at most)' : `Cannot send that: ${problem.message}`,
      );
    const typedIn = this.ws.focused;
    this.dispatch({ type: 'send', line, now: this.now() });
    const label = this.current.outgoing.lines.at(-1)?.label;
    if (label !== undefined) this.origins.set(label, typedIn);
  }

  /** One line on the wire, with the label its answer will carry. A closed socket is noticed by pump(), which requeues it. */
  private transmit(conn: Connection, p: PendingSend): void {
    const options = { label: p.label };
    try {
      if (p.kind === 'msg') conn.msg(p.to, p.text, options);
      else if (p.room !== undefined)
        conn.send({ type: 'say', room: p.room, text: p.text, ...(p.kind === 'me' ? { action: true } : {}), label: p.label });
      else if (p.kind === 'me') conn.me(p.text, options);
      else conn.say(p.text, options);
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
    }
  }

  /** Send a request whose answer we wait for; false when not connected (said, unless quiet). */
  private request(
    message:
      | { type: 'who' }
      | { type: 'look'; room?: string }
      | { type: 'rooms' }
      | { type: 'join'; room: string }
      | { type: 'part'; room: string; reason?: string }
      | { type: 'topic'; room: string; text?: string }
      | { type: 'nick'; name: string }
      | { type: 'history'; room: string; before?: number; after?: number; limit: number; label: string }
      | { type: 'search'; text: string; before?: number; limit: number },
    quiet = false,
    search?: string,
  ): boolean {
    const conn = this.conn;
    const offline = (): false => {
      if (!quiet) this.error('Not connected; try again once reconnected');
      return false;
    };
    if (!conn?.isOpen) return offline();
    // A history page keeps the label it was given (this.pages knows it by that); the rest get one here.
    const label = 'label' in message ? message.label : `q${++this.requestCount}`;
    try {
      conn.send({ ...message, label });
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      return offline();
    }
    // A page's window is in this.pages; the rest are answered where they were asked.
    if (!('label' in message)) this.origins.set(label, this.ws.focused);
    const request: RequestType = message.type;
    this.dispatch({
      type: 'request',
      request,
      ...(quiet ? { quiet: true } : {}),
      ...(search !== undefined ? { search } : {}),
      now: this.now(),
    });
    return true;
  }
}
