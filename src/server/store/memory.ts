/**
 * @module
 * The in-memory store for `--no-store`: today's behaviour (nothing survives a restart) behind the
 * same interface, with every structure bounded. Each room keeps a ring of its latest
 * `perRoom` messages; at most `maxRooms` rooms keep history (the one written longest ago is
 * forgotten first). Private messages are kept in a ring per account party (a message between two
 * accounts sits in both rings), at most `maxAccounts` of them; with no account on either side a
 * private message is not kept, as in the SQLite store. Search scans the rings in scope with the
 * same word model as FTS5 (search-text.ts), so both stores find the same messages: its cost is
 * bounded by (rooms in scope + 1) × the ring size. Ids come from a counter.
 */
import { foldName, lookalikeKeys } from '../../protocol/internal.js';
import type { PasswordHash } from '../passwords.js';
import { matchesPhrases, queryPhrases, tokens } from './search-text.js';
import {
  MAX_ACCOUNT_PAGE,
  MAX_PAGE_LIMIT,
  MAX_SEARCH_LIMIT,
  type Account,
  type Ban,
  type BanQuery,
  type Mute,
  MAX_MUTE_PAGE,
  MAX_BAN_PAGE,
  clampLimit,
  type CommitReport,
  type MessageId,
  type Page,
  type PruneReport,
  type SearchScope,
  type Store,
  type StoredMessage,
  type Topic,
} from './store.js';
import { CounterIds } from '../ids.js';

export interface MemoryStoreOptions {
  perRoom?: number;
  maxRooms?: number;
  maxAccounts?: number;
  pruneBatch?: number;
}

