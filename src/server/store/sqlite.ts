/**
 * @module
 * The SQLite store (better-sqlite3): the only module with SQL in it.
 *
 * Durability: WAL mode with `synchronous=NORMAL` by default. A commit is in the WAL file (the
 * kernel's page cache) when commit() returns, so a crash or SIGKILL of the process loses nothing
 * committed (test/store/sqlite.test.ts kills a writer to prove it). What NORMAL gives up is an
 * fsync per commit: an OS crash or power loss may lose the last commits since the WAL was last
 * synced (at a checkpoint), though the file stays consistent. `synchronous: 'full'` syncs every
 * commit, which bounds throughput at the disk's fsync rate, one per event-loop turn.
 *
 * Locking: one server per file. The server takes an exclusive lock at open on a small lock
 * database beside it (`<file>-lock`, SQLite's own locking, released when the process dies), so a
 * second server on the same data directory fails at once with a clear line instead of both
 * writing. The store file itself is opened in normal locking mode, so that the operator's CLI
 * (`chat-server accounts ...`, `{ tool: true }`, which takes no lock) can open a second connection
 * and change accounts while the server runs (WAL: readers never block the writer; the two
 * writers wait for each other up to `busy_timeout`).
 *
 * Checkpoints: `checkpoint: 'worker'` turns SQLite's automatic checkpoint off on this connection
 * and leaves the copying from the WAL to the database file to a worker thread (checkpoint.ts);
 * `'auto'` (the default, and what the server uses: docs/PERFORMANCE.md has the numbers where the
 * worker made the tail worse under sustained writes) keeps SQLite's, every 1000 WAL pages, and
 * every `pruneCheckpointPages` (100) in prune()'s commits, so that a prune call's copy is short.
 *
 * Layout: `rooms` holds each room's id, display name, message count (for the per-room cap) and
 * topic; `messages` one row per message, with `pair` (the two account names, sorted) set on
 * private messages between two accounts; `messages_search` a contentless FTS5 index of the text
 * (see search-text.ts for the tokenizer), whose entries are deleted by their values (migration 6).
 * The index is not written in the chat commit: index-scheduler.ts writes it in steps of their own
 * a little later (migration 7), and runs FTS5's merges as steps too; `meta.search_upto` is the
 * largest id it holds. A search first indexes what is waiting (SEARCH_CATCH_UP rows at most), so
 * it finds what was said just before it; after a crash the next start indexes what was left.
 * Private messages with no account on either side are not stored: nobody could ever read them
 * (PROTOCOL.md gives private history to accounts only).
 *
 * Failures while running (disk full, I/O errors) never throw out of commit(): the batch is kept,
 * up to `maxPending` messages (older ones beyond that are dropped and counted), retried at most
 * every `retryMs`, and the report says so; writes resume by themselves when space returns.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { foldName, lookalikeKeys } from '../../protocol/internal.js';
import type { PasswordHash } from '../passwords.js';
import { Checkpointer, type CheckpointOptions } from './checkpoint.js';
import { IndexScheduler, adapt, type IndexSchedulerOptions } from './index-scheduler.js';
import { type AccountRow, type BanRow, type MuteRow, banTarget, toAccount, toBan, toMute } from './rows.js';
import { ftsQuery, searchColumn } from './search-text.js';
import {
  MAX_ACCOUNT_PAGE,
  MAX_PAGE_LIMIT,
  MAX_SEARCH_LIMIT,
  StoreError,
  type Account,
  type Ban,
  type BanQuery,
  MAX_BAN_PAGE,
  MAX_MUTE_PAGE,
  type Mute,
  clampLimit,
  type CommitReport,
  type MessageId,
  type Page,
  type PruneReport,
  type SearchScope,
  type Store,
  type StoreErrorCode,
  type StoredMessage,
  type Topic,
} from './store.js';
import { CounterIds } from '../ids.js';

type Db = Database.Database;

export interface Migration {
  version: number;
  name: string;
  up(db: Db): void;
}

/** Rows read per batch when a migration backfills. */
const BACKFILL_BATCH = 1000;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'messages and rooms',
    up(db) {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE rooms (
          id INTEGER PRIMARY KEY,
          key TEXT NOT NULL UNIQUE,
          name TEXT NOT NULL,
          messages INTEGER NOT NULL DEFAULT 0,
          topic TEXT,
          topic_by TEXT,
          topic_ts INTEGER
        );
        CREATE INDEX rooms_by_messages ON rooms(messages);
        CREATE TABLE messages (
          id INTEGER PRIMARY KEY,
          ts INTEGER NOT NULL,
          room_id INTEGER,
          from_name TEXT NOT NULL,
          from_key TEXT NOT NULL,
          text TEXT NOT NULL,
          action INTEGER NOT NULL DEFAULT 0,
          to_name TEXT,
          from_account TEXT,
          to_account TEXT,
          pair TEXT
        );
        CREATE INDEX messages_by_room ON messages(room_id) WHERE room_id IS NOT NULL;
        CREATE INDEX messages_by_pair ON messages(pair) WHERE pair IS NOT NULL;
      `);
    },
  },
  {
    version: 2,
    name: 'full-text search',
    up(db) {
      db.exec(`CREATE VIRTUAL TABLE messages_search USING fts5(
        body, scope, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2')`);
      indexMessages(db);
    },
  },
  {
    version: 3,
    name: 'accounts',
    up(db) {
      // `key` is foldName(name); `account_lookalikes` holds each account's lookalikeKeys, unique,
      // so that no two accounts look alike. The scrypt parameters sit beside every hash.
      db.exec(`
        CREATE TABLE accounts (
          key TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          algo TEXT NOT NULL,
          n INTEGER NOT NULL,
          r INTEGER NOT NULL,
          p INTEGER NOT NULL,
          keylen INTEGER NOT NULL,
          salt BLOB NOT NULL,
          hash BLOB NOT NULL,
          created_ts INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE account_lookalikes (skeleton TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID;
        CREATE INDEX account_lookalikes_by_key ON account_lookalikes(key);
      `);
    },
  },
  // ---- moderation ----
  {
    version: 4,
    name: 'moderation',
    up(db) {
      // A ban's `target` is a folded name or an address group, `room` a folded room or '' for the
      // server; `until_ts` NULL means until lifted. Operators and founders are by account key.
      db.exec(`
        CREATE TABLE bans (
          kind TEXT NOT NULL,
          target TEXT NOT NULL,
          room TEXT NOT NULL,
          display TEXT NOT NULL,
          by_name TEXT NOT NULL,
          reason TEXT,
          ts INTEGER NOT NULL,
          until_ts INTEGER,
          PRIMARY KEY (kind, target, room)
        ) WITHOUT ROWID;
        CREATE INDEX bans_by_room ON bans(room, ts);
        CREATE INDEX bans_by_until ON bans(until_ts) WHERE until_ts IS NOT NULL;
        CREATE TABLE operators (key TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE room_founders (room TEXT PRIMARY KEY, account TEXT NOT NULL, account_key TEXT NOT NULL) WITHOUT ROWID;
        CREATE INDEX room_founders_by_account ON room_founders(account_key);
      `);
    },
  },
  {
    version: 5,
    name: 'mutes',
    up(db) {
      // `room` folded, `target` the folded name, `display` as given; `until_ts` NULL: until lifted.
      db.exec(`
        CREATE TABLE mutes (
          room TEXT NOT NULL,
          target TEXT NOT NULL,
          display TEXT NOT NULL,
          by_name TEXT NOT NULL,
          ts INTEGER NOT NULL,
          until_ts INTEGER,
          PRIMARY KEY (room, target)
        ) WITHOUT ROWID;
        CREATE INDEX mutes_by_target ON mutes(target);
        CREATE INDEX mutes_by_until ON mutes(until_ts) WHERE until_ts IS NOT NULL;
      `);
    },
  },
  // ---- end moderation ----
  {
    version: 6,
    name: 'search deletes by value',
    up(db) {
      // contentless_delete=1 keeps a tombstone array per segment, and FTS5's incremental merges
      // read and rewrite them inside commits: 45-180 ms stalls once retention deletes while
      // people chat (docs/PERFORMANCE.md, "Deletes by value"). A plain contentless table takes a
      // delete as the entry's own values ('delete' command), written like an insert and dropped
      // at the next merge. Its rows are rebuilt from `messages`.
      db.exec(`DROP TABLE messages_search;
        CREATE VIRTUAL TABLE messages_search USING fts5(
          body, scope, content='', tokenize='unicode61 remove_diacritics 2')`);
      indexMessages(db);
    },
  },
  {
    version: 7,
    name: 'search index in steps',
    up(db) {
      // The index is written in steps of its own after the chat commits (index-scheduler.ts),
      // which run FTS5's merges themselves: automerge would merge inside those steps' commits
      // unbounded. A merge step ends at a word's end, so a frequent word's whole doclist is
      // rewritten in one step: usermerge 8 (FTS5's default is 4) merges a level when it holds 8
      // segments, half as often, which at a million messages took the merge step's p99 from 7-8 ms
      // to 2.8 ms (docs/PERFORMANCE.md, "The search index in steps"). `search_upto` is the largest
      // id indexed; every row up to it is in the index.
      db.exec(`INSERT INTO messages_search (messages_search, rank) VALUES ('automerge', 0);
        INSERT INTO messages_search (messages_search, rank) VALUES ('usermerge', 8);
        INSERT INTO meta (key, value) VALUES ('search_upto', (SELECT COALESCE(MAX(id), 0) FROM messages))
          ON CONFLICT (key) DO UPDATE SET value = excluded.value;`);
    },
  },
];

