/**
 * @module
 * Store: the server's durable state behind one interface (messages, topics, accounts, bans, mutes,
 * operators and room founders), with an SQLite implementation (sqlite.ts, the only module that holds SQL) and an
 * in-memory one for `--no-store` (memory.ts). A PostgreSQL implementation for a cluster is meant
 * to stand beside them under the same test suite (test/store/store.cases.ts), so the shape is the
 * one a networked, asynchronous database can honour too:
 *
 * - Writes are enqueued synchronously (`append`, `setTopic`): a handler never waits. The server
 *   calls `commit()` once per event-loop turn, right before its outbox flush, and commit writes
 *   everything enqueued since the last one in ONE transaction. So what any client has received is
 *   on disk (PROTOCOL.md: a crash right after a delivery loses nothing), at the price of one
 *   transaction per turn, not one per message.
 * - `commit()` returns `CommitReport | Promise<CommitReport>`. SQLite commits synchronously and
 *   returns the report itself, so the flush stays in the same turn and nothing changes in the
 *   order of the server's output; an always-async commit would push every flush behind a promise
 *   for no gain. PostgreSQL returns a promise, and the server holds that turn's flush until it
 *   settles while the next turns go on enqueuing (Synapse's "persist, then notify"). The caller
 *   tells the two apart with `instanceof Promise`; there is no third shape.
 * - Reads return promises (SQLite resolves at once). A read sees every message appended before it,
 *   committed or not: an implementation commits what is pending before it reads (so a user who
 *   joins in the same turn as a `say` finds that message in the history). While the disk is full
 *   the messages kept for a retry are not visible to reads.
 * - Ids come from the store (`ids`), synchronously: unique and increasing across restarts. SQLite
 *   starts after the largest id it holds; a cluster would hand out blocks reserved in the database.
 * - Keys: rooms, names and account names are compared folded (foldName), and stored as given for
 *   display. The store folds; callers need not.
 *
 * - Accounts are written at once, each change in its own transaction, and answer with its outcome
 *   (a registration must know whether the name was free). They are read from the store at every
 *   login, never cached by the server, so an account the operator's CLI adds or removes in another
 *   process counts from the next login on. A name reserves its look-alikes (lookalikeKeys): no two
 *   accounts look alike.
 *
 * Pages are oldest first (as `history` sends them) with `more` saying whether older (latest,
 * before) or newer (after, since) messages exist beyond the page. Search results are newest first.
 */
import type { IdSource } from '../ids.js';
import type { PasswordHash } from '../passwords.js';

export type MessageId = number;

interface MessageBase {
  id: MessageId;
  /** Milliseconds since the Unix epoch. */
  ts: number;
  from: string;
  text: string;
  action?: boolean;
}

export interface RoomMessage extends MessageBase {
  kind: 'room';
  room: string;
}

export interface PrivateMessage extends MessageBase {
  kind: 'private';
  to: string;
  /** The account the sender was logged in to, if any (read back folded). */
  fromAccount?: string;
  /** The account the recipient was logged in to, if any (read back folded). */
  toAccount?: string;
}

export type StoredMessage = RoomMessage | PrivateMessage;

export interface Page {
  messages: StoredMessage[];
  more: boolean;
}

export interface Topic {
  text: string;
  by: string;
  ts: number;
}

export interface SearchScope {
  /** Rooms to search (the rooms the user is in). */
  rooms: readonly string[];
  /** Also search the private messages this account was a party to. Guests pass nothing. */
  privateAccount?: string;
  /** Only messages sent under this name. */
  from?: string;
  /** Only messages older than this id (the next page). */
  before?: MessageId;
  /** 1..MAX_SEARCH_LIMIT; larger values are clamped. */
  limit: number;
  /**
   * Only private messages from this ts on: the creation of `privateAccount` (an account made
   * again under a deleted one's name must not read the old one's messages).
   */
  privateSince?: number;
}

// ---- accounts ----

