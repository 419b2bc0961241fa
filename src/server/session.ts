/**
 * @module
 * Session: one per accepted socket. It owns its decoder, Outbox, rate limiter, liveness state and
 * close state. Data flows one way: socket bytes → (first byte picks the mode) FrameDecoder or
 * LineDecoder → a validated ClientMessage → the command table. Replies go out through deliver(),
 * which picks the session's encoding of a shared Packet.
 *
 * Its name lives in its Identity (written only by Users) and its rooms in its Membership (written
 * only by Rooms); its mode and close state are its own and read-only outside.
 */
import type net from 'node:net';
import tls from 'node:tls';
import {
  decode,
  foldName,
  FrameDecoder,
  labelOf,
  FrameError,
  parseClientMessage,
  ProtocolError,
  MAX_TEXT_BYTES,
  type ClientMessage,
  type ErrorCode,
  type LeftReason,
  type ServerMessage,
} from '../protocol/internal.js';
import type { Context } from './context.js';
import type { Recipient } from './fanout.js';
import { Membership } from './rooms.js';
import { Identity } from './users.js';
import { Outbox } from './outbox.js';
import { Packet } from './packet.js';
import { busyMs } from './loop-lag.js';
import { MinuteCounter, RateLimiter } from './rate-limit.js';
import { modeOf, type Mode } from './sniff.js';
import { accountPrompt, parseTextLine, passwordLine, type TextInput } from './text/commands.js';
import { LineDecoder } from './text/line-decoder.js';
import { greetingLines, lineRefusedLines, pasteOverflowLines } from './text/render.js';

/**
 * Reading pauses while this much of our output to the session is unsent (ws does the same), or half
 * the sendq if that is less: a client that asks faster than it reads is slowed down, not dropped.
 */
const READ_PAUSE_BYTES = 256 * 1024;
/** After close(), how long the peer has to take the last bytes before the socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;
/** Text mode is for people typing: they get this many login timeouts to log in. */
const TEXT_LOGIN_FACTOR = 6;
/** Room for a command word and a name before the 4096-byte text in a text-mode line. */
const TEXT_LINE_SLACK = 256;
/**
 * Text-mode lines beyond the rate wait here (a paste) and go out at the rate, as IRC's fakelag
 * does; one more than this is a flood. At most 100 × 4352 bytes, below the send queue's bound.
 */
export const TEXT_QUEUE_LINES = 100;

export interface SessionOptions {
  /** Text port: text mode from the start, with a greeting. */
  textGreeting?: boolean;
}

let nextSessionId = 1;

/** Packets a session holds at most while it enters rooms (Session.hold). */
const MAX_HELD_PACKETS = 4096;

/** A session that has logged in: what handlers of commands that need a login are given. */
export interface User extends Session {
  readonly name: string;
}

export class Session implements Recipient {
  readonly id = nextSessionId++;
  readonly identity = new Identity();
  readonly membership = new Membership();
  /** The client's IP as the server sees it. */
  readonly ip: string;
  /** `ip:port`, or `[ip]:port` for IPv6. */
  readonly address: string;
  readonly connectedAt: number;
  /** Arrived over TLS. */
  readonly secure: boolean;
  #mode: Mode = 'pending';
  #closeReason: LeftReason | undefined;
  #account: string | undefined;

