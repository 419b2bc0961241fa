/**
 * @module
 * ChatServer: owns the listeners (main port, optional text port and TLS port), the set of
 * sessions, the name map (Users) and room membership (Rooms). Everything runs on one event loop.
 * Admission limits are applied when a socket arrives; liveness by one periodic sweep over all
 * sessions rather than a timer per connection.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ClientMessage, LeftReason } from '../protocol/internal.js';
import { LocalClaims, type NameClaims } from './claims.js';
import { runCommand, type Answer } from './commands.js';
import { makeConfig, type ServerConfig } from './config.js';
import type { Context } from './context.js';
import { LocalDirectory, type Directory } from './directory.js';
import { LocalFanout, type Fanout } from './fanout.js';
import { addressGroup, isLoopback } from './address.js';
import { Accounts } from './accounts.js';
import { Moderation, type ModerationRelay } from './moderation.js';
import { Archive } from './archive.js';
import { Retention } from './retention.js';
import type { IdSource } from './ids.js';
import { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { Packet } from './packet.js';
import { MinuteCounter } from './rate-limit.js';
import { errorBytes, Refusals, REFUSE_LINGER_MS, type Refusal, type RefusalSlot } from './refusal.js';
import { Rooms } from './rooms.js';
import { MemoryStore } from './store/memory.js';
import type { Store } from './store/store.js';
import { modeOf } from './sniff.js';
import { normalizeIp, Session, type SessionOptions } from './session.js';
import { Users } from './users.js';

/** Connections allowed beyond maxClients, for people still logging in. */
export const PENDING_SLACK = 256;
/** Refusals in progress at once (see refusal.ts): server-wide, and per address group. */
export const REFUSING_TOTAL = 256;
export const REFUSING_PER_GROUP = 16;
/** The first byte of a TLS handshake record (every ClientHello starts with it). */
const TLS_HANDSHAKE = 0x16;
const TLS_HINT = 'This port speaks TLS; use chat-client --tls or openssl s_client.';

/** A TLS connection between its arrival and its handshake's end. */
interface TlsArrival {
  raw: net.Socket;
  /** Admitted: counted against maxClients + PENDING_SLACK while the handshake runs. */
  admitted: boolean;
  refusal?: Refusal;
  slot?: RefusalSlot;
  /** handshakeTimeout, from arrival to the handshake's end (the first byte included). */
  timer?: NodeJS.Timeout;
}

export interface ListenInfo {
  host: string;
  port: number;
  textPort?: number;
  tlsPort?: number;
  metricsPort?: number;
}

export interface ServerOptions {
  /** Where log lines go (default: stderr). */
  logSink?: (text: string) => void;
  now?: () => number;
  /**
   * Run the liveness sweep on a timer (default true). Tests that drive `now` turn it off and
   * call sweep() themselves after moving their clock, so no timeout depends on sleeping.
   */
  sweep?: boolean;
  /**
   * Name claims other than this process's own map, given the local ones to build on (a cluster's
   * registry; tests use it to make claims asynchronous).
   */
  claims?: (local: NameClaims) => NameClaims;
  /** The store (the CLI opens SQLite in the data directory); default: in memory. Closed at shutdown. */
  store?: Store;
  /** Time between two retention passes (default a minute); tests shorten it. */
  retentionPeriodMs?: number;
  /** A cluster (cluster/node.ts): its own name map and rooms, then the seams it replaces. */
  cluster?: ClusterPlug;
}

/** What a cluster gives the server: subclasses of Users and Rooms that tell it of changes, then the seams. */
export interface ClusterPlug {
  users: Users<Session>;
  rooms: Rooms<Session>;
  attach(
    server: ChatServer,
    local: { fanout: LocalFanout<Session>; directory: Directory; claims: NameClaims },
  ): {
    fanout: Fanout;
    directory: Directory;
    claims: NameClaims;
    /** Kicks, bans and mutes to and from the other nodes. */
    moderation?: ModerationRelay;
  };
  /** At the start of shutdown: the other nodes hear that this one is going. */
  close(): Promise<void>;
  /** The link to the other nodes is up (metrics and /healthz). */
  readonly linkUp?: boolean;
}

