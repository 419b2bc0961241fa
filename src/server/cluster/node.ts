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
 *
 * Redis outages (the "outage" methods below): while the link is down the node serves its own
 * sessions alone, numbering messages from the store; at the return it floors the counter, takes
 * its names again, trades snapshots (`sync`, `state`) and fills the gap from the store by id.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ProtocolError, type LeftReason, type MessageMsg, type ServerMessage } from '../../protocol/internal.js';
import type { NameClaims } from '../claims.js';
import type { Directory } from '../directory.js';
import { deliverChat, type Chat, type Fanout, type LocalFanout, type PartyAccounts } from '../fanout.js';
import type { Logger } from '../log.js';
import { Packet } from '../packet.js';
import { wireMessage } from '../handlers/history.js';
import { MAX_PAGE_LIMIT } from '../store/store.js';
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
/** After the link returns, names taken while it was down are claimed this much after the others. */
export const PROVISIONAL_DELAY_MS = 1_000;
/** Pages of MAX_PAGE_LIMIT read per room when filling a gap; beyond, the users are told to page back. */
export const GAP_PAGES = 20;
/** Chat ids remembered as delivered (the gap fill's dedupe); the oldest are forgotten beyond. */
export const SEEN_IDS = 100_000;
/**
 * Ids set aside for Redis at a return: the store's counter jumps this far above the floor, so a
 * node still cut off (numbering from the store) cannot hand out an id Redis is handing out.
 */
