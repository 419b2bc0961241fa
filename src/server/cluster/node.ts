/**
 * @module
 * ClusterNode: one chat-server process in a cluster on Redis and PostgreSQL (docs/CLUSTER.md).
 * It plugs into ChatServer (ServerOptions.cluster) and replaces three seams:
 *
 * - Fanout: everything a handler sends to a room, a user or everyone is published on the Bus and
 *   delivered by every node, this one too, to its own sessions when the event comes back from
 *   Redis. One stream, one order: every member of a conversation, on any node, sees the same
 *   order, and a room or private message's id is its place in it (ids increase in that order, so
 *   `since` works on any node). Every node records every message in the store (a duplicate
 *   insert is ignored), and the Archive holds its deliveries until the commit settles: what a
 *   client received is in the store, and a `since` read on a node sees all it had read.
 * - Directory: ClusterDirectory, this node's Users and Rooms plus a view of the others, kept from
 *   the presence deltas each node publishes about its own sessions (ClusterUsers and ClusterRooms
 *   below see every change) and from snapshots a node publishes when another one starts.
 * - NameClaims: RedisClaims, refreshed every CLAIM_REFRESH_MS.
 * - Moderation's relay: ClusterModeration (cluster/moderation.ts), kicks, bans and mutes to every node.
 *
 * Heartbeats: every HEARTBEAT_MS a node sets `node:<id>` with a TTL of HEARTBEAT_TTL_MS. Each node
 * checks the nodes it has a view of; one whose key is gone is declared `gone` on the bus (so every
 * node handles it at the same place in the stream): its users leave their rooms with reason
 * `timeout`. Its names come free as their claims expire (CLAIM_TTL_MS).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ProtocolError, type LeftReason, type ServerMessage } from '../../protocol/internal.js';
import type { NameClaims } from '../claims.js';
import type { Directory } from '../directory.js';
import { deliverChat, type Chat, type Fanout, type LocalFanout, type PartyAccounts } from '../fanout.js';
import type { Logger } from '../log.js';
import { Packet } from '../packet.js';
import { Rooms, type Topic } from '../rooms.js';
import type { ChatServer, ClusterPlug } from '../server.js';
import type { Session } from '../session.js';
import { Users } from '../users.js';
import { Bus } from './bus.js';
import { CLAIM_TTL_MS, RedisClaims } from './claims.js';
import { ClusterDirectory, type Delta, type Snapshot } from './directory.js';
import { ClusterModeration, type ModerationEvent } from './moderation.js';

export const HEARTBEAT_MS = 2_000;
export const HEARTBEAT_TTL_MS = 10_000;
export const CLAIM_REFRESH_MS = CLAIM_TTL_MS / 4;
/** The longest a sender waits for its message to come back from Redis. */
export const POST_TIMEOUT_MS = 5_000;
const NODE_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export function isValidNodeId(id: string): boolean {
  return NODE_ID_RE.test(id);
}

/** A node id for a node started without --node-id: the host name and a random suffix. */
export function deriveNodeId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '')
      .slice(0, 40) || 'node';
  return `${host}-${randomBytes(3).toString('hex')}`;
}

/** What travels on the bus, as JSON; `n` is the sending node. */
type Event =
  | { n: string; t: 'room'; room: string; m: ServerMessage; x?: number }
  | { n: string; t: 'rooms'; rooms: string[]; m: ServerMessage; x?: number }
  | { n: string; t: 'user'; name: string; m: ServerMessage }
  | { n: string; t: 'all'; m: ServerMessage; x?: number }
  | { n: string; t: 'chat'; c: number; m: Chat; x?: number; a?: PartyAccounts }
  | { n: string; t: 'p'; d: Delta }
  | { n: string; t: 'hello' }
  | { n: string; t: 'state'; s: Snapshot }
  | { n: string; t: 'gone'; node: string; reason: LeftReason }
  | ModerationEvent;