export interface Account {
  /** As registered (NFC), for display; compared folded. */
  name: string;
  password: PasswordHash;
  /** When it was registered (ms); its private history starts here. */
  createdTs: number;
}

/** Accounts listed per call at most. */
export const MAX_ACCOUNT_PAGE = 1000;

// ---- end accounts ----

// ---- moderation ----

/**
 * A ban: of a name (compared folded; it also bars the account of that name) or of an address
 * group (addressGroup: an IPv4 address, an IPv6 /64), from one room or (no `room`) the server.
 * One ban per (kind, target, room): banning again replaces it.
 */
export interface Ban {
  kind: 'name' | 'address';
  /** The name as given (NFC), or the address group. */
  target: string;
  /** The room (folded), or undefined for the whole server. */
  room?: string;
  /** Who banned (the operator's or founder's account). */
  by: string;
  reason?: string;
  /** When it was made (ms). */
  ts: number;
  /** When it ends (ms); undefined: until lifted. A ban whose `until` has passed counts as gone. */
  until?: number;
}

/** Which bans `findBan` looks for: any that matches the name or the address, in `room` (or the server). */
export interface BanQuery {
  names: readonly string[];
  address?: string;
  room?: string;
}

/** Bans listed per call at most, and operators read at most. */
export const MAX_BAN_PAGE = 1000;

/**
 * A mute: `name` (compared folded) may not speak in `room` until `until`. One per (room, name):
 * muting again replaces it. Kept in the store so it holds after a restart and on every node.
 */
export interface Mute {
  /** The room (folded). */
  room: string;
  /** The name as given (NFC). */
  name: string;
  /** Who muted (the operator's or founder's account). */
  by: string;
  /** When it was made (ms). */
  ts: number;
  /** When it ends (ms); undefined: until lifted. A mute whose `until` has passed counts as gone. */
  until?: number;
}

/** Mutes listed per call at most (a server reads every mute in force at start). */
export const MAX_MUTE_PAGE = 100_000;

// ---- end moderation ----

export const MAX_SEARCH_LIMIT = 100;
/** A page read is clamped to this many messages whatever the caller asks. */
export const MAX_PAGE_LIMIT = 1000;

export interface CommitReport {
  /** Messages (and topics) made durable by this call. */
  written: number;
  /** Messages kept for a retry because the last attempt failed; 0 when healthy. */
  pending: number;
  /** Messages given up on (over the pending bound) since the previous report. */
  dropped: number;
  /** The failure of this call's attempt, if it failed. */
  error?: StoreError;
  /** Messages written that search does not find yet, at most (the SQLite store indexes after its commits). */
  searchBehind?: number;
}

export interface PruneReport {
  /** Rows removed by this call; at most the batch size. */
  removed: number;
  /** True when this call hit its batch bound: call again (on a later tick) for more. */
  more: boolean;
}

/** Ids: the server's IdSource seam (../ids.ts); a store's are still increasing after a restart. */
export type { IdSource } from '../ids.js';

export interface Store {
  readonly ids: IdSource;
  /** commit() answers with a promise (a networked database): the server holds output until it settles. */
  readonly async?: boolean;

  /** Enqueue a message for the next commit. Its id must come from `ids`. */
  append(message: StoredMessage): void;
  /** Enqueue a topic change for the next commit (empty text: no topic). */
  setTopic(room: string, topic: Topic): void;
  /** Write everything enqueued since the last commit in one transaction. */
  commit(): CommitReport | Promise<CommitReport>;

  latest(room: string, limit: number): Promise<Page>;
  before(room: string, id: MessageId, limit: number): Promise<Page>;
  after(room: string, id: MessageId, limit: number): Promise<Page>;
  /** Catch-up after a reconnect: the oldest `limit` messages after `id` (same page as `after`). */
  since(room: string, id: MessageId, limit: number): Promise<Page>;