export const REDIS_RESERVE = 1_000_000;
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
  | { n: string; t: 'state'; s: Snapshot; r?: 1 }
  | { n: string; t: 'sync'; since: number }
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
  /** Ids from the store while the Redis link is down, and the floor at its return (PostgresStore.takeId). */
  ids?: { take(floor: number, reserve?: number): Promise<number> };
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
  /** down: Redis unreachable, this node serves its own users alone (see "outage" below). */
  private link: 'up' | 'down' = 'up';
  /** The highest bus number seen when the link went down: the gap to fill starts there. */
  private downSince = 0;
  /** Until then no other node is declared gone: their heartbeats were lost with Redis too. */
  private graceUntil = 0;
  /** Outage ids are taken one after the other, so messages are delivered in id order. */
  private idChain: Promise<unknown> = Promise.resolve();
  /** Chat ids delivered here (bus, outage posts, gap fills), oldest first, at most SEEN_IDS. */
  private readonly seen = new Set<number>();
  private readonly log: Logger;

  private constructor(
    private readonly bus: Bus,
    readonly id: string,
    log: Logger,
    private readonly ids: ClusterOptions['ids'],
  ) {
    this.log = log;
    const emit = (d: Delta): void => this.send({ n: this.id, t: 'p', d });
    this.users = new ClusterUsers(emit);
    this.rooms = new ClusterRooms(emit);
  }

  /** Connect to Redis, raise the id counter above the store's, subscribe. */
  static async start(options: ClusterOptions): Promise<ClusterNode> {
    const ref: { node?: ClusterNode } = {};
    const bus = await Bus.connect(
      { url: options.redis, prefix: options.prefix },
      { error: (err) => ref.node?.linkError(err), ready: () => ref.node?.linkReady() },
    );
    const node = (ref.node = new ClusterNode(bus, options.node, options.log, options.ids));
    await bus.floor(options.lastId);
    await bus.subscribe((seq, json) => node.receive(seq, json));
    return node;
  }

  /**
   * Fanout.horizon: every bus event up to lastSeen has been handled (delivered at once, on
   * receipt), and every later one will be. While the link is down this node numbers and delivers
   * alone, from the store: nothing to stop at.
   */
  get horizon(): number | undefined {
    return this.link === 'up' ? this.bus.lastSeen : undefined;
  }

  attach(server: ChatServer, local: { fanout: LocalFanout<Session>; directory: Directory; claims: NameClaims }) {
    this.server = server;
    this.local = local.fanout;
    this.directory = new ClusterDirectory(this.users, this.rooms);
    this.claims = new RedisClaims(
      this.bus,
      this.id,
      local.claims,
      (what, err) => this.log.warn('cluster_claim_error', { what, error: String(err) }),
      {
        down: () => this.link === 'down',
        elsewhere: (name) => this.users.get(name) === undefined && this.directory.user(name) !== undefined,
      },
    );
    void this.beat();
    this.send({ n: this.id, t: 'hello' });
    this.timers.push(
      setInterval(() => void this.beat(), HEARTBEAT_MS),
      setInterval(() => {
        if (this.link === 'up') void this.claims.refresh(this.held());
      }, CLAIM_REFRESH_MS),
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

  private send(event: Event): void {
    if (this.closing && event.t !== 'gone') return;
    if (this.link === 'down') {
      this.whileDown(event);
      return;
    }
    this.bus.publish(JSON.stringify(event)).catch((err: unknown) => this.linkError(err instanceof Error ? err : new Error(String(err))));
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
    if (this.link === 'down') return this.postWhileDown(message, except, accounts);
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
      const event: Event = {
        n: this.id,
        t: 'chat',
        c,
        m: message,
        ...(except !== undefined ? { x: except } : {}),
        ...(accounts ? { a: accounts } : {}),
      };
      this.bus.publish(JSON.stringify(event)).catch((err: unknown) => {
        // Redis refused it (the link just broke): the message is this node's to deliver now.
        if (!this.posting.delete(c)) return;
        clearTimeout(timer);
        this.linkError(err instanceof Error ? err : new Error(String(err)));
        this.postWhileDown(message, except, accounts).then(resolve, reject);
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
    // Subscribed in start(), attached to the server just after: nobody here to deliver to yet.
    if (!this.directory) return;
    this.handle(seq, e);
  }

  private handle(seq: number, e: Event): void {
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
          if (mine) break;
          if (e.r) this.replaceTelling(e.n, e.s);
          else this.directory.replace(e.n, e.s);
          break;
        case 'sync':
          if (!mine) this.peerBack(e.n, e.since);
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
    this.saw(seq);
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
    if (this.closing || this.link === 'down') return;
    const p = this.bus.prefix;
    try {
      await this.bus.cmd.set(`${p}node:${this.id}`, String(Date.now()), { PX: HEARTBEAT_TTL_MS });
      if (Date.now() < this.graceUntil) return;
      for (const node of [...this.directory.views.keys()]) {
        if ((await this.bus.cmd.exists(`${p}node:${node}`)) === 0) this.send({ n: this.id, t: 'gone', node, reason: 'timeout' });
      }
    } catch (err) {
      this.linkError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  // ---- outage: the Redis link down, and its return (docs/CLUSTER.md, "Redis outages") ----

  /** The Redis link is up (the metrics' link state, /healthz). */
  get linkUp(): boolean {
    return this.link === 'up';
  }

  /** An error, a reconnect or an end on either connection, or a refused command: the link is down. */
  private linkError(err: Error): void {
    if (this.closing || this.link === 'down') return;
    this.link = 'down';
    this.downSince = this.bus.lastSeen;
    this.log.error('cluster_link_down', { error: err.message, since: this.downSince });
    this.notice(
      'The cluster link is down: you are talking with the users of this server only; the others get what is said here once it is back.',
    );
  }

  /** A connection is ready again; once both are, the node resynchronises. */
  private linkReady(): void {
    if (this.closing || this.link === 'up' || !this.bus.ready || this.returning) return;
    this.returning = true;
    this.linkBack()
      .catch((err: unknown) => this.log.error('cluster_resync_failed', { error: String((err as Error)?.stack ?? err) }))
      .finally(() => {
        this.returning = false;
      });
  }
  private returning = false;

  private notice(text: string): void {
    if (!this.local) return; // not attached yet: nobody to tell
    this.local.toAll(new Packet({ type: 'notice', text }));
  }

  /**
   * While the link is down, what a handler sends to a room, a user or everyone reaches this
   * node's sessions only; presence and the other bus events are dropped (the snapshots at the
   * return replace them).
   */
  private whileDown(e: Event): void {
    if (e.t === 'room' || e.t === 'rooms' || e.t === 'user' || e.t === 'all') this.handle(0, e);
  }

  /**
   * A room or private message while the link is down: numbered by the store's counter (above
   * everything this node saw on the bus), recorded, and delivered to this node's sessions. A
   * private message to a user on another node is refused: it could not be delivered now.
   */
  private postWhileDown(message: Chat, except?: number, accounts: PartyAccounts = {}): Promise<Chat> {
    if (message.type === 'private' && this.users.get(message.to) === undefined) {
      return Promise.reject(
        new ProtocolError(
          'server_busy',
          `${message.to} is on another server of the cluster and the link to it is down; your message was not delivered.`,
          'msg',
        ),
      );
    }
    const ids = this.ids;
    if (!ids) return Promise.reject(new ProtocolError('internal_error', 'The cluster link is down; your message was not sent.', 'say'));
    const ref = message.type === 'message' ? 'say' : 'msg';
    const run = this.idChain.then(() => ids.take(this.bus.lastSeen));
    this.idChain = run.catch(() => {});
    return run.then(
      (id) => {
        const numbered: Chat = { ...message, id };
        this.saw(id);
        this.server.archive.record(numbered, accounts);
        deliverChat(this.local, this.users, numbered, except);
        // The labelled sender's copy, as chat() sends it (Fanout.post).
        if (except !== undefined) this.waitingSender(numbered.from, except)?.send(numbered);
        return numbered;
      },
      (err: unknown) => {
        this.log.error('cluster_outage_id_failed', { error: String(err) });
        throw new ProtocolError('internal_error', 'The cluster link and the store are both unreachable; your message was not sent.', ref);
      },
    );
  }

  /** Remember `id` as delivered here (bounded: the oldest is forgotten). */
  private saw(id: number): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
  }

  /**
   * Both connections are back: raise the counter above every id the store handed out (and
   * reserve REDIS_RESERVE above it, for nodes still cut off), take this node's names again, tell
   * the others who is here and ask for theirs (`sync`), then fill the gap from the store.
   */
  private async linkBack(): Promise<void> {
    const since = this.downSince;
    if (this.ids) {
      const base = await this.ids.take(this.bus.lastSeen, REDIS_RESERVE);
      await this.bus.floor(base);
    }
    if (!this.bus.ready) return; // broke again: the next ready tries again
    this.link = 'up';
    this.graceUntil = Date.now() + HEARTBEAT_TTL_MS;
    this.log.warn('cluster_link_up', { since });
    void this.beat();
    await this.retakeNames();
    this.send({ n: this.id, t: 'sync', since });
    this.send({ n: this.id, t: 'state', s: this.snapshot(), r: 1 });
    this.notice('The cluster link is back.');
    await this.fillGap(since);
    setTimeout(() => void this.retakeNames(true), PROVISIONAL_DELAY_MS).unref();
  }

  /**
   * Take the names this node holds again in Redis: first those held before the outage, then (a
   * second later) those taken while it was down. A session whose name someone else holds now is
   * told and closed.
   */
  private async retakeNames(provisional = false): Promise<void> {
    const held = [...this.held()].filter(([, session]) => this.claims.provisional.has(session) === provisional);
    const results = await Promise.all(held.map(([name, session]) => this.claims.retake(name, session)));
    for (const [i, ok] of results.entries()) {
      if (ok) continue;
      const [name] = held[i]!;
      const session = this.users.get(name);
      this.log.warn('cluster_name_lost', { name, provisional });
      session?.close('disconnect', {
        type: 'error',
        code: 'name_taken',
        message: `While the cluster link was down, ${name} was taken on another server; log in again under another name.`,
      });
    }
  }

  /** Another node is back from an outage: tell it who is here, and fill what it said meanwhile. */
  private peerBack(node: string, since: number): void {
    if (this.link === 'down') {
      // This node is on its way back too (subscribed, not yet floored): its own return sends the
      // snapshot and fills from the earlier of the two marks.
      this.downSince = Math.min(this.downSince, since);
      return;
    }
    this.send({ n: this.id, t: 'state', s: this.snapshot(), r: 1 });
    this.log.info('cluster_peer_back', { node, since });
    void this.fillGap(since).catch((err: unknown) => this.log.error('cluster_gap_failed', { error: String(err) }));
  }

  /**
   * Deliver to this node's members the room messages after `since` in the store that they have not
   * had (Redis says something happened, PostgreSQL is the truth), in id order, each once.
   */
  private async fillGap(since: number): Promise<void> {
    const store = this.server.archive.store;
    const found: MessageMsg[] = [];
    for (const { room } of this.rooms.list()) {
      let after = since;
      let pages = 0;
      for (; pages < GAP_PAGES; pages++) {
        const page = await store.since(room, after, MAX_PAGE_LIMIT);
        for (const m of page.messages) {
          after = m.id;
          if (m.kind === 'room' && !this.seen.has(m.id)) found.push(wireMessage(m) as MessageMsg);
        }
        if (!page.more) break;
      }
      if (pages === GAP_PAGES) {
        const note = `Not every message of ${room} from the cluster outage is shown; ask for its history to read the rest.`;
        for (const member of this.rooms.members(room)) member.deliver(new Packet({ type: 'notice', text: note }));
      }
    }
    found.sort((x, y) => x.id - y.id);
    let delivered = 0;
    for (const m of found) {
      if (this.seen.has(m.id)) continue; // a fill running beside this one had it
      this.saw(m.id);
      if (deliverChat(this.local, this.users, m) > 0) delivered++;
    }
    this.log.info('cluster_gap_filled', { since, delivered });
  }

  /** A snapshot sent at a return: tell this node's members who came and went meanwhile. */
  private replaceTelling(node: string, s: Snapshot): void {
    const before = this.directory.views.get(node);
    this.directory.replace(node, s);
    const after = this.directory.views.get(node)!;
    const ts = this.server.now();
    const clients = this.directory.clients;
    for (const { room } of this.rooms.list()) {
      const was = before?.rooms.get(room) ?? new Set<string>();
      const now = after.rooms.get(room) ?? new Set<string>();
      for (const name of was) {
        if (!now.has(name)) this.local.toRoom(room, new Packet({ type: 'left', ts, room, name, reason: 'disconnect', clients }));
      }
      for (const name of now) if (!was.has(name)) this.local.toRoom(room, new Packet({ type: 'joined', ts, room, name, clients }));
    }
  }

  // ---- end outage ----

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