  private decoder: FrameDecoder | LineDecoder | undefined;
  private readonly outbox: Outbox;
  private readonly limiter: RateLimiter;
  private readonly payloadErrors: MinuteCounter;
  private lastHeard: number;
  private pingSentAt = 0;
  private closing = false;
  private readPaused = false;
  /** A request's answer is still in flight (a name claim): input waits, so answers keep their order. */
  private waiting = false;
  private readonly readPauseBytes: number;
  /** The label of the request being answered: put on everything send() writes meanwhile. */
  private replyLabel: string | undefined;
  /** The event loop's busy time (loop-lag.ts) when this session was last read. */
  private busySeen: number;
  /** Text mode: lines waiting for the rate, oldest first; at most TEXT_QUEUE_LINES. */
  private readonly waitingLines: string[] = [];
  private linesTimer: NodeJS.Timeout | undefined;
  /** Text mode: the room plain lines are said in (the last joined or switched to). */
  private textRoom: string | undefined;
  /**
   * Text mode: the next line is a password, whole and never echoed: the server's (`login NAME` on
   * a server with one), an account's (`login NAME` of a registered name), or a new account's
   * (`register`).
   */
  private secret: { kind: 'login'; name: string } | { kind: 'account'; hello: Record<string, unknown> } | { kind: 'register' } | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly ctx: Context,
    private readonly options: SessionOptions = {},
  ) {
    const now = ctx.now();
    this.connectedAt = this.lastHeard = now;
    this.ip = normalizeIp(socket.remoteAddress);
    this.secure = socket instanceof tls.TLSSocket;
    this.address = this.ip.includes(':') ? `[${this.ip}]:${socket.remotePort}` : `${this.ip}:${socket.remotePort}`;
    this.outbox = new Outbox(socket, ctx.config.maxSendq, () => this.overflow());
    this.limiter = new RateLimiter(ctx.config.rate, ctx.config.burst, now);
    this.payloadErrors = new MinuteCounter(ctx.config.maxPayloadErrors);
    this.readPauseBytes = Math.min(READ_PAUSE_BYTES, ctx.config.maxSendq / 2);
    this.busySeen = busyMs();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, Math.min(ctx.config.pingInterval, 60_000));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    if (options.textGreeting) {
      this.setMode('text');
      this.sendLines(greetingLines(ctx.config.name));
    }
  }

  get name(): string | undefined {
    return this.identity.name;
  }

  get mode(): Mode {
    return this.#mode;
  }

  /** The account this session is logged in to (as registered), or undefined for a guest. */
  get account(): string | undefined {
    return this.#account;
  }

  /** Set by the account handlers only: at a login with a password, register, unregister. */
  setAccount(account: string | undefined): void {
    this.#account = account;
  }

  /** Why the session is closing or closed, once it is. */
  get closeReason(): LeftReason | undefined {
    return this.#closeReason;
  }

  get loggedIn(): boolean {
    return this.identity.name !== undefined;
  }

  /** Still connected and not closing: an answer that completes later checks this first. */
  get active(): boolean {
    return !this.closing && !this.socket.destroyed;
  }

  /** This session as a logged-in user, or undefined before login. */
  asUser(): User | undefined {
    return this.identity.name === undefined ? undefined : (this as User);
  }

  /** Queue a message for this session (labelled while it answers a labelled request). */
  send(message: ServerMessage): void {
    this.ctx.metrics.sent(message);
    const packet = new Packet(
      this.replyLabel === undefined || 'label' in message ? message : ({ ...message, label: this.replyLabel } as ServerMessage),
    );
    if (this.put(packet)) this.ctx.metrics.counts.deliveries++;
  }

  /**
   * Run `answer` with `label` put on every message this session is sent through send() meanwhile:
   * the reply, the error that refuses the request, the sender's own copy of a broadcast (handlers
   * send that one through send(), the others' copies go through the Fanout without it). When the
   * answer is a promise the label stays until it settles: the session reads nothing else then.
   */
  answering<R extends void | Promise<void>>(label: string | undefined, answer: () => R): R {
    const outer = this.replyLabel;
    this.replyLabel = label;
    let result: R;
    try {
      result = answer();
    } catch (err) {
      this.replyLabel = outer;
      throw err;
    }
    if (result instanceof Promise) {
      return result.finally(() => {
        this.replyLabel = outer;
      }) as R;
    }
    this.replyLabel = outer;
    return result;
  }

  /** The label of the request being answered, if any. */
  get label(): string | undefined {
    return this.replyLabel;
  }

  deliver(packet: Packet, defer = false): void {
    if (this.take(packet, defer)) this.ctx.metrics.counts.deliveries++;
  }

  /** deliver() without counting: a fan-out counts its whole batch once (fanout.ts). */
  take(packet: Packet, defer = false): boolean {
    if (this.held && !this.held.spilled) return this.keep(packet, defer);
    return this.put(packet, defer);
  }

  private put(packet: Packet, defer = false): boolean {
    if (this.closing) return false;
    const bytes = this.mode === 'text' ? packet.text(this.name ?? '', this.membership.size > 1) : packet.frame;
    return bytes !== null && this.outbox.write(bytes, defer);
  }

  /**
   * Hold what others send this session (fan-outs, deliver()) until release(), while it enters
   * rooms: the welcome or `room` answer and the history come first. With an asynchronous store
   * (the store thread, PostgreSQL) the history read waits, and the session is a member already:
   * without the hold a line said meanwhile would come before the welcome or the page, and again
   * inside the page. Its own replies (send()) are not held. Holds nest.
   */
  hold(): void {
    if (this.held) this.held.depth++;
    else this.held = { depth: 1, packets: [], shown: new Set(), spilled: false };
  }

  /** The messages of a history page sent while held: their live copies are not sent again at release(). */
  shown(messages: Iterable<{ id: number }>): void {
    if (this.held) for (const m of messages) this.held.shown.add(m.id);
  }

  /** The outermost hold ends: what was held goes out, in the order it came. */
  release(): void {
    const held = this.held;
    if (!held || --held.depth > 0) return;
    this.held = undefined;
    this.flushHeld(held);
  }

  private keep(packet: Packet, defer: boolean): boolean {
    if (this.closing) return false;
    const held = this.held!;
    held.packets.push([packet, defer]);
    // A store that takes long: past the bound the lines go out now and no longer wait (a few may
    // then be in a page as well), so a slow read cannot make the queue grow without limit.
    if (held.packets.length >= MAX_HELD_PACKETS) {
      this.flushHeld(held);
      held.packets = [];
      held.spilled = true;
    }
    return true;
  }

  private flushHeld(held: NonNullable<Session['held']>): void {
    for (const [packet, defer] of held.packets) {
      const m = packet.message;
      if (m.type === 'message' && held.shown.has(m.id)) continue;
      this.put(packet, defer);
    }
  }
  private held: { depth: number; packets: [Packet, boolean][]; shown: Set<number>; spilled: boolean } | undefined;

  /** Charge the flood budget `tokens` beyond the one its request took (a big reply; see commands.ts). */
  charge(tokens: number): void {
    this.limiter.charge(this.ctx.now(), tokens);
  }

  sendError(code: ErrorCode, message: string, ref?: string): void {
    this.send(ref === undefined ? { type: 'error', code, message } : { type: 'error', code, message, ref });
  }

  /**
   * Close the session: send `final` (an error, bye...), flush, end. Others in the room are told at
   * once with `left{reason}`; the peer gets CLOSE_GRACE_MS to read the last bytes.
   */
  close(reason: LeftReason, ...final: ServerMessage[]): void {
    if (this.closing) return;
    for (const message of final) this.send(message);
    this.closing = true;
    this.#closeReason = reason;
    this.decoder = undefined;
    clearTimeout(this.linesTimer);
    this.outbox.end();
    this.ctx.detach(this, reason);
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /**
   * Drop at once, without a goodbye (slow reader, dead peer). The room hears `left{reason}` from
   * the socket's close event, which comes after the current broadcast loop has finished.
   */
  destroy(reason: LeftReason): void {
    if (!this.closing) {
      this.closing = true;
      this.#closeReason = reason;
      this.decoder = undefined;
      clearTimeout(this.linesTimer);
    }
    this.socket.destroy();
  }

  /** Periodic check from the server's sweep: login timeout and liveness. */
  tick(now: number): void {
    if (this.closing) return;
    if (this.readPaused && this.outbox.queued <= this.readPauseBytes) this.resumeReading();
    if (this.closing) return; // resuming met a bad frame: let the client read why
    const { loginTimeout, pingInterval, pingTimeout } = this.ctx.config;
    if (this.mode === 'pending') {
      // Not a byte yet, so no mode to answer in: the server never writes before it knows.
      if (now - this.connectedAt >= loginTimeout) this.destroy('timeout');
      return;
    }
    if (!this.loggedIn) {
      const limit = this.mode === 'text' ? loginTimeout * TEXT_LOGIN_FACTOR : loginTimeout;
      if (now - this.connectedAt >= limit) {
        this.close('timeout', { type: 'error', code: 'login_timeout', message: `No login within ${Math.round(limit / 1000)} s; closing.` });
      }
      return;
    }
    // A person at telnet cannot answer pings; text mode relies on TCP keepalive for dead peers.
    if (this.mode !== 'framed') return;
    if (this.pingSentAt === 0 && now - this.lastHeard >= pingInterval) {
      this.pingSentAt = now;
      this.send({ type: 'ping', token: now });
    } else if (this.pingSentAt !== 0 && now - this.pingSentAt >= pingTimeout) {
      this.ctx.log.info('timeout', { id: this.id, name: this.name, addr: this.address });
      this.destroy('timeout');
    }
  }

  private onData(chunk: Buffer): void {
    const now = this.ctx.now();
    this.lastHeard = now;
    this.pingSentAt = 0;
    // What the server reads after a stall of its own arrived all through the stall: not a burst.
    const busy = busyMs();
    this.limiter.forgive(now, busy - this.busySeen);
    this.busySeen = busy;
    if (this.mode === 'pending') this.setMode(modeOf(chunk[0]!));
    this.feed(chunk);
  }

  /**
   * Run the decoder, which may throw FrameError. Both ways in go through here: new bytes, and
   * (without a chunk) resuming after read backpressure, since the held rest of a chunk can hold a
   * bad header.
   */
  private feed(chunk?: Buffer): void {
    try {
      if (chunk) this.decoder?.push(chunk);
      else this.decoder?.resume();
    } catch (err) {
      this.failed(err);
    }
  }

  private failed(err: unknown): void {
    if (err instanceof FrameError) {
      this.ctx.metrics.counts.badFrames++;
      this.ctx.log.info('frame_error', { id: this.id, addr: this.address, code: err.code, error: err.message });
      this.close('disconnect', { type: 'error', code: err.code, message: err.message });
    } else {
      this.ctx.log.error('session_failed', { id: this.id, addr: this.address, error: String((err as Error)?.stack ?? err) });
      this.close('disconnect', { type: 'error', code: 'internal_error', message: 'internal server error' });
    }
  }

  /**
   * Read backpressure: after each request, if our unsent output to this client is over the mark,
   * stop decoding (the rest of the chunk waits in the decoder) and stop reading the socket until
   * the output drains. A client that asks faster than it reads is slowed down, not dropped.
   */
  private throttle(): void {
    if (this.readPaused || this.closing || this.outbox.queued <= this.readPauseBytes) return;
    this.readPaused = true;
    this.decoder?.pause();
    this.socket.pause();
    // 'drain' comes only after a write was refused (over Node's 16 KiB high-water mark); with a
    // smaller --max-sendq the mark is below that, and tick() resumes once the output is gone.
    this.socket.once('drain', this.resumeReading);
  }

  private readonly resumeReading = (): void => {
    if (!this.readPaused || this.closing) return;
    this.socket.off('drain', this.resumeReading);
    this.readPaused = false;
    if (this.waiting) return;
    this.socket.resume();
    this.feed();
    this.scheduleLines();
  };

  /** Read no more input until the answer in flight is complete; then go on where it stopped. */
  private wait(pending: Promise<void>): void {
    this.waiting = true;
    this.decoder?.pause();
    this.socket.pause();
    void pending.finally(() => {
      this.waiting = false;
      if (this.readPaused || this.closing) return;
      this.socket.resume();
      this.feed();
    });
  }

  /**
   * Hand a validated request to the command table, then apply backpressure. `after` runs once the
   * answer is complete, before any further input is read (a join that awaits a ban check).
   */
  private dispatch(message: ClientMessage, after?: () => void): void {
    const pending = this.ctx.run(this, message);
    if (pending) this.wait(after ? pending.finally(after) : pending);
    else after?.();
    this.throttle();
  }

  private setMode(mode: Mode): void {
    this.#mode = mode;
    if (mode === 'framed') {
      this.decoder = new FrameDecoder((payload) => this.onPayload(payload), this.ctx.config.maxFrame);
    } else {
      this.decoder = new LineDecoder(
        {
          line: (text) => this.onLine(text),
          tooLong: (limit) => {
            this.sendLines(lineRefusedLines(limit));
            this.countBadInput();
          },
        },
        MAX_TEXT_BYTES + TEXT_LINE_SLACK,
      );
    }
  }

  private onPayload(payload: Buffer): void {
    if (this.closing || !this.admit(payload)) return;
    let message: ClientMessage;
    let value: unknown;
    try {
      value = decode(payload);
      message = parseClientMessage(value);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.answering(labelOf(value), () => this.payloadError(err));
      return;
    }
    this.dispatch(message);
  }

  /**
   * Text mode's flood control: a line over the rate waits its turn (in order, behind any already
   * waiting) instead of being refused, so a paste arrives whole; only overflowing the queue is a
   * flood. Framed clients are refused with rate_limited instead (admit()): they can send again.
   */
  private onLine(line: string): void {
    if (this.closing) return;
    if (this.waitingLines.length === 0 && this.limiter.tryTake(this.ctx.now())) {
      this.runLine(line);
      return;
    }
    if (this.waitingLines.length >= TEXT_QUEUE_LINES) {
      this.ctx.log.info('flood', { id: this.id, name: this.name, addr: this.address, waiting: this.waitingLines.length });
      this.waitingLines.length = 0;
      this.ctx.metrics.counts.floodKicks++;
      this.sendLines(pasteOverflowLines(TEXT_QUEUE_LINES, this.ctx.config.rate));
      this.close('flood', { type: 'error', code: 'rate_limited', message: 'Flooding; disconnected.' }, { type: 'bye', reason: 'flood' });
      return;
    }
    this.waitingLines.push(line);
    this.scheduleLines();
  }

  /** Run the waiting lines the rate allows now; the rest wait for a timer, held only while needed. */
  private readonly runWaitingLines = (): void => {
    this.linesTimer = undefined;
    try {
      while (this.waitingLines.length > 0 && !this.closing && !this.readPaused && this.limiter.tryTake(this.ctx.now())) {
        this.runLine(this.waitingLines.shift()!);
      }
    } catch (err) {
      this.failed(err);
    }
    this.scheduleLines();
  };

  private scheduleLines(): void {
    if (this.linesTimer || this.waitingLines.length === 0 || this.closing || this.readPaused) return;
    // While reading is paused for our output, resumeReading() schedules the rest.
    this.linesTimer = setTimeout(this.runWaitingLines, Math.max(1, this.limiter.waitMs(this.ctx.now())));
    this.linesTimer.unref();
  }

  private runLine(line: string): void {
    let input: TextInput;
    const secret = this.secret;
    this.secret = undefined;
    if (secret?.kind === 'login') input = passwordLine(secret.name, line);
    else if (secret !== undefined && line === '')
      input = { kind: 'reply', lines: [secret.kind === 'register' ? 'Registration cancelled.' : 'Login cancelled.'] };
    else if (secret?.kind === 'account') input = { kind: 'send', message: { ...secret.hello, auth: { password: line } } };
    else if (secret?.kind === 'register') input = { kind: 'send', message: { type: 'register', password: line } };
    else input = parseTextLine(line, this.loggedIn, this.ctx.config.password !== undefined);
    if (input.kind === 'password') this.secret = { kind: 'login', name: input.name };
    if (input.kind === 'register') this.secret = { kind: 'register' };
    if (input.kind === 'reply' || input.kind === 'password' || input.kind === 'register') this.sendLines(input.lines);
    if (input.kind === 'switch') this.switchRoom(input.room);
    if (input.kind !== 'send') return;
    let message: ClientMessage;
    try {
      message = parseClientMessage(this.inTextRoom(input.message));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.payloadError(err); // a bad line counts as a bad frame does
      return;
    }
    if (message.type === 'hello' && message.auth === undefined && !this.loggedIn) {
      this.helloOrPrompt(message, input.message);
      return;
    }
    this.dispatch(message, () => this.settleTextRoom(message));
  }

  /**
   * Text mode's `login NAME` of a registered name asks for the account's password on the next
   * line instead of sending a hello that can only be refused (name_reserved). Input waits while
   * the store is read.
   */
  private helloOrPrompt(message: ClientMessage & { type: 'hello' }, typed: Record<string, unknown>): void {
    const pending = this.ctx.accounts
      .get(message.name)
      .then((account) => {
        if (this.closing) return;
        if (account === undefined) return this.ctx.run(this, message) ?? undefined;
        this.secret = { kind: 'account', hello: typed };
        this.sendLines([accountPrompt(account.name)]);
        return undefined;
      })
      .catch((err: unknown) => this.failed(err));
    this.wait(pending.finally(() => this.settleTextRoom(message)));
  }

  /** Text mode: requests typed without a room are about the current room. */
  private inTextRoom(message: Record<string, unknown>): Record<string, unknown> {
    const type = message['type'];
    const roomless =
      type === 'say' ||
      type === 'topic' ||
      type === 'part' ||
      type === 'look' ||
      type === 'history' ||
      type === 'mute' ||
      type === 'unmute';
    if (!roomless || message['room'] !== undefined) return message;
    if (this.textRoom === undefined || !this.membership.has(this.textRoom)) [this.textRoom] = this.membership.rooms;
    return this.textRoom === undefined ? message : { ...message, room: this.textRoom };
  }

  /** After a text request: a join makes its room current; leaving the current room picks another. */
  private settleTextRoom(message: ClientMessage): void {
    if (message.type === 'join') {
      const room = this.ctx.directory.resolve(foldName(message.room));
      if (this.membership.has(room)) this.textRoom = room;
    }
    if (this.textRoom === undefined || !this.membership.has(this.textRoom)) {
      const [first] = this.membership.rooms;
      this.textRoom = first;
    }
  }

  private switchRoom(room: string): void {
    const where = this.ctx.directory.resolve(foldName(room));
    if (!this.membership.has(where)) {
      this.sendLines([`You are not in ${where}: "join ${where}" first.`]);
      return;
    }
    this.textRoom = where;
    this.sendLines([`Now talking in ${where}.`]);
  }

  /**
   * Flood control, before anything is decoded. A refused frame is decoded only to name its type in
   * `ref`, so that a client knows which of its requests to send again; that costs nothing while
   * the rate holds, and sustained abuse is cut off as `flood`.
   */
  private admit(payload: Buffer): boolean {
    const verdict = this.limiter.take(this.ctx.now());
    if (verdict === 'ok') return true;
    if (verdict === 'flood') {
      this.ctx.log.info('flood', { id: this.id, name: this.name, addr: this.address });
      this.ctx.metrics.counts.floodKicks++;
      this.close('flood', { type: 'error', code: 'rate_limited', message: 'Flooding; disconnected.' }, { type: 'bye', reason: 'flood' });
    } else {
      const refused = payload && refusedRequest(payload);
      this.answering(refused?.label, () => this.sendError('rate_limited', 'Too many messages; slow down.', refused?.type));
    }
    return false;
  }

  private payloadError(err: ProtocolError): void {
    this.sendError(err.code, err.message, err.ref);
    this.countBadInput();
  }

  /** Bad frames, bad fields, bad or over-long text lines: over the limit per minute, close. */
  private countBadInput(): void {
    if (this.closing) return;
    this.ctx.metrics.counts.badFrames++;
    if (this.payloadErrors.hit(this.ctx.now())) {
      this.ctx.log.info('too_many_errors', { id: this.id, name: this.name, addr: this.address });
      this.close('flood', { type: 'bye', reason: 'too_many_errors' });
    }
  }

  private sendLines(lines: string[]): void {
    if (lines.length > 0 && !this.closing) this.outbox.write(Buffer.from(lines.join('\r\n') + '\r\n', 'utf8'));
  }

  private overflow(): void {
    this.ctx.metrics.counts.sendqDrops++;
    this.ctx.log.info('sendq_exceeded', { id: this.id, name: this.name, addr: this.address, queued: this.outbox.queued });
    this.destroy('sendq_exceeded');
  }
}

/** "::ffff:127.0.0.1" → "127.0.0.1", so one client counts once whatever the listener. */
export function normalizeIp(ip: string | undefined): string {
  if (ip === undefined) return 'unknown';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** The type and label of a framed request refused before it was handled, when it is a valid request. */
function refusedRequest(payload: Buffer): { type: ClientMessage['type']; label: string | undefined } | undefined {
  try {
    const message = parseClientMessage(decode(payload));
    return { type: message.type, label: message.label };
  } catch {
    return undefined;
  }
}