  /**
   * Private conversation between two accounts (in either direction); with `notBefore`, only the
   * messages from that ts on (the reader's account creation).
   */
  privateLatest(accountA: string, accountB: string, limit: number, notBefore?: number): Promise<Page>;
  privateBefore(accountA: string, accountB: string, id: MessageId, limit: number, notBefore?: number): Promise<Page>;
  privateAfter(accountA: string, accountB: string, id: MessageId, limit: number, notBefore?: number): Promise<Page>;

  /** Plain-text search: no character of `query` is query syntax. Newest first. */
  search(query: string, scope: SearchScope): Promise<Page>;

  getTopic(room: string): Promise<Topic | undefined>;

  // ---- accounts ----
  /** The account named `name` (folded), else one whose name looks like it; undefined when none. */
  findAccount(name: string): Promise<Account | undefined>;
  /** Register; false when the name, or one that looks like it, is an account already. */
  createAccount(account: Account): Promise<boolean>;
  /** Replace the password of account `name`; false when there is no such account. */
  setPassword(name: string, password: PasswordHash): Promise<boolean>;
  /** Delete account `name`; false when there is none. Its name is free again at once. */
  deleteAccount(name: string): Promise<boolean>;
  /** Accounts in folded-name order after `after` (exclusive), at most `limit` (≤ MAX_ACCOUNT_PAGE). */
  listAccounts(after: string | undefined, limit: number): Promise<Account[]>;
  // ---- end accounts ----

  // ---- moderation ----
  /** Make or replace a ban; bans past their `until` are removed meanwhile. */
  addBan(ban: Ban): Promise<void>;
  /** Lift the ban of that kind, target and room; false when there was none in force. */
  removeBan(kind: Ban['kind'], target: string, room: string | undefined, now: number): Promise<boolean>;
  /** A ban in force at `now` that matches the query, or undefined. */
  findBan(query: BanQuery, now: number): Promise<Ban | undefined>;
  /** Bans in force at `now` of `room` (undefined: the server's), oldest first, at most `limit` (≤ MAX_BAN_PAGE). */
  listBans(room: string | undefined, now: number, limit: number): Promise<Ban[]>;
  /**
   * Make or replace a mute; false (nothing written) when `mute.room` already holds `maxPerRoom`
   * other mutes in force. Mutes past their `until` are removed meanwhile.
   */
  addMute(mute: Mute, maxPerRoom: number): Promise<boolean>;
  /** Lift `name`'s mute in `room`; false when there was none in force. */
  removeMute(room: string, name: string, now: number): Promise<boolean>;
  /** A muted user renamed: their mutes go with the new name (replacing any it had). */
  renameMutes(from: string, to: string): Promise<void>;
  /** Every mute in force at `now`, oldest first, at most `limit` (≤ MAX_MUTE_PAGE). */
  listMutes(now: number, limit: number): Promise<Mute[]>;
  /** Mark account `name` an operator (or not); false when there is no such account. */
  setOperator(name: string, on: boolean): Promise<boolean>;
  /** Accounts marked operators (as registered), at most MAX_BAN_PAGE. */
  listOperators(): Promise<string[]>;
  /** The account that founded `room`, if any. */
  getFounder(room: string): Promise<string | undefined>;
  /** Record `account` as the founder of `room` unless it has one; true when it is now `account`'s. */
  claimFounder(room: string, account: string): Promise<boolean>;
  // ---- end moderation ----

  /**
   * Retention: remove messages older than `olderThanMs` (a ts) and the oldest ones of any room
   * over `perRoomCap` (0: no cap), at most a small batch per call, so a caller spreads the work
   * over ticks.
   */
  prune(olderThanMs: number, perRoomCap: number): Promise<PruneReport>;

  close(): void | Promise<void>;
}

export type StoreErrorCode = 'corrupt' | 'unwritable' | 'too_new' | 'disk_full' | 'io';

/** One family for every store failure; `message` is one line a CLI can print as it is. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function clampLimit(limit: number, max: number): number {
  if (!Number.isFinite(limit)) return max;
  return Math.max(1, Math.min(max, Math.floor(limit)));
}