/** A fixed-capacity ring of messages in increasing id order. */
class Ring<T extends { id: number }> {
  private readonly buf: (T | undefined)[];
  private start = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.buf = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    if (this.size < this.capacity) {
      this.buf[(this.start + this.size) % this.capacity] = item;
      this.size++;
    } else {
      this.buf[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  at(i: number): T {
    return this.buf[(this.start + i) % this.capacity]!;
  }

  shift(): void {
    this.buf[this.start] = undefined;
    this.start = (this.start + 1) % this.capacity;
    this.size--;
  }

  /** Index of the first item with id > `id` (binary search). */
  upper(id: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.at(mid).id <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

interface RoomEntry {
  ring: Ring<StoredMessage>;
  topic?: Topic;
}

// ---- moderation ----
/** Bans the memory store keeps at most. */
const MAX_MEMORY_BANS = 10_000;

function banKey(kind: Ban['kind'], target: string, room: string | undefined): string {
  return `${kind}\u0000${kind === 'name' ? foldName(target) : target}\u0000${room === undefined ? '' : foldName(room)}`;
}

export function inForce(ban: { until?: number }, now: number): boolean {
  return ban.until === undefined || ban.until > now;
}
// ---- end moderation ----

export class MemoryStore implements Store {
  readonly ids = new CounterIds();
  private readonly rooms = new Map<string, RoomEntry>();
  private readonly accounts = new Map<string, Ring<StoredMessage>>();
  /** Registered accounts, folded name → account; and look-alike key → folded name. */
  private readonly registered = new Map<string, Account>();
  private readonly lookalikes = new Map<string, string>();
  // ---- moderation ----
  private readonly bans = new Map<string, Ban>();
  /** Folded room → folded name → mute; at most MAX_MUTE_PAGE in all. */
  private readonly mutes = new Map<string, Map<string, Mute>>();
  private muteCount = 0;
  /** Folded account name → the name as registered. */
  private readonly operators = new Map<string, string>();
  /** Folded room → founding account. */
  private readonly founders = new Map<string, string>();
  // ---- end moderation ----
  /** Search tokens per message, computed once. */
  private readonly words = new WeakMap<StoredMessage, string[]>();
  private readonly perRoom: number;
  private readonly maxRooms: number;
  private readonly maxAccounts: number;
  private readonly pruneBatch: number;
  private appended = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.perRoom = options.perRoom ?? 1000;
    this.maxRooms = options.maxRooms ?? 10_000;
    this.maxAccounts = options.maxAccounts ?? 10_000;
    this.pruneBatch = options.pruneBatch ?? 500;
  }

  /** The entry for `key`, made most recently used (Map order is the eviction order). */
  private room(key: string, create: boolean): RoomEntry | undefined {
    let entry = this.rooms.get(key);
    if (entry) {
      this.rooms.delete(key);
      this.rooms.set(key, entry);
      return entry;
    }
    if (!create) return undefined;
    entry = { ring: new Ring(this.perRoom) };
    this.rooms.set(key, entry);
    if (this.rooms.size > this.maxRooms) this.rooms.delete(this.rooms.keys().next().value!);
    return entry;
  }

  private account(key: string): Ring<StoredMessage> {
    let ring = this.accounts.get(key);
    if (ring) {
      this.accounts.delete(key);
    } else {
      ring = new Ring(this.perRoom);
    }
    this.accounts.set(key, ring);
    if (this.accounts.size > this.maxAccounts) this.accounts.delete(this.accounts.keys().next().value!);
    return ring;
  }

  append(message: StoredMessage): void {
    this.appended++;
    if (message.kind === 'room') {
      this.room(foldName(message.room), true)!.ring.push(message);
      return;
    }
    // Account names are kept folded, as the SQLite store returns them.
    const kept = { ...message };
    if (message.fromAccount !== undefined) kept.fromAccount = foldName(message.fromAccount);
    if (message.toAccount !== undefined) kept.toAccount = foldName(message.toAccount);
    const parties = new Set<string>();
    if (kept.fromAccount !== undefined) parties.add(kept.fromAccount);
    if (kept.toAccount !== undefined) parties.add(kept.toAccount);
    for (const party of parties) this.account(party).push(kept);
  }

  setTopic(room: string, topic: Topic): void {
    const entry = this.room(foldName(room), true)!;
    if (topic.text === '') delete entry.topic;
    else entry.topic = topic;
  }

  commit(): CommitReport {
    const written = this.appended;
    this.appended = 0;
    return { written, pending: 0, dropped: 0 };
  }

  private page(
    ring: Ring<StoredMessage> | undefined,
    end: number | undefined,
    begin: number | undefined,
    limit: number,
    filter?: (m: StoredMessage) => boolean,
  ): Page {
    const n = clampLimit(limit, MAX_PAGE_LIMIT);
    if (!ring) return { messages: [], more: false };
    const out: StoredMessage[] = [];
    if (begin === undefined) {
      // Backwards from just below `end` (or the newest).
      for (let i = (end === undefined ? ring.size : ring.upper(end - 1)) - 1; i >= 0; i--) {
        const m = ring.at(i);
        if (filter && !filter(m)) continue;
        if (out.length === n) return { messages: out.reverse(), more: true };
        out.push(m);
      }
      return { messages: out.reverse(), more: false };
    }
    for (let i = ring.upper(begin); i < ring.size; i++) {
      const m = ring.at(i);
      if (filter && !filter(m)) continue;
      if (out.length === n) return { messages: out, more: true };
      out.push(m);
    }
    return { messages: out, more: false };
  }

  private ringOf(room: string): Ring<StoredMessage> | undefined {
    return this.rooms.get(foldName(room))?.ring;
  }

  latest(room: string, limit: number): Promise<Page> {
    return Promise.resolve(this.page(this.ringOf(room), undefined, undefined, limit));
  }

  before(room: string, id: MessageId, limit: number): Promise<Page> {
    return Promise.resolve(this.page(this.ringOf(room), id, undefined, limit));
  }

  after(room: string, id: MessageId, limit: number): Promise<Page> {
    return Promise.resolve(this.page(this.ringOf(room), undefined, id, limit));
  }

  since(room: string, id: MessageId, limit: number): Promise<Page> {
    return this.after(room, id, limit);
  }

  private conversation(a: string, b: string, notBefore = 0): [Ring<StoredMessage> | undefined, (m: StoredMessage) => boolean] {
    const x = foldName(a);
    const y = foldName(b);
    const between = (m: StoredMessage): boolean => {
      if (m.kind !== 'private' || m.fromAccount === undefined || m.toAccount === undefined || m.ts < notBefore) return false;
      const f = m.fromAccount;
      const t = m.toAccount;
      return (f === x && t === y) || (f === y && t === x);
    };
    return [this.accounts.get(x), between];
  }

  privateLatest(a: string, b: string, limit: number, notBefore?: number): Promise<Page> {
    const [ring, between] = this.conversation(a, b, notBefore);
    return Promise.resolve(this.page(ring, undefined, undefined, limit, between));
  }

  privateBefore(a: string, b: string, id: MessageId, limit: number, notBefore?: number): Promise<Page> {
    const [ring, between] = this.conversation(a, b, notBefore);
    return Promise.resolve(this.page(ring, id, undefined, limit, between));
  }

  privateAfter(a: string, b: string, id: MessageId, limit: number, notBefore?: number): Promise<Page> {
    const [ring, between] = this.conversation(a, b, notBefore);
    return Promise.resolve(this.page(ring, undefined, id, limit, between));
  }

  private wordsOf(m: StoredMessage): string[] {
    let w = this.words.get(m);
    if (!w) {
      w = tokens(m.text);
      this.words.set(m, w);
    }
    return w;
  }

  search(query: string, scope: SearchScope): Promise<Page> {
    const phrases = queryPhrases(query);
    if (phrases.length === 0) return Promise.resolve({ messages: [], more: false });
    const n = clampLimit(scope.limit, MAX_SEARCH_LIMIT);
    const from = scope.from === undefined ? undefined : foldName(scope.from);
    const before = scope.before ?? Number.MAX_SAFE_INTEGER;
    const rings = new Set<Ring<StoredMessage>>();
    for (const room of scope.rooms.slice(0, 1000)) {
      const ring = this.ringOf(room);
      if (ring) rings.add(ring);
    }
    const account = scope.privateAccount === undefined ? undefined : this.accounts.get(foldName(scope.privateAccount));
    if (account) rings.add(account);
    const privateSince = scope.privateSince ?? 0;
    // Up to n + 1 hits from each ring, newest first, then the newest n + 1 of them all.
    const hits = new Map<number, StoredMessage>();
    for (const ring of rings) {
      let found = 0;
      for (let i = ring.upper(before - 1) - 1; i >= 0 && found <= n; i--) {
        const m = ring.at(i);
        if (from !== undefined && foldName(m.from) !== from) continue;
        if (m.kind === 'private' && m.ts < privateSince) continue;
        if (!matchesPhrases(this.wordsOf(m), phrases)) continue;
        hits.set(m.id, m);
        found++;
      }
    }
    const sorted = [...hits.values()].sort((a, b) => b.id - a.id);
    return Promise.resolve({ messages: sorted.slice(0, n), more: sorted.length > n });
  }

  getTopic(room: string): Promise<Topic | undefined> {
    return Promise.resolve(this.rooms.get(foldName(room))?.topic);
  }

  // ---- accounts ----

  findAccount(name: string): Promise<Account | undefined> {
    const same = this.registered.get(foldName(name));
    if (same) return Promise.resolve(same);
    for (const key of lookalikeKeys(name)) {
      const other = this.lookalikes.get(key);
      if (other !== undefined) return Promise.resolve(this.registered.get(other));
    }
    return Promise.resolve(undefined);
  }

  createAccount(account: Account): Promise<boolean> {
    const key = foldName(account.name);
    const keys = lookalikeKeys(account.name);
    if (this.registered.has(key) || keys.some((k) => this.lookalikes.has(k))) return Promise.resolve(false);
    this.registered.set(key, { ...account });
    for (const k of keys) this.lookalikes.set(k, key);
    return Promise.resolve(true);
  }

  setPassword(name: string, password: PasswordHash): Promise<boolean> {
    const account = this.registered.get(foldName(name));
    if (account) account.password = password;
    return Promise.resolve(account !== undefined);
  }

  deleteAccount(name: string): Promise<boolean> {
    const key = foldName(name);
    const account = this.registered.get(key);
    if (!account) return Promise.resolve(false);
    this.registered.delete(key);
    for (const k of lookalikeKeys(account.name)) if (this.lookalikes.get(k) === key) this.lookalikes.delete(k);
    // A new account of the name is not an operator nor a founder by inheritance.
    this.operators.delete(key);
    for (const [room, founder] of this.founders) if (foldName(founder) === key) this.founders.delete(room);
    return Promise.resolve(true);
  }

  listAccounts(after: string | undefined, limit: number): Promise<Account[]> {
    const n = clampLimit(limit, MAX_ACCOUNT_PAGE);
    const from = after === undefined ? undefined : foldName(after);
    // Sorting every call is fine here: the memory store is for --no-store and tests.
    const keys = [...this.registered.keys()].filter((k) => from === undefined || k > from).sort();
    return Promise.resolve(keys.slice(0, n).map((k) => this.registered.get(k)!));
  }

  // ---- end accounts ----

  // ---- moderation ----

  addBan(ban: Ban): Promise<void> {
    this.dropExpiredBans(ban.ts);
    const key = banKey(ban.kind, ban.target, ban.room);
    this.bans.delete(key);
    this.bans.set(key, { ...ban, ...(ban.room === undefined ? {} : { room: foldName(ban.room) }) });
    // Bounded: past the cap the oldest ban goes (the memory store is for --no-store and tests).
    if (this.bans.size > MAX_MEMORY_BANS) this.bans.delete(this.bans.keys().next().value!);
    return Promise.resolve();
  }

  removeBan(kind: Ban['kind'], target: string, room: string | undefined, now: number): Promise<boolean> {
    const key = banKey(kind, target, room);
    const ban = this.bans.get(key);
    this.bans.delete(key);
    return Promise.resolve(ban !== undefined && inForce(ban, now));
  }

  findBan(query: BanQuery, now: number): Promise<Ban | undefined> {
    const keys = [
      ...query.names.map((n) => banKey('name', n, query.room)),
      ...(query.address === undefined ? [] : [banKey('address', query.address, query.room)]),
    ];
    for (const key of keys) {
      const ban = this.bans.get(key);
      if (ban && inForce(ban, now)) return Promise.resolve(ban);
    }
    return Promise.resolve(undefined);
  }

  listBans(room: string | undefined, now: number, limit: number): Promise<Ban[]> {
    const n = clampLimit(limit, MAX_BAN_PAGE);
    const where = room === undefined ? undefined : foldName(room);
    const out: Ban[] = [];
    for (const ban of this.bans.values()) {
      if (out.length >= n) break;
      if (ban.room === where && inForce(ban, now)) out.push(ban);
    }
    return Promise.resolve(out.sort((a, b) => a.ts - b.ts));
  }

  setOperator(name: string, on: boolean): Promise<boolean> {
    const key = foldName(name);
    const account = this.registered.get(key);
    if (!account) return Promise.resolve(false);
    if (on) this.operators.set(key, account.name);
    else this.operators.delete(key);
    return Promise.resolve(true);
  }

  listOperators(): Promise<string[]> {
    return Promise.resolve([...this.operators.values()].slice(0, MAX_BAN_PAGE));
  }

  getFounder(room: string): Promise<string | undefined> {
    return Promise.resolve(this.founders.get(foldName(room)));
  }

  claimFounder(room: string, account: string): Promise<boolean> {
    const key = foldName(room);
    const founder = this.founders.get(key);
    if (founder === undefined && this.founders.size < this.maxRooms) this.founders.set(key, account);
    return Promise.resolve(foldName(this.founders.get(key) ?? '') === foldName(account));
  }

  addMute(mute: Mute, maxPerRoom: number): Promise<boolean> {
    this.dropExpiredMutes(mute.ts);
    const room = foldName(mute.room);
    const key = foldName(mute.name);
    let muted = this.mutes.get(room);
    if (!muted?.has(key) && (muted?.size ?? 0) >= maxPerRoom) return Promise.resolve(false);
    // Bounded in all: a new mute past the cap is refused as a full room is.
    if (!muted?.has(key) && this.muteCount >= MAX_MUTE_PAGE) return Promise.resolve(false);
    if (!muted) this.mutes.set(room, (muted = new Map()));
    if (!muted.has(key)) this.muteCount++;
    muted.set(key, { ...mute, room });
    return Promise.resolve(true);
  }

  removeMute(room: string, name: string, now: number): Promise<boolean> {
    const muted = this.mutes.get(foldName(room));
    const mute = muted?.get(foldName(name));
    if (!muted || !mute) return Promise.resolve(false);
    this.deleteMute(foldName(room), muted, foldName(name));
    return Promise.resolve(inForce(mute, now));
  }

  renameMutes(from: string, to: string): Promise<void> {
    const a = foldName(from);
    const b = foldName(to);
    if (a === b) return Promise.resolve();
    for (const muted of this.mutes.values()) {
      const mute = muted.get(a);
      if (!mute) continue;
      // The room keeps at least this one entry, so it stays in the map.
      muted.delete(a);
      if (muted.has(b)) this.muteCount--;
      muted.set(b, { ...mute, name: to });
    }
    return Promise.resolve();
  }

  listMutes(now: number, limit: number): Promise<Mute[]> {
    const out: Mute[] = [];
    for (const muted of this.mutes.values()) for (const mute of muted.values()) if (inForce(mute, now)) out.push(mute);
    return Promise.resolve(out.sort((a, b) => a.ts - b.ts).slice(0, clampLimit(limit, MAX_MUTE_PAGE)));
  }

  private deleteMute(room: string, muted: Map<string, Mute>, key: string): void {
    if (!muted.delete(key)) return;
    this.muteCount--;
    if (muted.size === 0) this.mutes.delete(room);
  }

  private dropExpiredMutes(now: number): void {
    for (const [room, muted] of this.mutes) for (const [key, mute] of muted) if (!inForce(mute, now)) this.deleteMute(room, muted, key);
  }

  private dropExpiredBans(now: number): void {
    for (const [key, ban] of this.bans) if (!inForce(ban, now)) this.bans.delete(key);
  }

  // ---- end moderation ----

  prune(olderThanMs: number, perRoomCap: number): Promise<PruneReport> {
    let budget = this.pruneBatch;
    const trim = (ring: Ring<StoredMessage>): void => {
      while (budget > 0 && ring.size > 0 && (ring.at(0).ts < olderThanMs || (perRoomCap > 0 && ring.size > perRoomCap))) {
        ring.shift();
        budget--;
      }
    };
    for (const entry of this.rooms.values()) {
      if (budget === 0) break;
      trim(entry.ring);
    }
    for (const ring of this.accounts.values()) {
      if (budget === 0) break;
      while (budget > 0 && ring.size > 0 && ring.at(0).ts < olderThanMs) {
        ring.shift();
        budget--;
      }
    }
    const removed = this.pruneBatch - budget;
    return Promise.resolve({ removed, more: budget === 0 });
  }

  close(): void {
    this.rooms.clear();
    this.accounts.clear();
    this.registered.clear();
    this.lookalikes.clear();
  }
}