/**
 * Index what `messages` holds, in id order, a batch at a time. What searchColumn and scopeColumn
 * return for a row must never change without a migration that indexes again: prune deletes an
 * entry by giving its values back (removeBatch), and values the index does not hold would damage it.
 */
function indexMessages(db: Db): void {
  const read = db.prepare('SELECT id, text, room_id, from_account, to_account FROM messages WHERE id > ? ORDER BY id LIMIT ?');
  const insert = db.prepare('INSERT INTO messages_search (rowid, body, scope) VALUES (?, ?, ?)');
  let last = 0;
  while (true) {
    const rows = read.all(last, BACKFILL_BATCH) as ({ id: number } & SearchValues)[];
    for (const row of rows) insert.run(row.id, searchColumn(row.text), scopeColumn(row.room_id, row.from_account, row.to_account));
    if (rows.length < BACKFILL_BATCH) break;
    last = rows[rows.length - 1]!.id;
  }
}

/** A row's search entry as writeBatch made it, waiting for an index step. */
interface SearchEntry {
  id: number;
  body: string;
  scope: string;
}

/** Entries queued for the index at most; past it the steps read the rows back from the file. */
const INDEX_QUEUE_MAX = 20_000;

/** The columns of a message its search entry is made of. */
interface SearchValues {
  text: string;
  room_id: number | null;
  from_account: string | null;
  to_account: string | null;
}

export interface SqliteStoreOptions {
  synchronous?: 'normal' | 'full';
  /** Messages kept for a retry while writes fail; beyond it the oldest are dropped. */
  maxPending?: number;
  /** Least time between two attempts while writes fail. */
  retryMs?: number;
  /** Rows removed per prune() call at most: the bound on a call's work. */
  pruneBatch?: number;
  /**
   * Time one prune() call should take, its commit included: the batch size adapts to it (halved
   * after a call over it, doubled after a full call under half of it), between 1 and pruneBatch.
   */
  pruneBudgetMs?: number;
  now?: () => number;
  /** A monotonic clock in ms for the prune budget; tests inject one that advances per call. */
  clock?: () => number;
  /** A cap on the database's size (SQLite's max_page_count): past it, commits fail as disk full. */
  maxBytes?: number;
  /** Who checkpoints the WAL: SQLite inside commits ('auto'), or a worker thread ('worker'). */
  checkpoint?: 'auto' | 'worker';
  /**
   * With checkpoint: 'auto', the WAL pages after which a commit checkpoints (SQLite's
   * wal_autocheckpoint, 1000 as SQLite's): the commit that crosses it copies them all back to
   * the database file in the event loop.
   */
  autocheckpointPages?: number;
  /**
   * With checkpoint: 'auto', the same threshold for prune()'s own commits (100): a pass keeps the
   * WAL this small, so a call copies about this many pages back, not 1000; chat commits keep the
   * larger one, whose fewer fsyncs keep their throughput (a 100-page threshold for all commits
   * halved that of one-message commits).
   */
  pruneCheckpointPages?: number;
  /** The worker's timing (with checkpoint: 'worker'). */
  checkpointOptions?: CheckpointOptions;
  /**
   * The search index's steps (index-scheduler.ts): the wait after a commit, the time a step
   * should take, and a report of each step. The clock is `clock`'s.
   */
  index?: Omit<IndexSchedulerOptions, 'clock'>;
  /** The schema to bring the file to; tests pass a prefix to make an older database. */
  migrations?: readonly Migration[];
  /**
   * The operator's CLI beside a running server: take no server lock, and wait longer for the
   * server's write lock. Only accounts are meant to be changed this way.
   */
  tool?: boolean;
}

/** How long a writer waits for the other connection's write lock (the CLI's are tiny). */
const SERVER_BUSY_MS = 1000;
const TOOL_BUSY_MS = 10_000;

// ---- moderation ----
// ---- end moderation ----

/** WAL pages per automatic checkpoint: SQLite's, and prune()'s (docs/PERFORMANCE.md, "Prune and the WAL checkpoint"). */
const AUTOCHECKPOINT_PAGES = 1000;
const PRUNE_CHECKPOINT_PAGES = 100;

const DEFAULTS = { maxPending: 10_000, retryMs: 1000, pruneBatch: 500, pruneBudgetMs: 2 };
/** The first prune batch's size (at most pruneBatch): the adaptation starts small. */
const PRUNE_START = 16;
/** Rooms over the cap looked at per prune() call at most. */
const MAX_CAPPED_ROOMS = 1000;
/** Rows the sweep reads per prune() call: this many per row it may remove, and at most PRUNE_SCAN_MAX. */
const PRUNE_SCAN_PER_ROW = 8;
const PRUNE_SCAN_MAX = 4096;
/** The room-id cache is cleared when it grows past this (rooms come and go over months). */
const ROOM_CACHE_MAX = 50_000;
/**
 * Rows a search indexes first at most, when the index is behind (the rows of the last delay,
 * normally): more behind than this is a flood, and its newest lines are found a little later.
 */
const SEARCH_CATCH_UP = 2000;

interface Row {
  id: number;
  ts: number;
  room_name: string | null;
  from_name: string;
  text: string;
  action: number;
  to_name: string | null;
  from_account: string | null;
  to_account: string | null;
}

const COLUMNS = `m.id, m.ts, r.name AS room_name, m.from_name, m.text, m.action, m.to_name, m.from_account, m.to_account`;

function toMessage(row: Row): StoredMessage {
  const base = { id: row.id, ts: row.ts, from: row.from_name, text: row.text, ...(row.action ? { action: true } : {}) };
  if (row.room_name !== null) return { kind: 'room', room: row.room_name, ...base };
  return {
    kind: 'private',
    to: row.to_name!,
    ...(row.from_account !== null ? { fromAccount: row.from_account } : {}),
    ...(row.to_account !== null ? { toAccount: row.to_account } : {}),
    ...base,
  };
}