/** Users that tell the node of every name added, changed and removed. */
class ClusterUsers extends Users<Session> {
  private renaming = false;
  constructor(private readonly emit: (d: Delta) => void) {
    super();
  }
  override add(member: Session, name: string): boolean {
    const ok = super.add(member, name);
    if (ok) this.emit(['in', name]);
    return ok;
  }
  override rename(member: Session, name: string): boolean {
    const from = member.identity.name;
    this.renaming = true;
    let ok: boolean;
    try {
      ok = super.rename(member, name);
    } finally {
      this.renaming = false;
    }
    if (ok && from !== undefined) this.emit(['nick', from, name]);
    return ok;
  }
  override remove(member: Session): void {
    const name = member.identity.name;
    const held = name !== undefined && this.get(name) === member;
    super.remove(member);
    if (held && !this.renaming) this.emit(['out', name]);
  }
}

/** Rooms that tell the node of every join, part and topic. */
class ClusterRooms extends Rooms<Session> {
  constructor(private readonly emit: (d: Delta) => void) {
    super();
  }
  override join(member: Session, room: string): boolean {
    const ok = super.join(member, room);
    if (ok) this.emit(['join', member.identity.name!, room]);
    return ok;
  }
  override part(member: Session, room: string): boolean {
    const name = member.identity.name;
    const ok = super.part(member, room);
    if (ok && name !== undefined) this.emit(['part', name, room]);
    return ok;
  }
  override setTopic(room: string, topic: Topic): boolean {
    const ok = super.setTopic(room, topic);
    if (ok) this.emit(['topic', room, topic]);
    return ok;
  }
  /** A topic another node set: no news to send. */
  takeTopic(room: string, topic: Topic): void {
    super.setTopic(room, topic);
  }
}

export interface ClusterOptions {
  redis: string;
  node: string;
  log: Logger;
  /** Prefix of every Redis key and channel (tests give each their own). */
  prefix?: string;
  /** The largest message id the store holds: the bus numbers above it. */
  lastId: number;
}

export class ClusterNode implements ClusterPlug, Fanout {
  readonly users: ClusterUsers;
  readonly rooms: ClusterRooms;
  private server!: ChatServer;
  private local!: LocalFanout<Session>;
  private directory!: ClusterDirectory;
  private claims!: RedisClaims;
  /** Kicks, bans and mutes across nodes (cluster/moderation.ts). */
  private moderation!: ClusterModeration;
  /** Messages this node posted, by nonce, waiting for their place in the stream. */
  private readonly posting = new Map<number, (message: Chat) => void>();
  private nonce = 0;
  private timers: NodeJS.Timeout[] = [];
  private closing = false;
  private linkDown = false;
  private readonly log: Logger;

  private constructor(
    private readonly bus: Bus,
    readonly id: string,
    log: Logger,
  ) {
    this.log = log;
    const emit = (d: Delta): void => this.send({ n: this.id, t: 'p', d });
    this.users = new ClusterUsers(emit);
    this.rooms = new ClusterRooms(emit);
  }

  /** Connect to Redis, raise the id counter above the store's, subscribe. */
  static async start(options: ClusterOptions): Promise<ClusterNode> {
    const ref: { node?: ClusterNode } = {};
    const bus = await Bus.connect({ url: options.redis, prefix: options.prefix }, (err) => ref.node?.linkError(err));
    const node = (ref.node = new ClusterNode(bus, options.node, options.log));
    await bus.floor(options.lastId);
    await bus.subscribe((seq, json) => node.receive(seq, json));
    return node;
  }

  attach(server: ChatServer, local: { fanout: LocalFanout<Session>; directory: Directory; claims: NameClaims }) {
    this.server = server;
    this.local = local.fanout;
    this.directory = new ClusterDirectory(this.users, this.rooms);
    this.claims = new RedisClaims(this.bus, this.id, local.claims, (what, err) =>
      this.log.warn('cluster_claim_error', { what, error: String(err) }),
    );
    void this.beat();
    this.send({ n: this.id, t: 'hello' });
    this.timers.push(
      setInterval(() => void this.beat(), HEARTBEAT_MS),
      setInterval(() => void this.claims.refresh(this.held()), CLAIM_REFRESH_MS),
    );
    for (const t of this.timers) t.unref();
    this.log.info('cluster_node', { node: this.id });
    this.moderation = new ClusterModeration(
      this.id,
      (e) => this.sendModeration(e),
      () => this.directory.views.keys(),
      server,
    );
    return {
      fanout: this as Fanout,
      directory: this.directory as Directory,
      claims: this.claims as NameClaims,
      moderation: this.moderation,
    };
  }