export class ChatServer implements Context {
  readonly config: Readonly<ServerConfig>;
  readonly log: Logger;
  readonly users: Users<Session>;
  readonly rooms: Rooms<Session>;
  readonly directory: Directory;
  readonly fanout: Fanout;
  readonly ids: IdSource;
  readonly archive: Archive;
  readonly retention: Retention;
  readonly claims: NameClaims;
  readonly accounts: Accounts;
  readonly metrics: Metrics;
  readonly moderation: Moderation;
  readonly now: () => number;

  private readonly sessions = new Set<Session>();
  /** Admitted connections (sessions and TLS handshakes) per address group. */
  private readonly perIp = new Map<string, number>();
  private readonly refusals = new Refusals({ total: REFUSING_TOTAL, perGroup: REFUSING_PER_GROUP });
  /** TLS connections still in their handshake, by remote `address|port`. */
  private readonly tlsArrivals = new Map<string, TlsArrival>();
  /** Admitted entries of tlsArrivals. */
  private handshaking = 0;
  private readonly authFailures = new Map<string, MinuteCounter>();
  private readonly listeners: net.Server[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  private readonly sweepOnTimer: boolean;
  private readonly cluster: ClusterPlug | undefined;

  constructor(config: Partial<ServerConfig> = {}, options: ServerOptions = {}) {
    this.config = makeConfig(config);
    this.log = new Logger(this.config.logLevel, options.logSink);
    this.now = options.now ?? Date.now;
    this.sweepOnTimer = options.sweep ?? true;
    this.cluster = options.cluster;
    this.users = options.cluster?.users ?? new Users<Session>();
    this.rooms = options.cluster?.rooms ?? new Rooms<Session>();
    const store = options.store ?? new MemoryStore();
    this.retention = new Retention(
      store,
      { days: this.config.historyDays, roomCap: this.config.historyRoomCap },
      this.log,
      this.now,
      options.retentionPeriodMs,
    );
    this.archive = new Archive(store, this.log, (text) => this.noticeAll(text), {
      // A full disk: free at once whatever retention allows, rather than at the next period.
      onWriteFailed: () => this.retention.run(),
    });
    this.ids = this.archive.ids;
    const directory = new LocalDirectory(this.users, this.rooms);
    this.metrics = new Metrics({
      sessions: () => this.sessions,
      users: () => this.users.count,
      rooms: () => this.rooms.count,
      stopping: () => this.shuttingDown,
      storeFailing: () => this.archive.storeFailing,
      ...(this.cluster ? { clusterLink: () => this.cluster!.linkUp !== false } : {}),
    });
    const fanout = new LocalFanout(this.rooms, this.users, { ids: this.ids, archive: this.archive }, this.metrics.counts);
    const local = new LocalClaims((name) => this.users.holder(name)?.id);
    const claims = options.claims ? options.claims(local) : local;
    let relay: ModerationRelay | undefined;
    if (options.cluster) {
      ({
        fanout: this.fanout,
        directory: this.directory,
        claims: this.claims,
        moderation: relay,
      } = options.cluster.attach(this, {
        fanout,
        directory,
        claims,
      }));
    } else {
      this.fanout = fanout;
      this.directory = directory;
      this.claims = claims;
    }
    this.archive.onCommit = (ms, report) => this.metrics.committed(ms, report);
    const c = this.config;
    this.accounts = new Accounts(
      this.archive.store,
      { scrypt: c.scrypt, hashConcurrency: c.hashConcurrency, hashQueue: c.hashQueue, throttle: c.loginThrottle },
      this.log,
      this.now,
    );
    this.moderation = new Moderation(this.archive.store, c.operators, this.log, this.now, relay);
  }

  /** A `notice` to everyone logged in (there are no operator accounts yet: everyone is told). */
  private noticeAll(text: string): void {
    const notice = new Packet({ type: 'notice', text });
    for (const session of this.sessions) if (session.loggedIn) session.deliver(notice);
  }

  /** Sessions: admitted connections past their TLS handshake. Refused ones are never counted. */
  get connectionCount(): number {
    return this.sessions.size;
  }

  /** Connections being refused right now (each closes within a few seconds). */
  get refusingCount(): number {
    return this.refusals.count;
  }

  run(session: Session, message: ClientMessage): Answer {
    return runCommand(this, session, message);
  }

  detach(session: Session, reason: LeftReason): void {
    const name = session.name;
    if (name === undefined || this.users.get(name) !== session) return;
    const rooms = this.rooms.leaveAll(session);
    this.users.remove(session);
    this.claims.release(name, session.id);
    if (this.shuttingDown) return;
    const ts = this.now();
    for (const room of rooms)
      this.fanout.toRoom(room, new Packet({ type: 'left', ts, room, name, reason, clients: this.directory.clients }));
  }

  authAllowed(ip: string): boolean {
    return !this.authFailures.get(addressGroup(ip))?.over(this.now());
  }

  authFailed(ip: string): void {
    const group = addressGroup(ip);
    let counter = this.authFailures.get(group);
    if (!counter) {
      // Bounded: entries are dropped by the sweep once their minute has passed.
      counter = new MinuteCounter(this.config.maxAuthFailures);
      this.authFailures.set(group, counter);
    }
    counter.hit(this.now());
  }

  /** Start every configured listener. Rejects (and closes what was opened) if any fails. */
  async listen(): Promise<ListenInfo> {
    const { host, port, textPort, tlsPort, tlsCert, tlsKey } = this.config;
    // Mutes in force are checked at every `say`, from memory: read before anyone can speak.
    await this.moderation.load();
    try {
      const main = net.createServer((socket) => this.accept(socket, {}));
      const info: ListenInfo = { host, port: await this.open(main, port) };
      if (textPort !== undefined) {
        const text = net.createServer((socket) => this.accept(socket, { textGreeting: true }));
        info.textPort = await this.open(text, textPort);
      }
      if (tlsPort !== undefined) {
        if (!tlsCert || !tlsKey) throw new Error('--tls-port needs --tls-cert and --tls-key');
        // The TLS server does not listen itself: a plain listener reads the first byte (to
        // answer plain bytes with a hint) and hands the socket over with the byte put back.
        const secure = tls.createServer({ cert: tlsCert, key: tlsKey, handshakeTimeout: this.config.handshakeTimeout }, (socket) =>
          this.acceptSecure(socket),
        );
        secure.on('tlsClientError', (err, socket) => {
          this.log.info('tls_error', { addr: `${socket.remoteAddress}:${socket.remotePort}`, error: err.message });
          // Node only reports a handshake timeout (or a failed handshake); closing is ours to do.
          socket.destroy();
        });
        const front = net.createServer((raw) => this.acceptTls(raw, secure));
        info.tlsPort = await this.open(front, tlsPort);
      }
      // Its own listener, closed last at shutdown so that /healthz answers 503 meanwhile.
      if (this.config.metricsPort !== undefined)
        info.metricsPort = await this.metrics.listen(this.config.metricsHost, this.config.metricsPort);
      if (this.sweepOnTimer) {
        const sweepMs = Math.max(
          10,
          Math.min(1000, this.config.pingInterval / 4, this.config.pingTimeout / 4, this.config.loginTimeout / 4),
        );
        this.sweepTimer = setInterval(() => this.sweep(), sweepMs);
        this.sweepTimer.unref();
      }
      this.retention.start();
      return info;
    } catch (err) {
      for (const l of this.listeners) l.close();
      await this.metrics.close();
      throw err;
    }
  }

  private open(server: net.Server, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.config.host, port, backlog: 4096 }, () => {
        server.off('error', reject);
        // Errors after listening (EMFILE on accept, ...) are logged; the server keeps serving.
        server.on('error', (err) => this.log.error('listener_error', { error: err.message }));
        this.listeners.push(server);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  /**
   * Admission, decided when a socket arrives: over the per-address limit (loopback exempt unless
   * configured otherwise) → too_many_connections; over maxClients + PENDING_SLACK admitted
   * connections → server_full. A refused connection is handed to Refusals and never counted here.
   */
  private admission(ip: string, group: string): Refusal | undefined {
    const { maxConnsPerIp, maxClients, exemptLoopback } = this.config;
    if (maxConnsPerIp > 0 && !(exemptLoopback && isLoopback(ip)) && (this.perIp.get(group) ?? 0) >= maxConnsPerIp) {
      return { code: 'too_many_connections', message: `Too many connections from your address (limit ${maxConnsPerIp}).` };
    }
    if (this.sessions.size + this.handshaking >= maxClients + PENDING_SLACK) {
      return { code: 'server_full', message: `The server is full (${maxClients} users).` };
    }
    return undefined;
  }

  private refuse(socket: net.Socket, ip: string, group: string, refusal: Refusal): RefusalSlot | undefined {
    const slot = this.refusals.take(socket, group);
    this.log.info('refused', { addr: ip, code: refusal.code, answered: slot !== undefined });
    return slot;
  }

  private countIp(group: string, delta: number): void {
    const count = (this.perIp.get(group) ?? 0) + delta;
    if (count <= 0) this.perIp.delete(group);
    else this.perIp.set(group, count);
  }

  /** Main and text port: admit as a session, or refuse at once. */
  private accept(socket: net.Socket, options: SessionOptions): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    const ip = normalizeIp(socket.remoteAddress);
    const group = addressGroup(ip);
    const refusal = this.admission(ip, group);
    if (refusal) {
      this.refuse(socket, ip, group, refusal)?.answer(socket, refusal, options.textGreeting === true);
      return;
    }
    this.countIp(group, 1);
    socket.once('close', () => this.countIp(group, -1));
    this.startSession(socket, options);
  }

  /**
   * TLS port, on the raw TCP socket: admission is decided (and counted) here, before the
   * handshake, so a stalled handshake holds a per-address slot only until handshakeTimeout.
   * Plain bytes get a hint instead of a handshake.
   */
  private acceptTls(raw: net.Socket, secure: tls.Server): void {
    if (this.shuttingDown) {
      raw.destroy();
      return;
    }
    raw.on('error', (err: NodeJS.ErrnoException) => this.log.debug('socket_error', { code: err.code, error: err.message }));
    const ip = normalizeIp(raw.remoteAddress);
    const group = addressGroup(ip);
    const refusal = this.admission(ip, group);
    const arrival: TlsArrival = { raw, admitted: refusal === undefined };
    if (refusal) {
      const slot = this.refuse(raw, ip, group, refusal);
      if (!slot) return;
      Object.assign(arrival, { refusal, slot });
    } else {
      this.countIp(group, 1);
      this.handshaking++;
      raw.once('close', () => this.countIp(group, -1));
    }
    const key = `${raw.remoteAddress}|${raw.remotePort}`;
    this.tlsArrivals.set(key, arrival);
    raw.once('close', () => this.settleTls(key, raw));
    arrival.timer = setTimeout(() => {
      this.log.info('tls_error', { addr: `${raw.remoteAddress}:${raw.remotePort}`, error: 'TLS handshake timeout' });
      raw.destroy();
    }, this.config.handshakeTimeout).unref();
    raw.once('data', (chunk: Buffer) => {
      if (chunk[0] !== TLS_HANDSHAKE) {
        this.settleTls(key, raw);
        this.log.info('not_tls', { addr: `${raw.remoteAddress}:${raw.remotePort}` });
        // In the mode the byte chose: an error frame for a framed client, a line for a person.
        raw.end(errorBytes(modeOf(chunk[0]!), { code: 'bad_request', message: TLS_HINT }));
        raw.resume(); // read and discard until the peer closes, so the hint is not lost to a reset
        setTimeout(() => raw.destroy(), REFUSE_LINGER_MS).unref();
        return;
      }
      raw.pause();
      raw.unshift(chunk);
      secure.emit('connection', raw);
    });
  }

  /**
   * A TLS connection's handshake is over (or it closed): it no longer counts as handshaking.
   * `raw`, when known, guards against a late close of an earlier socket from the same port.
   */
  private settleTls(key: string, raw?: net.Socket): TlsArrival | undefined {
    const arrival = this.tlsArrivals.get(key);
    if (arrival === undefined || (raw !== undefined && arrival.raw !== raw)) return undefined;
    this.tlsArrivals.delete(key);
    clearTimeout(arrival.timer);
    if (arrival.admitted) this.handshaking--;
    return arrival;
  }

  /** A TLS handshake completed: a session, or the refusal decided on arrival. */
  private acceptSecure(socket: tls.TLSSocket): void {
    const arrival = this.settleTls(`${socket.remoteAddress}|${socket.remotePort}`);
    if (arrival === undefined || this.shuttingDown) {
      socket.destroy();
      return;
    }
    if (arrival.slot && arrival.refusal) {
      arrival.slot.answer(socket, arrival.refusal, false);
      return;
    }
    this.startSession(socket, {});
  }

  private startSession(socket: net.Socket, options: SessionOptions): void {
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // ECONNRESET, EPIPE and the like: the close event that follows cleans up.
      this.log.debug('socket_error', { code: err.code, error: err.message });
    });
    const session = new Session(socket, this, options);
    this.sessions.add(session);
    this.log.info('connect', { id: session.id, addr: session.address, conns: this.sessions.size });
    socket.on('close', () => {
      this.sessions.delete(session);
      const name = session.name;
      this.detach(session, session.closeReason ?? 'disconnect');
      this.log.info('disconnect', { id: session.id, name, addr: session.address, reason: session.closeReason ?? 'disconnect' });
    });
  }

  /** Login timeouts, pings and dead peers for every session at `now()`; the timer calls it. */
  sweep(): void {
    const now = this.now();
    for (const session of this.sessions) session.tick(now);
    for (const [ip, counter] of this.authFailures) if (counter.count(now) === 0) this.authFailures.delete(ip);
    this.accounts.sweep();
    this.moderation.sweep();
  }

  /**
   * Stop accepting, tell everyone (`notice`, then `bye{reason:"shutdown"}`), let their sockets
   * flush, and resolve once all are closed or `graceMs` has passed (the rest are destroyed).
   */
  async shutdown(graceMs = 3_000): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    clearInterval(this.sweepTimer);
    // The other nodes tell their rooms that this node's users left (shutdown), and stop hearing of it.
    await this.cluster?.close();
    const closed = Promise.all(this.listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
    const notice = new Packet({ type: 'notice', text: `Server ${this.config.name} is shutting down.` });
    this.refusals.destroyAll();
    for (const arrival of this.tlsArrivals.values()) arrival.raw.destroy();
    for (const session of this.sessions) {
      // Not a byte from it yet, so no mode to answer in: the server never writes before it knows.
      if (session.mode === 'pending') {
        session.destroy('shutdown');
        continue;
      }
      session.deliver(notice);
      session.close('shutdown', { type: 'bye', reason: 'shutdown' });
    }
    const deadline = Date.now() + graceMs;
    while (this.sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const session of this.sessions) session.destroy('shutdown');
    await closed;
    await this.retention.stop();
    await this.metrics.close();
    await this.archive.close();
    this.log.info('shutdown', { clients: this.directory.clients });
    this.log.flush();
  }
}