/**
 * The FTS5 `scope` column: one token per place a message can be searched from (`r<room id>`, and
 * `a<hex of the account name>` per account party), so a search ANDs the words with the scope in
 * FTS5 itself, which skips through the doclists instead of filtering every match of a common word
 * server-wide.
 */
function scopeToken(kind: 'r' | 'a', value: number | string): string {
  return typeof value === 'number' ? `${kind}${value}` : `${kind}${Buffer.from(value).toString('hex')}`;
}

function scopeColumn(roomId: number | null, fromAccount: string | null, toAccount: string | null): string {
  if (roomId !== null) return scopeToken('r', roomId);
  return [fromAccount, toAccount]
    .filter((a): a is string => a !== null)
    .map((a) => scopeToken('a', a))
    .join(' ');
}

function pairKey(a: string, b: string): string {
  const x = foldName(a);
  const y = foldName(b);
  // A space cannot be in a name, so the pair is unambiguous.
  return x < y ? `${x} ${y}` : `${y} ${x}`;
}

function sqliteCode(err: unknown): string | undefined {
  return err instanceof Database.SqliteError ? err.code : undefined;
}

/** An SQLite failure as one line naming the file. */
function storeError(file: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const code = sqliteCode(err) ?? '';
  const detail = err instanceof Error ? err.message : String(err);
  let kind: StoreErrorCode = 'io';
  let what = 'cannot use the database';
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    kind = 'corrupt';
    what = 'not a framechat database, or corrupt';
  } else if (code === 'SQLITE_FULL') {
    kind = 'disk_full';
    what = 'disk full';
  } else if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    kind = 'unwritable';
    what = 'in use by another process (is another server running on this data directory?)';
  } else if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || !code) {
    kind = 'unwritable';
    what = 'cannot open or write the database';
  }
  return new StoreError(kind, `${file}: ${what} (${detail})`, { cause: err });
}

/** Thrown inside createAccountTx to roll it back when a look-alike is registered. */
class LookalikeTaken extends Error {}

interface Doomed {
  id: number;
  room_id: number | null;
}

interface Pending {
  messages: StoredMessage[];
  topics: Map<string, { room: string; topic: Topic }>;
}

/** Open (creating and migrating) the store in `file`; throws a StoreError with one clear line. */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SqliteStore {
  let db: Db | undefined;
  let lock: Db | undefined;
  try {
    if (!options.tool) lock = takeServerLock(file);
    db = new Database(file);
    // The CLI waits for the server's writes; the server waits briefly (a TRUNCATE checkpoint, a CLI write).
    db.pragma(`busy_timeout = ${options.tool ? TOOL_BUSY_MS : SERVER_BUSY_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('journal_size_limit = 16777216');
    const version = migrate(db, file, options.migrations ?? MIGRATIONS);
    if (options.maxBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.ceil(options.maxBytes / pageSize))}`);
    }
    let checkpointer: Checkpointer | undefined;
    if (options.checkpoint === 'worker') {
      db.pragma('wal_autocheckpoint = 0');
      checkpointer = new Checkpointer(file, options.checkpointOptions);
    }
    return new SqliteStore(db, checkpointer, file, version, options, lock);
  } catch (err) {
    db?.close();
    lock?.close();
    throw storeError(file, err);
  }
}

/**
 * The one-server-per-file lock: an exclusive lock on `<file>-lock`, held (locking_mode EXCLUSIVE
 * keeps it after the first write) until the connection closes or the process dies.
 */
function takeServerLock(file: string): Db {
  // No busy wait: a second server is refused at once.
  const lock = new Database(`${file}-lock`, { timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
    lock.exec('CREATE TABLE IF NOT EXISTS lock (held INTEGER)');
    lock.exec('COMMIT');
    return lock;
  } catch (err) {
    lock.close();
    throw err;
  }
}

/**
 * Bring `file` to the schema of `migrations` and close it, preparing nothing: how tests make an
 * older (or newer) database than this server's.
 */
export function migrateFile(file: string, migrations: readonly Migration[]): number {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    return migrate(db, file, migrations);
  } catch (err) {
    throw storeError(file, err);
  } finally {
    db.close();
  }
}

/** Returns the schema version the file is at afterwards. */
function migrate(db: Db, file: string, migrations: readonly Migration[]): number {
  // BEGIN IMMEDIATE takes the write lock now (and keeps it, in exclusive mode).
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ts INTEGER NOT NULL)`);
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
  const current = (db.prepare('SELECT MAX(version) AS v FROM migrations').get() as { v: number | null }).v ?? 0;
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > latest) {
    throw new StoreError(
      'too_new',
      `${file}: database schema version ${current} is newer than this server's ${latest}; run a newer framechat or use another data directory`,
    );
  }
  const record = db.prepare('INSERT INTO migrations (version, name, applied_ts) VALUES (?, ?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      record.run(m.version, m.name, Date.now());
    })();
  }
  return Math.max(current, latest);
}

export class SqliteStore implements Store {
  readonly ids: CounterIds;
  private pending: Pending = { messages: [], topics: new Map() };
  private carried = { written: 0, dropped: 0 };
  private retryAt = 0;
  private closed = false;
  private readonly roomIds = new Map<string, number>();
  private readonly opts: typeof DEFAULTS & { now: () => number; clock: () => number };
  private readonly s;
  private readonly writeBatch: (p: Pending) => void;
  private readonly createAccountTx: (account: Account) => boolean;
  private readonly deleteAccountTx: (key: string) => boolean;
  /** Moderation statements (bans, mutes, operators, founders). */
  private readonly mod;
  private readonly addMuteTx: (mute: Mute, maxPerRoom: number) => boolean;
  private readonly renameMutesTx: (from: string, to: string) => void;
  /** Deletes the rows, their search entries and counts in one transaction. */
  private readonly removeBatch: (rows: readonly Doomed[]) => number[];
  /** Rows the next prune() call removes at most (adapted to pruneBudgetMs, 1..pruneBatch). */
  private pruneSize: number;
  /**
   * With SQLite's checkpoint: the pragmas that set the threshold of prune()'s and the search
   * index's commits and put the usual one back (this pragma acts when it is prepared, so each use
   * runs it anew).
   */
  private readonly stepCheckpoint: { during: string; after: string } | undefined;
  /** The largest id the search index holds: every stored row up to it is indexed, none after it. */
  private searchUpto: number;
  /**
   * Indexes the rows after searchUpto, at most n, in one transaction: how many it took, the last
   * id, and whether rows are left.
   */
  private readonly indexBatch: (n: number) => { rows: number; last: number; more: boolean };
  /**
   * The search entries of the rows after searchUpto, in id order, as the commits wrote them, so a
   * step need not read its rows back (0.9 us a row); undefined while the rows must be read from the
   * file instead (after a start with rows unindexed, or past INDEX_QUEUE_MAX). `queueHead` is the
   * next entry; `unqueued` the ids among them that prune removed before they were indexed.
   */
  private queue: SearchEntry[] | undefined;
  private queueHead = 0;
  private readonly unqueued = new Set<number>();
  /** What the running writeBatch queues, moved to the queue once its transaction has committed. */
  private staged: SearchEntry[] = [];
  /** Writes the search index in its own steps (the server's store; the CLI writes no messages). */
  private readonly indexer: IndexScheduler | undefined;

