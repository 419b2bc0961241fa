/**
 * @module
 * ChatServer: owns the listeners (main port, optional text port and TLS port), the set of
 * sessions, the name map (Users) and room membership (Rooms). Everything runs on one event loop.
 * Admission limits are applied when a socket arrives; liveness by one periodic sweep over all
 * sessions rather than a timer per connection.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ClientMessage, ErrorCode, LeftReason } from '../protocol/index.js';
import { runCommand } from './commands.js';
import { makeConfig, type ServerConfig } from './config.js';
import type { Context } from './context.js';
import { LocalFanout, type Fanout } from './fanout.js';
import { Logger } from './log.js';
import { Packet } from './packet.js';
import { MinuteCounter } from './rate-limit.js';
import { Rooms } from './rooms.js';
import { normalizeIp, Session, type SessionOptions } from './session.js';
import { Users } from './users.js';

/** Connections allowed beyond maxClients, for people still logging in. */
const PENDING_SLACK = 256;

export interface ListenInfo {
  host: string;
  port: number;
  textPort?: number;
  tlsPort?: number;
}

export interface ServerOptions {
  /** Where log lines go (default: stderr). */
  logSink?: (text: string) => void;
  now?: () => number;
}

export class ChatServer implements Context {
  readonly config: Readonly<ServerConfig>;
  readonly log: Logger;
  readonly users = new Users<Session>();
  readonly rooms = new Rooms<Session>();
  readonly fanout: Fanout;
  readonly now: () => number;

  private readonly sessions = new Set<Session>();
  private readonly perIp = new Map<string, number>();
  private readonly authFailures = new Map<string, MinuteCounter>();
  private readonly listeners: net.Server[] = [];
  private lastId = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;