  private *held(): Iterable<[string, number]> {
    for (const s of this.users.all()) if (s.identity.name !== undefined) yield [s.identity.name, s.id];
  }

  private linkError(err: Error): void {
    if (this.linkDown) return;
    this.linkDown = true;
    this.log.error('cluster_link_error', { error: err.message });
  }

  private send(event: Event): void {
    if (this.closing && event.t !== 'gone') return;
    this.bus.publish(JSON.stringify(event)).then(
      () => {
        if (this.linkDown) {
          this.linkDown = false;
          this.log.warn('cluster_link_up', {});
        }
      },
      (err: unknown) => this.linkError(err instanceof Error ? err : new Error(String(err))),
    );
  }

  /** Moderation's events: as send(), but resolving once Redis has taken the event (or it failed). */
  private sendModeration(event: ModerationEvent): Promise<void> {
    if (this.closing) return Promise.resolve();
    return this.bus.publish(JSON.stringify(event)).then(
      () => {},
      (err: unknown) => this.linkError(err instanceof Error ? err : new Error(String(err))),
    );
  }

  // ---- Fanout: publish; delivery happens in receive() ----

  toRoom(room: string, packet: Packet, except?: number): void {
    this.send({ n: this.id, t: 'room', room, m: packet.message, ...(except !== undefined ? { x: except } : {}) });
  }

  toRooms(rooms: Iterable<string>, packet: Packet, except?: number): void {
    this.send({ n: this.id, t: 'rooms', rooms: [...rooms], m: packet.message, ...(except !== undefined ? { x: except } : {}) });
  }

  toUser(name: string, packet: Packet): boolean {
    if (this.directory.user(name) === undefined) return false;
    this.send({ n: this.id, t: 'user', name, m: packet.message });
    return true;
  }

  toAll(packet: Packet, except?: number): void {
    this.send({ n: this.id, t: 'all', m: packet.message, ...(except !== undefined ? { x: except } : {}) });
  }