  constructor(
    private readonly db: Db,
    /** The checkpoint worker, with checkpoint: 'worker'. */
    readonly checkpointer: Checkpointer | undefined,
    private readonly file: string,
    /** The schema version of the file. */
    readonly version: number,
    options: SqliteStoreOptions,
    /** The server lock (none for the CLI). */
    private readonly lock?: Db,
  ) {
    this.opts = {
      maxPending: options.maxPending ?? DEFAULTS.maxPending,
      retryMs: options.retryMs ?? DEFAULTS.retryMs,
      pruneBatch: options.pruneBatch ?? DEFAULTS.pruneBatch,
      pruneBudgetMs: options.pruneBudgetMs ?? DEFAULTS.pruneBudgetMs,
      now: options.now ?? Date.now,
      clock: options.clock ?? (() => performance.now()),
    };
    this.pruneSize = Math.max(1, Math.min(this.opts.pruneBatch, PRUNE_START));
    const pages = (n: number | undefined, otherwise: number): number => Math.max(1, Math.floor(n ?? otherwise));
    const usual = pages(options.autocheckpointPages, AUTOCHECKPOINT_PAGES);
    const pruning = pages(options.pruneCheckpointPages, PRUNE_CHECKPOINT_PAGES);
    if (!checkpointer) db.pragma(`wal_autocheckpoint = ${usual}`);
    this.stepCheckpoint =
      checkpointer || pruning >= usual ? undefined : { during: `wal_autocheckpoint = ${pruning}`, after: `wal_autocheckpoint = ${usual}` };
    const s = {
      insertMessage: db.prepare(`INSERT INTO messages
        (id, ts, room_id, from_name, from_key, text, action, to_name, from_account, to_account, pair)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertSearch: db.prepare('INSERT INTO messages_search (rowid, body, scope) VALUES (?, ?, ?)'),
      unindexed: db.prepare('SELECT id, text, room_id, from_account, to_account FROM messages WHERE id > ? ORDER BY id LIMIT ?'),
      searchUpto: db.prepare(`SELECT value FROM meta WHERE key = 'search_upto'`).pluck(),
      setSearchUpto: db.prepare(`INSERT INTO meta (key, value) VALUES ('search_upto', ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
      mergeSearch: db.prepare(`INSERT INTO messages_search (messages_search, rank) VALUES ('merge', ?)`),
      totalChanges: db.prepare('SELECT total_changes()').pluck(),
      addRoom: db.prepare('INSERT INTO rooms (key, name) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
      roomId: db.prepare('SELECT id FROM rooms WHERE key = ?').pluck(),
      countRoom: db.prepare('UPDATE rooms SET messages = messages + ? WHERE id = ?'),
      setTopic: db.prepare('UPDATE rooms SET topic = ?, topic_by = ?, topic_ts = ? WHERE id = ?'),
      getTopic: db.prepare('SELECT topic, topic_by, topic_ts FROM rooms WHERE key = ? AND topic IS NOT NULL'),
      maxId: db
        .prepare(
          `SELECT MAX(v) FROM (SELECT MAX(id) AS v FROM messages
        UNION ALL SELECT value FROM meta WHERE key = 'id_floor')`,
        )
        .pluck(),
      setFloor: db.prepare(`INSERT INTO meta (key, value) VALUES ('id_floor', ?)
        ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)`),
      latest: db.prepare(`SELECT ${COLUMNS} FROM messages m LEFT JOIN rooms r ON r.id = m.room_id
        WHERE m.room_id = ? ORDER BY m.id DESC LIMIT ?`),
      before: db.prepare(`SELECT ${COLUMNS} FROM messages m LEFT JOIN rooms r ON r.id = m.room_id
        WHERE m.room_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?`),
      after: db.prepare(`SELECT ${COLUMNS} FROM messages m LEFT JOIN rooms r ON r.id = m.room_id
        WHERE m.room_id = ? AND m.id > ? ORDER BY m.id ASC LIMIT ?`),
      pairLatest: db.prepare(`SELECT ${COLUMNS} FROM messages m LEFT JOIN rooms r ON r.id = m.room_id
        WHERE m.pair = ? AND m.ts >= ? ORDER BY m.id DESC LIMIT ?`),
      pairBefore: db.prepare(`SELECT ${COLUMNS} FROM messages m LEFT JOIN rooms r ON r.id = m.room_id
        WHERE m.pair = ? AND m.ts >= ? AND m.id < ? ORDER BY m.id DESC LIMIT ?`),
      pairAfter: db.prepare(`SELECT ${COLUMNS} FROM messages m LEFT JOIN rooms r ON r.id = m.room_id
        WHERE m.pair = ? AND m.ts >= ? AND m.id > ? ORDER BY m.id ASC LIMIT ?`),
      // FTS5 walks the matches of words AND scope newest first (ORDER BY rowid DESC is its own
      // order); the SQL filters repeat the scope as a guard and add `from`, so the cost is the
      // in-scope matches scanned until `limit` of them pass.
      search: db.prepare(`SELECT ${COLUMNS} FROM messages_search s
        JOIN messages m ON m.id = s.rowid LEFT JOIN rooms r ON r.id = m.room_id
        WHERE messages_search MATCH @match AND s.rowid < @before
          AND (m.room_id IN (SELECT value FROM json_each(@rooms))
               OR (@account IS NOT NULL AND (m.from_account = @account OR m.to_account = @account) AND m.ts >= @since))
          AND (@from IS NULL OR m.from_key = @from)
        ORDER BY s.rowid DESC LIMIT @limit`),
      oldest: db.prepare('SELECT id, ts FROM messages ORDER BY id LIMIT 1'),
      overCap: db.prepare('SELECT id FROM rooms WHERE messages > ? LIMIT 1'),
      // Each room over the cap, its excess and its oldest message (one index seek per room).
      cappedRooms: db.prepare(`SELECT id, messages - @cap AS excess,
          (SELECT m.id FROM messages m WHERE m.room_id = rooms.id ORDER BY m.id LIMIT 1) AS first
        FROM rooms WHERE messages > @cap ORDER BY messages DESC LIMIT @limit`),
      sweep: db.prepare('SELECT id, ts, room_id FROM messages WHERE id >= ? ORDER BY id LIMIT ?'),
      roomAfter: db.prepare('SELECT id, room_id FROM messages WHERE room_id = ? AND id > ? ORDER BY id LIMIT ?'),
      deleteMessage: db.prepare('DELETE FROM messages WHERE id = ? RETURNING text, room_id, from_account, to_account'),
      deleteSearch: db.prepare(`INSERT INTO messages_search (messages_search, rowid, body, scope) VALUES ('delete', ?, ?, ?)`),
      deleteIdleRooms: db.prepare(`DELETE FROM rooms WHERE id IN
        (SELECT id FROM rooms WHERE messages = 0 AND topic IS NULL LIMIT ?)`),
      account: db.prepare('SELECT * FROM accounts WHERE key = ?'),
      accountLike: db.prepare('SELECT a.* FROM account_lookalikes l JOIN accounts a ON a.key = l.key WHERE l.skeleton = ?'),
      insertAccount: db.prepare(`INSERT INTO accounts (key, name, algo, n, r, p, keylen, salt, hash, created_ts)
        VALUES (@key, @name, @algo, @n, @r, @p, @keylen, @salt, @hash, @created_ts) ON CONFLICT (key) DO NOTHING`),
      insertLookalike: db.prepare('INSERT INTO account_lookalikes (skeleton, key) VALUES (?, ?) ON CONFLICT (skeleton) DO NOTHING'),
      setPassword: db.prepare(
        'UPDATE accounts SET algo = @algo, n = @n, r = @r, p = @p, keylen = @keylen, salt = @salt, hash = @hash WHERE key = @key',
      ),
      deleteAccount: db.prepare('DELETE FROM accounts WHERE key = ?'),
      deleteLookalikes: db.prepare('DELETE FROM account_lookalikes WHERE key = ?'),
      listAccounts: db.prepare('SELECT * FROM accounts WHERE key > ? ORDER BY key LIMIT ?'),
    };
    this.s = s;
    this.ids = new CounterIds(Number(s.maxId.get() ?? 0));
    this.searchUpto = Number(s.searchUpto.get() ?? 0);
    this.queue = this.ids.last > this.searchUpto ? undefined : [];

    this.writeBatch = db.transaction((p: Pending) => {
      this.staged = [];
      const counts = new Map<number, number>();
      for (const m of p.messages) {
        let roomId: number | null = null;
        let pair: string | null = null;
        let to: string | null = null;
        let fromAccount: string | null = null;
        let toAccount: string | null = null;
        if (m.kind === 'room') {
          roomId = this.ensureRoom(m.room);
          counts.set(roomId, (counts.get(roomId) ?? 0) + 1);
        } else {
          to = m.to;
          fromAccount = m.fromAccount === undefined ? null : foldName(m.fromAccount);
          toAccount = m.toAccount === undefined ? null : foldName(m.toAccount);
          if (fromAccount === null && toAccount === null) continue;
          if (fromAccount !== null && toAccount !== null) pair = pairKey(fromAccount, toAccount);
        }
        s.insertMessage.run(m.id, m.ts, roomId, m.from, foldName(m.from), m.text, m.action ? 1 : 0, to, fromAccount, toAccount, pair);
        // A row behind the index's mark (appended out of id order) is indexed here; the rest by the steps.
        if (m.id <= this.searchUpto) s.insertSearch.run(m.id, searchColumn(m.text), scopeColumn(roomId, fromAccount, toAccount));
        else if (this.queue) this.staged.push({ id: m.id, body: searchColumn(m.text), scope: scopeColumn(roomId, fromAccount, toAccount) });
      }
      for (const [roomId, n] of counts) s.countRoom.run(n, roomId);
      for (const { room, topic } of p.topics.values()) {
        s.setTopic.run(topic.text === '' ? null : topic.text, topic.by, topic.ts, this.ensureRoom(room));
      }
    });

    this.indexBatch = db.transaction((n: number) => {
      let last = this.searchUpto;
      let taken = 0;
      let more: boolean;
      const queue = this.queue;
      if (queue) {
        const end = Math.min(queue.length, this.queueHead + n);
        for (let i = this.queueHead; i < end; i++) {
          const e = queue[i]!;
          if (!this.unqueued.has(e.id)) s.insertSearch.run(e.id, e.body, e.scope);
          last = e.id;
        }
        taken = end - this.queueHead;
        more = end < queue.length;
      } else {
        const rows = s.unindexed.all(this.searchUpto, n) as ({ id: number } & SearchValues)[];
        for (const row of rows)
          s.insertSearch.run(row.id, searchColumn(row.text), scopeColumn(row.room_id, row.from_account, row.to_account));
        if (rows.length > 0) last = rows[rows.length - 1]!.id;
        taken = rows.length;
        more = rows.length >= n;
      }
      if (last > this.searchUpto) s.setSearchUpto.run(last);
      return { rows: taken, last, more };
    });

    this.createAccountTx = db.transaction((account: Account): boolean => {
      const key = foldName(account.name);
      const h = account.password;
      const row = { key, name: account.name, algo: h.algo, n: h.N, r: h.r, p: h.p, keylen: h.keylen, salt: h.salt, hash: h.hash };
      if (s.insertAccount.run({ ...row, created_ts: account.createdTs }).changes === 0) return false;
      for (const skeleton of lookalikeKeys(account.name)) {
        if (s.insertLookalike.run(skeleton, key).changes === 0) {
          // A look-alike is an account already: undo this one (the transaction rolls back).
          throw new LookalikeTaken();
        }
      }
      return true;
    });
    // ---- moderation ----
    const mod = {
      dropExpired: db.prepare('DELETE FROM bans WHERE until_ts IS NOT NULL AND until_ts <= ?'),
      putBan: db.prepare(`INSERT INTO bans (kind, target, room, display, by_name, reason, ts, until_ts)
        VALUES (@kind, @target, @room, @display, @by, @reason, @ts, @until)
        ON CONFLICT (kind, target, room) DO UPDATE SET display = excluded.display, by_name = excluded.by_name,
          reason = excluded.reason, ts = excluded.ts, until_ts = excluded.until_ts`),
      removeBan: db.prepare('DELETE FROM bans WHERE kind = ? AND target = ? AND room = ? AND (until_ts IS NULL OR until_ts > ?)'),
      removeAnyBan: db.prepare('DELETE FROM bans WHERE kind = ? AND target = ? AND room = ?'),
      findBan: db.prepare('SELECT * FROM bans WHERE kind = ? AND target = ? AND room = ? AND (until_ts IS NULL OR until_ts > ?)'),
      listBans: db.prepare('SELECT * FROM bans WHERE room = ? AND (until_ts IS NULL OR until_ts > ?) ORDER BY ts LIMIT ?'),
      setOperator: db.prepare(
        'INSERT INTO operators (key, name) SELECT key, name FROM accounts WHERE key = ? ON CONFLICT (key) DO NOTHING',
      ),
      clearOperator: db.prepare('DELETE FROM operators WHERE key = ?'),
      listOperators: db.prepare('SELECT name FROM operators ORDER BY key LIMIT ?'),
      getFounder: db.prepare('SELECT account FROM room_founders WHERE room = ?'),
      claimFounder: db.prepare('INSERT INTO room_founders (room, account, account_key) VALUES (?, ?, ?) ON CONFLICT (room) DO NOTHING'),
      clearFounders: db.prepare('DELETE FROM room_founders WHERE account_key = ?'),
      dropExpiredMutes: db.prepare('DELETE FROM mutes WHERE until_ts IS NOT NULL AND until_ts <= ?'),
      hasMute: db.prepare('SELECT 1 FROM mutes WHERE room = ? AND target = ?'),
      countMutes: db.prepare('SELECT COUNT(*) AS n FROM mutes WHERE room = ?'),
      putMute: db.prepare(`INSERT INTO mutes (room, target, display, by_name, ts, until_ts)
        VALUES (@room, @target, @display, @by, @ts, @until)
        ON CONFLICT (room, target) DO UPDATE SET display = excluded.display, by_name = excluded.by_name,
          ts = excluded.ts, until_ts = excluded.until_ts`),
      removeMute: db.prepare('DELETE FROM mutes WHERE room = ? AND target = ? RETURNING until_ts'),
      renameMutes: db.prepare(`INSERT INTO mutes (room, target, display, by_name, ts, until_ts)
        SELECT room, @to, @display, by_name, ts, until_ts FROM mutes WHERE target = @from
        ON CONFLICT (room, target) DO UPDATE SET display = excluded.display, by_name = excluded.by_name,
          ts = excluded.ts, until_ts = excluded.until_ts`),
      dropMutesOf: db.prepare('DELETE FROM mutes WHERE target = ?'),
      listMutes: db.prepare('SELECT * FROM mutes WHERE until_ts IS NULL OR until_ts > ? ORDER BY ts LIMIT ?'),
    };
    this.mod = mod;
    this.addMuteTx = db.transaction((mute: Mute, maxPerRoom: number): boolean => {
      mod.dropExpiredMutes.run(mute.ts);
      const room = foldName(mute.room);
      const target = foldName(mute.name);
      if (mod.hasMute.get(room, target) === undefined && (mod.countMutes.get(room) as { n: number }).n >= maxPerRoom) return false;
      mod.putMute.run({ room, target, display: mute.name, by: mute.by, ts: mute.ts, until: mute.until ?? null });
      return true;
    });
    this.renameMutesTx = db.transaction((from: string, to: string): void => {
      mod.renameMutes.run({ from, to: foldName(to), display: to });
      mod.dropMutesOf.run(from);
    });
    // ---- end moderation ----
    this.deleteAccountTx = db.transaction((key: string): boolean => {
      s.deleteLookalikes.run(key);
      // A new account of the name is not an operator nor a founder by inheritance.
      mod.clearOperator.run(key);
      mod.clearFounders.run(key);
      return s.deleteAccount.run(key).changes > 0;
    });

    this.removeBatch = db.transaction((rows: readonly Doomed[]): number[] => {
      const counts = new Map<number, number>();
      const unindexed: number[] = [];
      let maxId = 0;
      for (const row of rows) {
        const gone = s.deleteMessage.get(row.id) as SearchValues | undefined;
        if (gone === undefined) continue;
        // The entry goes by its own values, as the index steps made them; a row not indexed yet has
        // none, and its queued entry must not be written.
        if (row.id <= this.searchUpto) {
          s.deleteSearch.run(row.id, searchColumn(gone.text), scopeColumn(gone.room_id, gone.from_account, gone.to_account));
        } else {
          unindexed.push(row.id);
        }
        if (row.room_id !== null) counts.set(row.room_id, (counts.get(row.room_id) ?? 0) + 1);
        maxId = Math.max(maxId, row.id);
      }
      for (const [roomId, n] of counts) s.countRoom.run(-n, roomId);
      // Ids keep increasing even if retention empties the table.
      if (maxId > 0) s.setFloor.run(maxId);
      return unindexed;
    });

    if (!options.tool) {
      this.indexer = new IndexScheduler(
        {
          index: (n) => this.indexStep(n),
          merge: (pages) => this.mergeStep(pages),
          behind: () => this.searchBehind(),
        },
        { ...options.index, clock: this.opts.clock },
      );
      // Rows committed before a crash (or by an older build) and not indexed yet.
      if (this.ids.last > this.searchUpto) this.indexer.wrote();
    }
  }

  /** One step of the search index (IndexScheduler): the next `n` rows after searchUpto. */
  private indexStep(n: number): { indexed: number; more: boolean } {
    if (this.closed) return { indexed: 0, more: false };
    try {
      const { rows, last, more } = this.inStep(() => this.indexBatch(n));
      this.searchUpto = last;
      this.advanceQueue(rows, more);
      return { indexed: rows, more };
    } catch {
      // Rolled back (disk full, I/O): the rows wait for the next write's step, or a search.
      return { indexed: 0, more: false };
    }
  }

  /** After a step took `rows` entries: drop them from the queue; reading from the file, resume the queue once caught up. */
  private advanceQueue(rows: number, more: boolean): void {
    const queue = this.queue;
    if (!queue) {
      // Every committed row is indexed: the next commits' entries can be queued again.
      if (!more) this.queue = [];
      return;
    }
    for (let i = this.queueHead; i < this.queueHead + rows; i++) this.unqueued.delete(queue[i]!.id);
    this.queueHead += rows;
    if (this.queueHead === queue.length) {
      queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 4096 && this.queueHead * 2 > queue.length) {
      queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Messages committed that the search index does not hold yet (at most, reading from the file: ids not stored count too). */
  searchBehind(): number {
    if (this.queue) return this.queue.length - this.queueHead;
    return Math.max(0, this.ids.last - this.pending.messages.length - this.searchUpto);
  }

  /** One FTS5 merge step of at most `pages` pages; true when it merged something. */
  private mergeStep(pages: number): boolean {
    if (this.closed) return false;
    try {
      const before = this.s.totalChanges.get() as number;
      this.inStep(() => this.s.mergeSearch.run(pages));
      // FTS5's documented test: a merge that did work changes two rows or more.
      return (this.s.totalChanges.get() as number) - before >= 2;
    } catch {
      return false;
    }
  }

  /** Run a background write with the short checkpoint threshold of prune's and the index's commits. */
  private inStep<T>(fn: () => T): T {
    if (this.stepCheckpoint) this.db.pragma(this.stepCheckpoint.during);
    try {
      return fn();
    } finally {
      if (this.stepCheckpoint) this.db.pragma(this.stepCheckpoint.after);
    }
  }

  /** Resolves when the search index holds every committed row and its merges are done. */
  searchSettled(): Promise<void> {
    return this.indexer?.settled() ?? Promise.resolve();
  }

  private ensureRoom(room: string): number {
    const key = foldName(room);
    let id = this.roomIds.get(key);
    if (id === undefined) {
      this.s.addRoom.run(key, room);
      id = this.s.roomId.get(key) as number;
      if (this.roomIds.size >= ROOM_CACHE_MAX) this.roomIds.clear();
      this.roomIds.set(key, id);
    }
    return id;
  }

  private findRoom(room: string): number | undefined {
    const key = foldName(room);
    const cached = this.roomIds.get(key);
    if (cached !== undefined) return cached;
    return this.s.roomId.get(key) as number | undefined;
  }

  append(message: StoredMessage): void {
    this.pending.messages.push(message);
  }

  setTopic(room: string, topic: Topic): void {
    this.pending.topics.set(foldName(room), { room, topic });
  }

  commit(): CommitReport {
    const report = this.attempt();
    report.written += this.carried.written;
    report.dropped += this.carried.dropped;
    this.carried = { written: 0, dropped: 0 };
    return report;
  }

  private attempt(): CommitReport {
    const p = this.pending;
    const size = p.messages.length + p.topics.size;
    if (size === 0 || this.closed) return { written: 0, pending: 0, dropped: 0 };
    if (this.retryAt > this.opts.now()) {
      const dropped = this.bound();
      return { written: 0, pending: p.messages.length, dropped };
    }
    try {
      this.writeBatch(p);
      this.enqueue();
      this.pending = { messages: [], topics: new Map() };
      this.retryAt = 0;
      if (p.messages.length > 0) this.indexer?.wrote();
      return { written: size, pending: 0, dropped: 0, ...(this.indexer ? { searchBehind: this.searchBehind() } : {}) };
    } catch (err) {
      // The transaction was rolled back, rooms it created included.
      this.roomIds.clear();
      this.retryAt = this.opts.now() + this.opts.retryMs;
      const last = p.messages[p.messages.length - 1];
      if (last) {
        try {
          this.s.setFloor.run(last.id);
        } catch {
          // Best effort: with no room even for this, ids after a restart rest on MAX(id).
        }
      }
      const dropped = this.bound();
      return { written: 0, pending: p.messages.length, dropped, error: storeError(this.file, err) };
    }
  }

  /** The committed batch's search entries join the queue; past its bound the steps read the file instead. */
  private enqueue(): void {
    const staged = this.staged;
    this.staged = [];
    const queue = this.queue;
    if (!queue || staged.length === 0) return;
    if (queue.length - this.queueHead + staged.length > INDEX_QUEUE_MAX) {
      this.queue = undefined;
      this.queueHead = 0;
      this.unqueued.clear();
      return;
    }
    for (const e of staged) queue.push(e);
  }

  /** Keep at most maxPending messages; returns how many were dropped. */
  private bound(): number {
    const excess = this.pending.messages.length - this.opts.maxPending;
    if (excess <= 0) return 0;
    this.pending.messages.splice(0, excess);
    return excess;
  }

  /** Reads see what was appended before them: commit it first (its report goes to the next commit). */
  private read<T>(fn: () => T): Promise<T> {
    try {
      if (this.closed) throw new StoreError('io', `${this.file}: the store is closed`);
      const r = this.attempt();
      this.carried.written += r.written;
      this.carried.dropped += r.dropped;
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(storeError(this.file, err));
    }
  }

  private page(rows: Row[], limit: number, newestFirst: boolean): Page {
    const more = rows.length > limit;
    if (more) rows.length = limit;
    if (newestFirst) rows.reverse();
    return { messages: rows.map(toMessage), more };
  }

  latest(room: string, limit: number): Promise<Page> {
    return this.read(() => {
      const n = clampLimit(limit, MAX_PAGE_LIMIT);
      const id = this.findRoom(room);
      if (id === undefined) return { messages: [], more: false };
      return this.page(this.s.latest.all(id, n + 1) as Row[], n, true);
    });
  }

  before(room: string, before: MessageId, limit: number): Promise<Page> {
    return this.read(() => {
      const n = clampLimit(limit, MAX_PAGE_LIMIT);
      const id = this.findRoom(room);
      if (id === undefined) return { messages: [], more: false };
      return this.page(this.s.before.all(id, before, n + 1) as Row[], n, true);
    });
  }

  after(room: string, after: MessageId, limit: number): Promise<Page> {
    return this.read(() => {
      const n = clampLimit(limit, MAX_PAGE_LIMIT);
      const id = this.findRoom(room);
      if (id === undefined) return { messages: [], more: false };
      return this.page(this.s.after.all(id, after, n + 1) as Row[], n, false);
    });
  }

  since(room: string, id: MessageId, limit: number): Promise<Page> {
    return this.after(room, id, limit);
  }

  privateLatest(a: string, b: string, limit: number, notBefore = 0): Promise<Page> {
    return this.read(() => {
      const n = clampLimit(limit, MAX_PAGE_LIMIT);
      return this.page(this.s.pairLatest.all(pairKey(a, b), notBefore, n + 1) as Row[], n, true);
    });
  }

  privateBefore(a: string, b: string, id: MessageId, limit: number, notBefore = 0): Promise<Page> {
    return this.read(() => {
      const n = clampLimit(limit, MAX_PAGE_LIMIT);
      return this.page(this.s.pairBefore.all(pairKey(a, b), notBefore, id, n + 1) as Row[], n, true);
    });
  }

  privateAfter(a: string, b: string, id: MessageId, limit: number, notBefore = 0): Promise<Page> {
    return this.read(() => {
      const n = clampLimit(limit, MAX_PAGE_LIMIT);
      return this.page(this.s.pairAfter.all(pairKey(a, b), notBefore, id, n + 1) as Row[], n, false);
    });
  }

  search(query: string, scope: SearchScope): Promise<Page> {
    return this.read(() => {
      const words = ftsQuery(query);
      if (words === undefined) return { messages: [], more: false };
      // What was said since the last step is found too (a bounded catch-up; see SEARCH_CATCH_UP).
      this.indexer?.catchUp(SEARCH_CATCH_UP);
      const n = clampLimit(scope.limit, MAX_SEARCH_LIMIT);
      const rooms: number[] = [];
      for (const room of scope.rooms.slice(0, 1000)) {
        const id = this.findRoom(room);
        if (id !== undefined) rooms.push(id);
      }
      const places = rooms.map((id) => scopeToken('r', id));
      if (scope.privateAccount !== undefined) places.push(scopeToken('a', foldName(scope.privateAccount)));
      if (places.length === 0) return { messages: [], more: false };
      // Scope tokens are [a-z0-9] only, so quoting them is enough.
      const match = `body: (${words}) AND scope: (${places.map((p) => `"${p}"`).join(' OR ')})`;
      const rows = this.s.search.all({
        match,
        before: scope.before ?? Number.MAX_SAFE_INTEGER,
        rooms: JSON.stringify(rooms),
        account: scope.privateAccount === undefined ? null : foldName(scope.privateAccount),
        since: scope.privateSince ?? 0,
        from: scope.from === undefined ? null : foldName(scope.from),
        limit: n + 1,
      }) as Row[];
      return this.page(rows, n, false);
    });
  }

  getTopic(room: string): Promise<Topic | undefined> {
    const waiting = this.pending.topics.get(foldName(room));
    if (waiting) return Promise.resolve(waiting.topic.text === '' ? undefined : waiting.topic);
    return this.read(() => {
      const row = this.s.getTopic.get(foldName(room)) as { topic: string; topic_by: string; topic_ts: number } | undefined;
      return row ? { text: row.topic, by: row.topic_by, ts: row.topic_ts } : undefined;
    });
  }

  /**
   * Cost bound: one call removes at most `pruneSize` rows (1..pruneBatch) and reads at most
   * PRUNE_SCAN_PER_ROW times that many in id order, plus one index seek per room over the cap.
   *
   * What costs is pages, not rows: every page a batch dirties is written to the WAL at its commit
   * and copied back at the next checkpoint. So the rows go in id order, in one sweep from the
   * oldest candidate: a row goes when it is older than the cut-off or among its room's excess over
   * the cap (a room's rows come in id order, so the first ones met are its oldest). Rows of many
   * rooms over the cap then sit side by side, and a batch dirties a page per few dozen rows where
   * taking one room at a time (the earlier way) dirtied a table page per row: 500 rows then cost
   * 185 ms and crossed the checkpoint threshold every other call at a million messages. A room
   * whose excess is sparse in the id order (one big room among small ones) gets the rest of the
   * batch from its own index after the sweep.
   *
   * The size adapts to the time the last call took, its commit included (halved when over
   * pruneBudgetMs, doubled after a full batch under half of it). Rooms left with no message and no
   * topic are removed when the batch has room left.
   */
  prune(olderThanMs: number, perRoomCap: number): Promise<PruneReport> {
    return this.read(() => {
      const started = this.opts.clock();
      const size = this.pruneSize;
      const doomed = this.pruneCandidates(olderThanMs, perRoomCap, size);
      let rooms = 0;
      try {
        this.inStep(() => {
          if (doomed.length > 0) {
            const unindexed = this.removeBatch(doomed);
            if (this.queue) for (const id of unindexed) this.unqueued.add(id);
          }
          if (doomed.length < size) {
            rooms = this.s.deleteIdleRooms.run(size - doomed.length).changes;
            if (rooms > 0) this.roomIds.clear();
          }
        });
      } catch (err) {
        // A full file: FTS5's delete entries need pages before the deleted rows' pages are free,
        // and only a larger batch frees more than it takes. The next call (retention runs again on
        // the failure) tries the largest one.
        if (sqliteCode(err) === 'SQLITE_FULL') this.pruneSize = this.opts.pruneBatch;
        throw err;
      }
      // Its delete entries are merged away by the index's steps.
      if (doomed.length > 0) this.indexer?.dirty();
      const removed = doomed.length + rooms;
      const oldest = olderThanMs > 0 ? (this.s.oldest.get() as { id: number; ts: number } | undefined) : undefined;
      const more =
        removed >= size ||
        (oldest !== undefined && oldest.ts < olderThanMs) ||
        (perRoomCap > 0 && this.s.overCap.get(perRoomCap) !== undefined);
      const took = this.opts.clock() - started;
      this.pruneSize = adapt(size, took, this.opts.pruneBudgetMs, removed >= size, 1, this.opts.pruneBatch);
      return { removed, more };
    });
  }

  /** The rows the next batch removes, at most `size` (see prune). */
  private pruneCandidates(olderThanMs: number, perRoomCap: number, size: number): Doomed[] {
    const excess = new Map<number, number>();
    let start = Number.POSITIVE_INFINITY;
    if (perRoomCap > 0) {
      const capped = this.s.cappedRooms.all({ cap: perRoomCap, limit: MAX_CAPPED_ROOMS }) as {
        id: number;
        excess: number;
        first: number | null;
      }[];
      for (const room of capped) {
        excess.set(room.id, room.excess);
        if (room.first !== null) start = Math.min(start, room.first);
      }
    }
    if (olderThanMs > 0) {
      const oldest = this.s.oldest.get() as { id: number; ts: number } | undefined;
      if (oldest !== undefined && oldest.ts < olderThanMs) start = Math.min(start, oldest.id);
    }
    const doomed: Doomed[] = [];
    if (start === Number.POSITIVE_INFINITY) return doomed;
    let last = start - 1;
    const rows = this.s.sweep.all(start, Math.min(PRUNE_SCAN_MAX, size * PRUNE_SCAN_PER_ROW)) as {
      id: number;
      ts: number;
      room_id: number | null;
    }[];
    for (const row of rows) {
      if (doomed.length >= size) break;
      last = row.id;
      const left = row.room_id === null ? undefined : excess.get(row.room_id);
      if (row.ts < olderThanMs || (left !== undefined && left > 0)) {
        doomed.push({ id: row.id, room_id: row.room_id });
        if (left !== undefined) excess.set(row.room_id!, left - 1);
      }
    }
    for (const [room, left] of excess) {
      if (doomed.length >= size) break;
      if (left <= 0) continue;
      doomed.push(...(this.s.roomAfter.all(room, last, Math.min(left, size - doomed.length)) as Doomed[]));
    }
    return doomed;
  }

  // ---- accounts ----

  findAccount(name: string): Promise<Account | undefined> {
    return this.read(() => {
      const same = this.s.account.get(foldName(name)) as AccountRow | undefined;
      if (same) return toAccount(same);
      for (const key of lookalikeKeys(name)) {
        const other = this.s.accountLike.get(key) as AccountRow | undefined;
        if (other) return toAccount(other);
      }
      return undefined;
    });
  }

  createAccount(account: Account): Promise<boolean> {
    return this.read(() => {
      try {
        return this.createAccountTx(account);
      } catch (err) {
        if (err instanceof LookalikeTaken) return false;
        throw err;
      }
    });
  }

  setPassword(name: string, h: PasswordHash): Promise<boolean> {
    return this.read(
      () =>
        this.s.setPassword.run({ key: foldName(name), algo: h.algo, n: h.N, r: h.r, p: h.p, keylen: h.keylen, salt: h.salt, hash: h.hash })
          .changes > 0,
    );
  }

  deleteAccount(name: string): Promise<boolean> {
    return this.read(() => this.deleteAccountTx(foldName(name)));
  }

  listAccounts(after: string | undefined, limit: number): Promise<Account[]> {
    return this.read(() =>
      (this.s.listAccounts.all(after === undefined ? '' : foldName(after), clampLimit(limit, MAX_ACCOUNT_PAGE)) as AccountRow[]).map(
        toAccount,
      ),
    );
  }

  // ---- end accounts ----

  // ---- moderation ----

  addBan(ban: Ban): Promise<void> {
    return this.read(() => {
      this.mod.dropExpired.run(ban.ts);
      this.mod.putBan.run({
        kind: ban.kind,
        target: banTarget(ban.kind, ban.target),
        room: ban.room === undefined ? '' : foldName(ban.room),
        display: ban.target,
        by: ban.by,
        reason: ban.reason ?? null,
        ts: ban.ts,
        until: ban.until ?? null,
      });
    });
  }

  removeBan(kind: Ban['kind'], target: string, room: string | undefined, now: number): Promise<boolean> {
    return this.read(() => {
      const args = [kind, banTarget(kind, target), room === undefined ? '' : foldName(room)] as const;
      const live = this.mod.removeBan.run(...args, now).changes > 0;
      this.mod.removeAnyBan.run(...args);
      return live;
    });
  }

  findBan(query: BanQuery, now: number): Promise<Ban | undefined> {
    return this.read(() => {
      const room = query.room === undefined ? '' : foldName(query.room);
      const tries: [Ban['kind'], string][] = [
        ...query.names.map((n): [Ban['kind'], string] => ['name', foldName(n)]),
        ...(query.address === undefined ? [] : [['address', query.address] as [Ban['kind'], string]]),
      ];
      for (const [kind, target] of tries) {
        const row = this.mod.findBan.get(kind, target, room, now) as BanRow | undefined;
        if (row) return toBan(row);
      }
      return undefined;
    });
  }

  listBans(room: string | undefined, now: number, limit: number): Promise<Ban[]> {
    return this.read(() =>
      (this.mod.listBans.all(room === undefined ? '' : foldName(room), now, clampLimit(limit, MAX_BAN_PAGE)) as BanRow[]).map(toBan),
    );
  }

  addMute(mute: Mute, maxPerRoom: number): Promise<boolean> {
    return this.read(() => this.addMuteTx(mute, maxPerRoom));
  }

  removeMute(room: string, name: string, now: number): Promise<boolean> {
    return this.read(() => {
      const row = this.mod.removeMute.get(foldName(room), foldName(name)) as { until_ts: number | null } | undefined;
      return row !== undefined && (row.until_ts === null || row.until_ts > now);
    });
  }

  renameMutes(from: string, to: string): Promise<void> {
    const a = foldName(from);
    if (a === foldName(to)) return Promise.resolve();
    return this.read(() => this.renameMutesTx(a, to));
  }

  listMutes(now: number, limit: number): Promise<Mute[]> {
    return this.read(() => (this.mod.listMutes.all(now, clampLimit(limit, MAX_MUTE_PAGE)) as MuteRow[]).map(toMute));
  }

  setOperator(name: string, on: boolean): Promise<boolean> {
    return this.read(() => {
      const key = foldName(name);
      if (this.s.account.get(key) === undefined) return false;
      if (on) this.mod.setOperator.run(key);
      else this.mod.clearOperator.run(key);
      return true;
    });
  }

  listOperators(): Promise<string[]> {
    return this.read(() => (this.mod.listOperators.all(MAX_BAN_PAGE) as { name: string }[]).map((r) => r.name));
  }

  getFounder(room: string): Promise<string | undefined> {
    return this.read(() => (this.mod.getFounder.get(foldName(room)) as { account: string } | undefined)?.account);
  }

  claimFounder(room: string, account: string): Promise<boolean> {
    return this.read(() => {
      this.mod.claimFounder.run(foldName(room), account, foldName(account));
      const founder = (this.mod.getFounder.get(foldName(room)) as { account: string } | undefined)?.account;
      return founder !== undefined && foldName(founder) === foldName(account);
    });
  }

  // ---- end moderation ----

  /** The file's size in pages (WAL pages not yet checkpointed included) and its free pages. */
  space(): { pageSize: number; pages: number; freePages: number } {
    return {
      pageSize: this.db.pragma('page_size', { simple: true }) as number,
      pages: this.db.pragma('page_count', { simple: true }) as number,
      freePages: this.db.pragma('freelist_count', { simple: true }) as number,
    };
  }

  /** Pages after which a commit checkpoints by itself (0: never, the worker does). */
  autocheckpoint(): number {
    return this.db.pragma('wal_autocheckpoint', { simple: true }) as number;
  }

  /** The WAL's size in bytes (0 when there is none). */
  walBytes(): number {
    try {
      return fs.statSync(`${this.file}-wal`).size;
    } catch {
      return 0;
    }
  }

  /**
   * Commit what is pending and close. The checkpoint worker is told to stop and ends after its
   * current pass (`checkpointer.stopped`); SQLite's locking keeps the two connections apart.
   */
  close(): void {
    if (this.closed) return;
    this.commit();
    // A clean stop leaves the index whole; after a crash the next start indexes what is left.
    this.indexer?.catchUp(Number.POSITIVE_INFINITY);
    this.indexer?.stop();
    this.closed = true;
    void this.checkpointer?.stop();
    this.db.close();
    this.lock?.close();
  }
}