  constructor(config: Partial<ServerConfig> = {}, options: ServerOptions = {}) {
    this.config = makeConfig(config);
    this.log = new Logger(this.config.logLevel, options.logSink);
    this.now = options.now ?? Date.now;
    this.fanout = new LocalFanout(this.rooms, this.users);
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  nextId(): number {
    return ++this.lastId;
  }

  run(session: Session, message: ClientMessage): void {
    runCommand(this, session, message);
  }

  detach(session: Session, reason: LeftReason): void {
    if (session.name === undefined || this.users.get(session.name) !== session) return;
    const room = this.rooms.leave(session);
    this.users.remove(session);
    if (room !== undefined && !this.shuttingDown) {
      this.fanout.toRoom(room, new Packet({ type: 'left', ts: this.now(), room, name: session.name, reason, clients: this.users.count }));
    }
  }

  authAllowed(ip: string): boolean {
    return !this.authFailures.get(ip)?.over(this.now());
  }

  authFailed(ip: string): void {
    let counter = this.authFailures.get(ip);
    if (!counter) {
      // Bounded: entries are dropped by the sweep once their minute has passed.
      counter = new MinuteCounter(this.config.maxAuthFailures);
      this.authFailures.set(ip, counter);
    }
    counter.hit(this.now());
  }

  /** Start every configured listener. Rejects (and closes what was opened) if any fails. */
  async listen(): Promise<ListenInfo> {
    const { host, port, textPort, tlsPort, tlsCert, tlsKey } = this.config;
    try {
      const main = net.createServer((socket) => this.accept(socket, {}));
      const info: ListenInfo = { host, port: await this.open(main, port) };
      if (textPort !== undefined) {
        const text = net.createServer((socket) => this.accept(socket, { textGreeting: true }));
        info.textPort = await this.open(text, textPort);
      }
      if (tlsPort !== undefined) {
        if (!tlsCert || !tlsKey) throw new Error('--tls-port needs --tls-cert and --tls-key');
        const secure = tls.createServer({ cert: tlsCert, key: tlsKey, handshakeTimeout: this.config.handshakeTimeout }, (socket) =>
          this.accept(socket, {}, true),
        );
        // Admission is counted on the raw TCP socket, before the handshake, so a stalled
        // handshake holds a per-address slot only until handshakeTimeout.
        secure.on('connection', (raw: net.Socket) => {
          if (!this.admitRaw(raw)) {
            raw.destroy();
            return;
          }
          const ip = normalizeIp(raw.remoteAddress);
          this.countIp(ip, 1);
          raw.once('close', () => this.countIp(ip, -1));
        });
        secure.on('tlsClientError', (err, socket) => {
          this.log.info('tls_error', { addr: `${socket.remoteAddress}:${socket.remotePort}`, error: err.message });
          // Node only reports a handshake timeout (or a failed handshake); closing is ours to do.
          socket.destroy();
        });
        info.tlsPort = await this.open(secure, tlsPort);
      }
      const sweepMs = Math.max(10, Math.min(1000, this.config.pingInterval / 4, this.config.pingTimeout / 4, this.config.loginTimeout / 4));
      this.sweepTimer = setInterval(() => this.sweep(), sweepMs);
      this.sweepTimer.unref();
      return info;
    } catch (err) {
      for (const l of this.listeners) l.close();
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

  /** Per-address admission for TLS sockets, counted before the handshake. */
  private admitRaw(raw: net.Socket): boolean {
    const ip = normalizeIp(raw.remoteAddress);
    if (this.config.maxConnsPerIp > 0 && (this.perIp.get(ip) ?? 0) >= this.config.maxConnsPerIp) {
      this.log.info('refused', { addr: ip, code: 'too_many_connections' });
      return false;
    }
    return true;
  }

  private countIp(ip: string, delta: number): void {
    const count = (this.perIp.get(ip) ?? 0) + delta;
    if (count <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, count);
  }

  /** `counted`: the address was counted (and admitted) on the raw socket already (TLS). */
  private accept(socket: net.Socket, options: SessionOptions, counted = false): void {
    if (this.shuttingDown || this.sessions.size >= this.config.maxClients + PENDING_SLACK) {
      socket.destroy();
      return;
    }
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // ECONNRESET, EPIPE and the like: the close event that follows cleans up.
      this.log.debug('socket_error', { code: err.code, error: err.message });
    });
    const ip = normalizeIp(socket.remoteAddress);
    const refuse = counted ? undefined : this.refusal((this.perIp.get(ip) ?? 0) + 1);
    const session = new Session(socket, this, refuse ? { ...options, refuse } : options);
    if (!counted) this.countIp(ip, 1);
    this.sessions.add(session);
    this.log.info('connect', { id: session.id, addr: session.address, conns: this.sessions.size });
    socket.on('close', () => {
      this.sessions.delete(session);
      if (!counted) this.countIp(ip, -1);
      const name = session.name;
      this.detach(session, session.closeReason ?? 'disconnect');
      this.log.info('disconnect', { id: session.id, name, addr: session.address, reason: session.closeReason ?? 'disconnect' });
    });
  }

  private refusal(countForIp: number): { code: ErrorCode; message: string } | undefined {
    if (this.config.maxConnsPerIp > 0 && countForIp > this.config.maxConnsPerIp) {
      return { code: 'too_many_connections', message: `Too many connections from your address (limit ${this.config.maxConnsPerIp}).` };
    }
    return undefined;
  }

  private sweep(): void {
    const now = this.now();
    for (const session of this.sessions) session.tick(now);
    for (const [ip, counter] of this.authFailures) if (counter.count(now) === 0) this.authFailures.delete(ip);
  }

  /**
   * Stop accepting, tell everyone (`notice`, then `bye{reason:"shutdown"}`), let their sockets
   * flush, and resolve once all are closed or `graceMs` has passed (the rest are destroyed).
   */
  async shutdown(graceMs = 3_000): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    clearInterval(this.sweepTimer);
    const closed = Promise.all(this.listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
    const notice = new Packet({ type: 'notice', text: `Server ${this.config.name} is shutting down.` });
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
    this.log.info('shutdown', { clients: this.users.count });
    this.log.flush();
  }
}