  /**
   * Resolves when the message comes back on the subscription, in its place. One that does not
   * within POST_TIMEOUT_MS (the link broke while it was on its way) is reported to the sender as
   * an error, so the sender's session, which reads nothing while it waits, never stalls.
   */
  post(message: Chat, except?: number, accounts?: PartyAccounts): Promise<Chat> {
    const c = ++this.nonce;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.posting.delete(c);
        const ref = message.type === 'message' ? 'say' : 'msg';
        reject(
          new ProtocolError('internal_error', 'The cluster did not confirm your message in time; it may not have reached everyone.', ref),
        );
      }, POST_TIMEOUT_MS);
      this.posting.set(c, (numbered) => {
        clearTimeout(timer);
        resolve(numbered);
      });
      this.send({
        n: this.id,
        t: 'chat',
        c,
        m: message,
        ...(except !== undefined ? { x: except } : {}),
        ...(accounts ? { a: accounts } : {}),
      });
    });
  }

  // ---- the stream ----

  private receive(seq: number, json: string): void {
    let e: Event;
    try {
      e = JSON.parse(json) as Event;
    } catch {
      return;
    }
    const mine = e.n === this.id;
    const except = mine && 'x' in e ? e.x : undefined;
    try {
      switch (e.t) {
        case 'room':
          if (!mine && e.m.type === 'topic' && this.rooms.has(e.room))
            this.rooms.takeTopic(e.room, { text: e.m.text, by: e.m.by, ts: e.m.ts });
          this.local.toRoom(e.room, new Packet(e.m), except);
          break;
        case 'rooms':
          this.local.toRooms(e.rooms, new Packet(e.m), except);
          break;
        case 'user':
          this.local.toUser(e.name, new Packet(e.m));
          break;
        case 'all':
          this.local.toAll(new Packet(e.m), except);
          break;
        case 'chat':
          this.chat(seq, e, mine);
          break;
        case 'p':
          if (!mine) this.directory.apply(e.n, e.d);
          break;
        case 'hello':
          if (mine) break;
          // A node that starts has no sessions: whatever was known of a node by that id (killed
          // and restarted before its heartbeat expired) is gone.
          this.gone(e.n, 'timeout');
          this.send({ n: this.id, t: 'state', s: this.snapshot() });
          break;
        case 'state':
          if (!mine) this.directory.replace(e.n, e.s);
          break;
        case 'gone':
          if (e.node === this.id) {
            // Declared dead while alive (a long pause): tell everyone again who is here.
            if (!this.closing) this.send({ n: this.id, t: 'state', s: this.snapshot() });
          } else this.gone(e.node, e.reason);
          break;
        default:
          this.moderation.receive(e, mine);
      }
    } catch (err) {
      this.log.error('cluster_event_failed', { type: e.t, error: String((err as Error)?.stack ?? err) });
    }
  }

  private chat(seq: number, e: Extract<Event, { t: 'chat' }>, mine: boolean): void {
    const message: Chat = { ...e.m, id: seq };
    // Every node records it (the store ignores a second copy), with its parties' accounts, also one
    // with nobody to deliver it to: a client that logs in here next with `since` must find it in
    // this node's reads, which come after its own commits, though the others' have not landed yet.
    this.server.archive.record(message, e.a ?? {});
    deliverChat(this.local, this.users, message, mine ? e.x : undefined);
    if (!mine) return;
    const resolve = this.posting.get(e.c);
    this.posting.delete(e.c);
    // The labelled sender's copy goes now, in its place (Fanout.post): from the promise's callback
    // it would follow the events after it in the same read from Redis. Only while the sender still
    // waits for it: its session labels what send() writes with the say or msg it is answering.
    if (resolve && e.x !== undefined) this.waitingSender(message.from, e.x)?.send(message);
    resolve?.(message);
  }

  private waitingSender(name: string, id: number): Session | undefined {
    const session = this.users.get(name);
    return session !== undefined && session.id === id && session.active ? session : undefined;
  }

  private snapshot(): Snapshot {
    const users: [string, string[]][] = [];
    const topics: [string, Topic][] = [];
    const rooms = new Set<string>();
    for (const s of this.users.all()) {
      if (s.identity.name === undefined) continue;
      users.push([s.identity.name, [...s.membership.rooms]]);
      for (const r of s.membership.rooms) rooms.add(r);
    }
    for (const r of rooms) {
      const t = this.rooms.topic(r);
      if (t.ts !== 0) topics.push([r, t]);
    }
    return { users, topics };
  }

  /** `node` is gone: its users leave their rooms, as this node's members see it. */
  private gone(node: string, reason: LeftReason): void {
    this.moderation.gone(node);
    const view = this.directory.drop(node);
    if (!view) return;
    const ts = this.server.now();
    const clients = this.directory.clients;
    for (const user of view.users.values()) {
      for (const room of user.rooms) {
        this.local.toRoom(room, new Packet({ type: 'left', ts, room, name: user.name, reason, clients }));
      }
    }
    this.log.info('cluster_node_gone', { node, users: view.users.size, reason });
  }

  private async beat(): Promise<void> {
    if (this.closing) return;
    const p = this.bus.prefix;
    try {
      await this.bus.cmd.set(`${p}node:${this.id}`, String(Date.now()), { PX: HEARTBEAT_TTL_MS });
      for (const node of [...this.directory.views.keys()]) {
        if ((await this.bus.cmd.exists(`${p}node:${node}`)) === 0) this.send({ n: this.id, t: 'gone', node, reason: 'timeout' });
      }
    } catch (err) {
      this.linkError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Leave the cluster: the others hear `gone` (shutdown) first; then the links close. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    try {
      await this.bus.publish(JSON.stringify({ n: this.id, t: 'gone', node: this.id, reason: 'shutdown' } satisfies Event));
      await this.bus.cmd.del(`${this.bus.prefix}node:${this.id}`);
      const releases: Promise<unknown>[] = [];
      for (const [name, session] of this.held()) releases.push(Promise.resolve(this.claims.release(name, session)));
      await Promise.allSettled(releases);
    } catch (err) {
      this.linkError(err instanceof Error ? err : new Error(String(err)));
    }
    // Let the releases (fire-and-forget) reach Redis before the connections close.
    await this.bus.close();
  }
}
