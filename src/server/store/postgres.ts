/**
 * @module
 * The PostgreSQL store (node-postgres), for a cluster: the only module with Postgres SQL in it.
 * Several server processes (nodes) may open it on one database at once.
 *
 * Ids: a one-row counter (`id_counter`) hands out blocks. `UPDATE ... SET last = last + n
 * RETURNING last` is atomic under the row's lock, so two nodes never get overlapping blocks, and
 * the counter only grows, so every block a node gets (after a restart too) is above every block
 * handed out before: ids are unique across nodes and increasing on each. A node holds its current
 * block and one spare; `ids.next()` serves them synchronously and, when it moves on to the spare,
 * reserves the next spare in the background. Ids left in a block at shutdown are skipped, never
 * reused. The bound: if a node uses a whole block (`idBlock`, 10 000 by default) while the
 * refill's round trip is in flight, or Postgres is down that long, `next()` throws a StoreError.
 * Across nodes ids are NOT in time order (node A may hand out 5 after node B handed out 10 005):
 * keeping "one conversation in increasing id order" in a cluster needs one sequencer per
 * conversation (see the report of issue #15's first step), not this allocator.
 *
 * Search: the message's words are made by search-text.ts `tokens()` (NFKC, every Han, Hiragana
 * and Katakana character a word of its own, accents and case folded, split on anything that is
 * not a letter or digit), the same model as the memory store and SQLite's unicode61, and stored
 * as a tsvector of the built-in `simple` configuration (no stemming, no stop words) over those
 * already folded words. A query word becomes a phrase of its tokens (`'你' <-> '好'`), so the
 * stores find the same messages without unaccent, pg_trgm or any locale-dependent folding in the
 * database; the query string is built from letter/digit tokens only, so nothing the user typed
 * is tsquery syntax.
 *
 * Commits: commit() takes what is pending when its turn in a promise chain comes, so commits
 * never overlap and each writes in one transaction everything appended before it was called.
 * Rooms touched by a batch are upserted in key order first (which locks their rows in that
 * order), so two nodes committing to the same rooms queue instead of deadlocking. A failed commit
 * keeps its batch (at most `maxPending` messages, oldest dropped and counted) and retries no more
 * often than every `retryMs`, as the SQLite store does.
 */
import pg from 'pg';
import { foldName, lookalikeKeys } from '../../protocol/internal.js';
import type { PasswordHash } from '../passwords.js';
import { type AccountRow, type BanRow, type MuteRow, banTarget, toAccount, toBan, toMute } from './rows.js';
import { queryPhrases, tokens } from './search-text.js';
import {
  MAX_ACCOUNT_PAGE,
  MAX_PAGE_LIMIT,
  MAX_SEARCH_LIMIT,
  StoreError,
  clampLimit,
  type Account,
  type Ban,
  type BanQuery,
  MAX_BAN_PAGE,
  MAX_MUTE_PAGE,
  type Mute,
  type CommitReport,
  type IdSource,
  type MessageId,
  type Page,
  type PruneReport,
  type SearchScope,
  type Store,
  type StoreErrorCode,
  type StoredMessage,
  type Topic,
} from './store.js';

type Sql = pg.PoolClient;

export interface PgMigration {
  version: number;
  name: string;
  up(sql: Sql): Promise<void>;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'messages, rooms, ids and search',
    async up(sql) {
      await sql.query(`
        CREATE TABLE id_counter (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), last BIGINT NOT NULL);
        INSERT INTO id_counter (last) VALUES (0);
        CREATE TABLE rooms (
          key TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          messages BIGINT NOT NULL DEFAULT 0,
          topic TEXT,
          topic_by TEXT,
          topic_ts BIGINT
        );
        CREATE INDEX rooms_by_messages ON rooms (messages);
        CREATE TABLE messages (
          id BIGINT PRIMARY KEY,
          ts BIGINT NOT NULL,
          room_key TEXT,
          from_name TEXT NOT NULL,
          from_key TEXT NOT NULL,
          text TEXT NOT NULL,
          action BOOLEAN NOT NULL DEFAULT FALSE,
          to_name TEXT,
          from_account TEXT,
          to_account TEXT,
          pair TEXT,
          search TSVECTOR NOT NULL
        );
        CREATE INDEX messages_by_room ON messages (room_key, id) WHERE room_key IS NOT NULL;
        CREATE INDEX messages_by_pair ON messages (pair, id) WHERE pair IS NOT NULL;
        CREATE INDEX messages_by_from_account ON messages (from_account, id) WHERE from_account IS NOT NULL;
        CREATE INDEX messages_by_to_account ON messages (to_account, id) WHERE to_account IS NOT NULL;
        CREATE INDEX messages_by_ts ON messages (ts);
        CREATE INDEX messages_search ON messages USING GIN (search);
      `);
    },
  },
  {
    version: 2,
    name: 'accounts',
    async up(sql) {
      // As in SQLite: `key` is foldName(name); each account's lookalikeKeys are unique in
      // account_lookalikes, so no two accounts look alike; scrypt parameters beside every hash.
      await sql.query(`
        CREATE TABLE accounts (
          key TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          algo TEXT NOT NULL,
          n INTEGER NOT NULL,
          r INTEGER NOT NULL,
          p INTEGER NOT NULL,
          keylen INTEGER NOT NULL,
          salt BYTEA NOT NULL,
          hash BYTEA NOT NULL,
          created_ts BIGINT NOT NULL
        );
        CREATE TABLE account_lookalikes (skeleton TEXT PRIMARY KEY, key TEXT NOT NULL REFERENCES accounts (key) ON DELETE CASCADE);
        CREATE INDEX account_lookalikes_by_key ON account_lookalikes (key);
      `);
    },
  },
  // ---- moderation ----
  {
    version: 3,
    name: 'moderation',
    async up(sql) {
      // As in SQLite: `target` a folded name or an address group, `room` folded or '' for the server.
      await sql.query(`
        CREATE TABLE bans (
          kind TEXT NOT NULL,
          target TEXT NOT NULL,
          room TEXT NOT NULL,
          display TEXT NOT NULL,
          by_name TEXT NOT NULL,
          reason TEXT,
          ts BIGINT NOT NULL,
          until_ts BIGINT,
          PRIMARY KEY (kind, target, room)
        );
        CREATE INDEX bans_by_room ON bans (room, ts);
        CREATE TABLE operators (key TEXT PRIMARY KEY REFERENCES accounts (key) ON DELETE CASCADE, name TEXT NOT NULL);
        CREATE TABLE room_founders (room TEXT PRIMARY KEY, account TEXT NOT NULL,
          account_key TEXT NOT NULL REFERENCES accounts (key) ON DELETE CASCADE);
        CREATE INDEX room_founders_by_account ON room_founders (account_key);
      `);
    },
  },
  {
    version: 4,
    name: 'mutes',
    async up(sql) {
      // As in SQLite: `room` folded, `target` the folded name, `display` as given.
      await sql.query(`
        CREATE TABLE mutes (
          room TEXT NOT NULL,
          target TEXT NOT NULL,
          display TEXT NOT NULL,
          by_name TEXT NOT NULL,
          ts BIGINT NOT NULL,
          until_ts BIGINT,
          PRIMARY KEY (room, target)
        );
        CREATE INDEX mutes_by_target ON mutes (target);
      `);
    },
  },
  // ---- end moderation ----
];

// ---- moderation ----
// ---- end moderation ----

export interface PostgresStoreOptions {
  /** A schema of its own in the database (created if missing); default: the connection's. */
  schema?: string;
  /** Connections in the pool. */
  poolSize?: number;
  /** Ids reserved per round trip (see the module note). */
  idBlock?: number;
  maxPending?: number;
  retryMs?: number;
  pruneBatch?: number;
  now?: () => number;
  migrations?: readonly PgMigration[];
}

const DEFAULTS = { poolSize: 4, idBlock: 10_000, maxPending: 10_000, retryMs: 1000, pruneBatch: 500 };
/** Any constant: serialises migrations of nodes that start together. */
const MIGRATION_LOCK = 0x66636874;
const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/** int8 (ids, ts, counts) as numbers: every value here is below 2^53. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

interface Row {
  id: number;
  ts: number;
  room_key: string | null;
  room_name: string | null;
  from_name: string;
  text: string;
  action: boolean;
  to_name: string | null;
  from_account: string | null;
  to_account: string | null;
}

const COLUMNS = `m.id, m.ts, m.room_key, r.name AS room_name, m.from_name, m.text, m.action, m.to_name, m.from_account, m.to_account`;
const FROM = `messages m LEFT JOIN rooms r ON r.key = m.room_key`;

function toMessage(row: Row): StoredMessage {
  const base = { id: row.id, ts: row.ts, from: row.from_name, text: row.text, ...(row.action ? { action: true } : {}) };
  if (row.room_key !== null) return { kind: 'room', room: row.room_name ?? row.room_key, ...base };
  return {
    kind: 'private',
    to: row.to_name!,
    ...(row.from_account !== null ? { fromAccount: row.from_account } : {}),
    ...(row.to_account !== null ? { toAccount: row.to_account } : {}),
    ...base,
  };
}

function pairKey(a: string, b: string): string {
  const x = foldName(a);
  const y = foldName(b);
  // A space cannot be in a name, so the pair is unambiguous.
  return x < y ? `${x} ${y}` : `${y} ${x}`;
}

/** A tsquery of the query's phrases; its lexemes are letters and digits only, quoted. */
function tsQuery(query: string): string | undefined {
  const phrases = queryPhrases(query);
  if (phrases.length === 0) return undefined;
  return phrases.map((p) => `(${p.map((t) => `'${t.replace(/'/g, "''")}'`).join(' <-> ')})`).join(' & ');
}

/** Where the store is, for error lines: host, port and database, never the password. */
function label(config: pg.PoolConfig): string {
  const c = config.connectionString ? new URL(config.connectionString) : undefined;
  const host = c?.hostname || config.host || 'localhost';
  const port = c?.port || config.port || 5432;
  const db = c?.pathname.replace(/^\//, '') || config.database || '';
  return `postgres://${host}:${port}/${db}`;
}

function storeError(where: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const code = String((err as { code?: unknown })?.code ?? '');
  const detail = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ');
  let kind: StoreErrorCode = 'io';
  let what = 'cannot use the database';
  if (code === '53100') {
    kind = 'disk_full';
    what = 'disk full';
  } else if (code === '42501' || code === '25006' || code === '28000' || code === '28P01' || code === '3D000') {
    kind = 'unwritable';
    what = 'cannot open or write the database';
  } else if (code.startsWith('08') || code.startsWith('57P') || code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
    what = 'cannot reach the database';
  }
  return new StoreError(kind, `${where}: ${what} (${detail})`, { cause: err });
}

/** Blocks of ids from the database's counter: see the module note. */
class BlockIds implements IdSource {
  private cur = 0;
  private end = 0;
  private spare: [number, number] | undefined;
  private refilling: Promise<void> | undefined;
  /** Why the last refill failed, if it did; the next next() that needs one tries again. */
  lastError: StoreError | undefined;

  constructor(
    private readonly reserve: (n: number) => Promise<number>,
    private readonly block: number,
  ) {}

  /** Reserve the first block and its spare in one round trip. */
  async start(): Promise<void> {
    const last = await this.reserve(2 * this.block);
    this.cur = last - 2 * this.block + 1;
    this.end = last - this.block;
    this.spare = [last - this.block + 1, last];
  }

  next(): MessageId {
    if (this.cur > this.end) {
      if (!this.spare) {
        this.refill();
        throw new StoreError('io', `no message id left: the next block of ${this.block} is not reserved yet`, { cause: this.lastError });
      }
      [this.cur, this.end] = this.spare;
      this.spare = undefined;
      this.refill();
    }
    return this.cur++;
  }

  private refill(): void {
    if (this.refilling) return;
    this.refilling = this.reserve(this.block).then(
      (last) => {
        this.spare = [last - this.block + 1, last];
        this.lastError = undefined;
        this.refilling = undefined;
      },
      (err: unknown) => {
        this.lastError = err instanceof StoreError ? err : new StoreError('io', String(err), { cause: err });
        this.refilling = undefined;
      },
    );
  }

  /** Settles when no refill is in flight. */
  idle(): Promise<void> {
    return this.refilling ?? Promise.resolve();
  }
}

interface Pending {
  messages: StoredMessage[];
  topics: Map<string, { room: string; topic: Topic }>;
}

const empty = (): Pending => ({ messages: [], topics: new Map() });

/**
 * Connect, create the schema if asked, migrate and reserve the first ids; throws a StoreError with
 * one clear line (no password in it).
 */
export async function openPostgresStore(connection: string | pg.PoolConfig, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const config: pg.PoolConfig = typeof connection === 'string' ? { connectionString: connection } : { ...connection };
  const where = label(config) + (options.schema ? ` (schema ${options.schema})` : '');
  if (options.schema !== undefined && !SCHEMA_RE.test(options.schema)) {
    throw new StoreError('io', `${where}: a schema name is lower-case letters, digits and _`);
  }
  const pool = new pg.Pool({
    // An unreachable database fails a commit in seconds (and it is retried) instead of holding it.
    connectionTimeoutMillis: 15_000,
    query_timeout: 30_000,
    ...config,
    max: options.poolSize ?? DEFAULTS.poolSize,
    types: TYPES,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle connection that the server drops emits here; the next query reports the failure.
  pool.on('error', () => {});
  try {
    const version = await migrate(pool, where, options.schema, options.migrations ?? PG_MIGRATIONS);
    const store = new PostgresStore(pool, where, version, options);
    await store.start();
    return store;
  } catch (err) {
    await pool.end().catch(() => {});
    throw storeError(where, err);
  }
}

async function migrate(pool: pg.Pool, where: string, schema: string | undefined, migrations: readonly PgMigration[]): Promise<number> {
  const sql = await pool.connect();
  try {
    await sql.query('BEGIN');
    await sql.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    if (schema) await sql.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await sql.query(`CREATE TABLE IF NOT EXISTS migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ts BIGINT NOT NULL)`);
    const current = ((await sql.query('SELECT MAX(version) AS v FROM migrations')).rows[0] as { v: number | null }).v ?? 0;
    const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
    if (current > latest) {
      throw new StoreError(
        'too_new',
        `${where}: database schema version ${current} is newer than this server's ${latest}; run a newer framechat or use another database`,
      );
    }
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      await m.up(sql);
      await sql.query('INSERT INTO migrations (version, name, applied_ts) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
    }
    await sql.query('COMMIT');
    return Math.max(current, latest);
  } catch (err) {
    await sql.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    sql.release();
  }
}

export class PostgresStore implements Store {
  readonly ids: BlockIds;
  readonly async = true;
  private pending: Pending = empty();
  private carried = { written: 0, dropped: 0 };
  private retryAt = 0;
  private closed = false;
  /** Every commit and read runs after the one before it. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly opts: typeof DEFAULTS & { now: () => number };

  constructor(
    private readonly pool: pg.Pool,
    private readonly where: string,
    /** The schema version of the database. */
    readonly version: number,
    options: PostgresStoreOptions,
  ) {
    this.opts = {
      poolSize: options.poolSize ?? DEFAULTS.poolSize,
      idBlock: Math.max(1, Math.floor(options.idBlock ?? DEFAULTS.idBlock)),
      maxPending: options.maxPending ?? DEFAULTS.maxPending,
      retryMs: options.retryMs ?? DEFAULTS.retryMs,
      pruneBatch: options.pruneBatch ?? DEFAULTS.pruneBatch,
      now: options.now ?? Date.now,
    };
    this.ids = new BlockIds(async (n) => {
      try {
        const r = await pool.query('UPDATE id_counter SET last = last + $1 RETURNING last', [n]);
        return (r.rows[0] as { last: number }).last;
      } catch (err) {
        throw storeError(where, err);
      }
    }, this.opts.idBlock);
  }

  /**
   * The largest id the database has handed out or holds: a cluster's sequencer (Redis) numbers
   * messages above it, so no id is ever given twice even if Redis lost its counter.
   */
  async lastId(): Promise<number> {
    const r = await this.pool.query('SELECT GREATEST((SELECT last FROM id_counter), (SELECT COALESCE(MAX(id), 0) FROM messages)) AS last');
    return (r.rows[0] as { last: number }).last;
  }

  /**
   * One id for a cluster node whose Redis link is down (docs/CLUSTER.md, "Redis outages"): above
   * every id the counter has handed out, every message stored and `floor` (the highest number
   * the node saw on the bus). The counter row's lock serialises nodes, so two nodes never get the
   * same id and each gets increasing ones. `reserve`: that many ids after the one returned are
   * set aside too (for Redis, when a node's link returns).
   */
  async takeId(floor: number, reserve = 0): Promise<number> {
    try {
      const r = await this.pool.query(
        'UPDATE id_counter SET last = GREATEST(last, (SELECT COALESCE(MAX(id), 0) FROM messages), $1) + 1 + $2 RETURNING last - $2 AS last',
        [floor, reserve],
      );
      return (r.rows[0] as { last: number }).last;
    } catch (err) {
      throw storeError(this.where, err);
    }
  }

  /** Reserve the first ids; openPostgresStore calls it. */
  start(): Promise<void> {
    return this.ids.start();
  }

  append(message: StoredMessage): void {
    this.pending.messages.push(message);
  }

  setTopic(room: string, topic: Topic): void {
    this.pending.topics.set(foldName(room), { room, topic });
  }

  commit(): Promise<CommitReport> {
    return this.serial(async () => {
      const report = await this.attempt();
      report.written += this.carried.written;
      report.dropped += this.carried.dropped;
      this.carried = { written: 0, dropped: 0 };
      return report;
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private async attempt(): Promise<CommitReport> {
    const p = this.pending;
    const size = p.messages.length + p.topics.size;
    if (size === 0 || this.closed) return { written: 0, pending: 0, dropped: 0 };
    if (this.retryAt > this.opts.now()) {
      const dropped = this.bound();
      return { written: 0, pending: p.messages.length, dropped };
    }
    this.pending = empty();
    try {
      await this.write(p);
      this.retryAt = 0;
      return { written: size, pending: 0, dropped: 0 };
    } catch (err) {
      // Rolled back: put the batch back in front of what was appended meanwhile.
      const later = this.pending;
      for (const [key, t] of later.topics) p.topics.set(key, t);
      this.pending = { messages: [...p.messages, ...later.messages], topics: p.topics };
      this.retryAt = this.opts.now() + this.opts.retryMs;
      const dropped = this.bound();
      return { written: 0, pending: this.pending.messages.length, dropped, error: storeError(this.where, err) };
    }
  }

  /** Keep at most maxPending messages; returns how many were dropped. */
  private bound(): number {
    const excess = this.pending.messages.length - this.opts.maxPending;
    if (excess <= 0) return 0;
    this.pending.messages.splice(0, excess);
    return excess;
  }

  private async write(p: Pending): Promise<void> {
    const rooms = new Map<string, string>();
    /** The messages as json_to_recordset reads them, one object per row. */
    const rows: Record<string, string | number | boolean | null>[] = [];
    for (const m of p.messages) {
      let room: string | null = null;
      let to: string | null = null;
      let fromAccount: string | null = null;
      let toAccount: string | null = null;
      let pair: string | null = null;
      if (m.kind === 'room') {
        room = foldName(m.room);
        if (!rooms.has(room)) rooms.set(room, m.room);
      } else {
        to = m.to;
        fromAccount = m.fromAccount === undefined ? null : foldName(m.fromAccount);
        toAccount = m.toAccount === undefined ? null : foldName(m.toAccount);
        // Nobody could ever read it (private history is for accounts only).
        if (fromAccount === null && toAccount === null) continue;
        if (fromAccount !== null && toAccount !== null) pair = pairKey(fromAccount, toAccount);
      }
      rows.push({
        id: m.id,
        ts: m.ts,
        room_key: room,
        from_name: m.from,
        from_key: foldName(m.from),
        text: m.text,
        action: m.action === true,
        to_name: to,
        from_account: fromAccount,
        to_account: toAccount,
        pair,
        words: tokens(m.text).join(' '),
      });
    }
    for (const [key, { room }] of p.topics) if (!rooms.has(key)) rooms.set(key, room);
    const keys = [...rooms.keys()].sort();

    // One round trip: the statements go as one simple-protocol query, which PostgreSQL runs as
    // one implicit transaction (all or nothing). Five round trips (BEGIN, three statements, COMMIT)
    // each waited for a turn of a busy node's event loop, which made a commit, and so the output
    // it holds, several turns long. The values travel as one JSON literal each (escapeLiteral),
    // never spliced into the SQL.
    const sql = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const json = (value: unknown): string => sql.escapeLiteral(JSON.stringify(value));
      const statements: string[] = [];
      if (keys.length > 0) {
        // DO UPDATE (not NOTHING) locks every touched row, in key order, for this transaction.
        statements.push(
          `INSERT INTO rooms (key, name) SELECT key, name FROM json_to_recordset(${json(keys.map((key) => ({ key, name: rooms.get(key)! })))})
             AS t(key text, name text) ORDER BY key
           ON CONFLICT (key) DO UPDATE SET name = rooms.name`,
        );
      }
      if (rows.length > 0) {
        // A message already there (another node of a cluster delivered and recorded it too) is
        // left as it is, and not counted again.
        statements.push(
          `WITH ins AS (
             INSERT INTO messages (id, ts, room_key, from_name, from_key, text, action, to_name, from_account, to_account, pair, search)
             SELECT id, ts, room_key, from_name, from_key, text, action, to_name, from_account, to_account, pair, to_tsvector('simple', words)
             FROM json_to_recordset(${json(rows)})
               AS t(id bigint, ts bigint, room_key text, from_name text, from_key text, text text, action boolean, to_name text,
                    from_account text, to_account text, pair text, words text)
             ON CONFLICT (id) DO NOTHING RETURNING room_key)
           UPDATE rooms r SET messages = r.messages + c.n
           FROM (SELECT room_key, count(*) AS n FROM ins WHERE room_key IS NOT NULL GROUP BY room_key) c WHERE r.key = c.room_key`,
        );
      }
      if (p.topics.size > 0) {
        const topics = [...p.topics].map(([key, t]) => ({
          key,
          text: t.topic.text === '' ? null : t.topic.text,
          by: t.topic.by,
          ts: t.topic.ts,
        }));
        statements.push(
          `UPDATE rooms r SET topic = t.text, topic_by = t.by, topic_ts = t.ts
           FROM json_to_recordset(${json(topics)}) AS t(key text, text text, by text, ts bigint) WHERE r.key = t.key`,
        );
      }
      if (statements.length > 0) await sql.query(statements.join(';\n'));
    } catch (err) {
      // Rolled back by PostgreSQL: the implicit transaction ends with the failed statement.
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      // A connection whose query failed is discarded, not reused.
      sql.release(broken);
    }
  }

  /** Reads see what was appended before them: commit it first (its report goes to the next commit). */
  private read<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(async () => {
      if (this.closed) throw new StoreError('io', `${this.where}: the store is closed`);
      const r = await this.attempt();
      this.carried.written += r.written;
      this.carried.dropped += r.dropped;
      try {
        return await fn();
      } catch (err) {
        throw storeError(this.where, err);
      }
    });
  }

  private async rows(text: string, values: unknown[]): Promise<Row[]> {
    return (await this.pool.query(text, values)).rows as Row[];
  }

  private page(rows: Row[], limit: number, newestFirst: boolean): Page {
    const more = rows.length > limit;
    if (more) rows.length = limit;
    if (newestFirst) rows.reverse();
    return { messages: rows.map(toMessage), more };
  }

  latest(room: string, limit: number): Promise<Page> {
    return this.read(async () => {
      const n = clampLimit(limit, MAX_PAGE_LIMIT);
      const rows = await this.rows(`SELECT ${COLUMNS} FROM ${FROM} WHERE m.room_key = $1 ORDER BY m.id DESC LIMIT $2`, [
        foldName(room),
        n + 1,
      ]);
      return this.page(rows, n, true);
    });
  }

  before(room: string, id: MessageId, limit: number): Promise<Page> {
    return this.read(async () => {
      const n = clampLimit(limit, MAX_PAGE_LIMIT);
      const rows = await this.rows(`SELECT ${COLUMNS} FROM ${FROM} WHERE m.room_key = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3`, [
        foldName(room),
        id,
        n + 1,
      ]);
      return this.page(rows, n, true);
    });
  }

  after(room: string, id: MessageId, limit: number): Promise<Page> {
    return this.read(async () => {
      const n = clampLimit(limit, MAX_PAGE_LIMIT);
      const rows = await this.rows(`SELECT ${COLUMNS} FROM ${FROM} WHERE m.room_key = $1 AND m.id > $2 ORDER BY m.id ASC LIMIT $3`, [
        foldName(room),
        id,
        n + 1,
      ]);
      return this.page(rows, n, false);
    });
  }

  since(room: string, id: MessageId, limit: number): Promise<Page> {
    return this.after(room, id, limit);
  }

  privateLatest(a: string, b: string, limit: number, notBefore = 0): Promise<Page> {
    return this.read(async () => {
      const n = clampLimit(limit, MAX_PAGE_LIMIT);
      const rows = await this.rows(`SELECT ${COLUMNS} FROM ${FROM} WHERE m.pair = $1 AND m.ts >= $3 ORDER BY m.id DESC LIMIT $2`, [
        pairKey(a, b),
        n + 1,
        notBefore,
      ]);
      return this.page(rows, n, true);
    });
  }

  privateBefore(a: string, b: string, id: MessageId, limit: number, notBefore = 0): Promise<Page> {
    return this.read(async () => {
      const n = clampLimit(limit, MAX_PAGE_LIMIT);
      const rows = await this.rows(
        `SELECT ${COLUMNS} FROM ${FROM} WHERE m.pair = $1 AND m.id < $2 AND m.ts >= $4 ORDER BY m.id DESC LIMIT $3`,
        [pairKey(a, b), id, n + 1, notBefore],
      );
      return this.page(rows, n, true);
    });
  }

  privateAfter(a: string, b: string, id: MessageId, limit: number, notBefore = 0): Promise<Page> {
    return this.read(async () => {
      const n = clampLimit(limit, MAX_PAGE_LIMIT);
      const rows = await this.rows(
        `SELECT ${COLUMNS} FROM ${FROM} WHERE m.pair = $1 AND m.id > $2 AND m.ts >= $4 ORDER BY m.id ASC LIMIT $3`,
        [pairKey(a, b), id, n + 1, notBefore],
      );
      return this.page(rows, n, false);
    });
  }

  search(query: string, scope: SearchScope): Promise<Page> {
    return this.read(async () => {
      const match = tsQuery(query);
      if (match === undefined) return { messages: [], more: false };
      const n = clampLimit(scope.limit, MAX_SEARCH_LIMIT);
      const rooms = [...new Set(scope.rooms.slice(0, 1000).map(foldName))];
      const account = scope.privateAccount === undefined ? null : foldName(scope.privateAccount);
      if (rooms.length === 0 && account === null) return { messages: [], more: false };
      const rows = await this.rows(
        `SELECT ${COLUMNS} FROM ${FROM}
         WHERE m.search @@ to_tsquery('simple', $1) AND m.id < $2
           AND (m.room_key = ANY($3::text[])
                OR ($4::text IS NOT NULL AND (m.from_account = $4 OR m.to_account = $4) AND m.ts >= $7))
           AND ($5::text IS NULL OR m.from_key = $5)
         ORDER BY m.id DESC LIMIT $6`,
        [
          match,
          scope.before ?? Number.MAX_SAFE_INTEGER,
          rooms,
          account,
          scope.from === undefined ? null : foldName(scope.from),
          n + 1,
          scope.privateSince ?? 0,
        ],
      );
      return this.page(rows, n, false);
    });
  }

  getTopic(room: string): Promise<Topic | undefined> {
    const waiting = this.pending.topics.get(foldName(room));
    if (waiting) return Promise.resolve(waiting.topic.text === '' ? undefined : waiting.topic);
    return this.read(async () => {
      const r = await this.pool.query('SELECT topic, topic_by, topic_ts FROM rooms WHERE key = $1 AND topic IS NOT NULL', [foldName(room)]);
      const row = r.rows[0] as { topic: string; topic_by: string; topic_ts: number } | undefined;
      return row ? { text: row.topic, by: row.topic_by, ts: row.topic_ts } : undefined;
    });
  }

  // ---- accounts: each change its own transaction, answered with its outcome (store.ts) ----

  async findAccount(name: string): Promise<Account | undefined> {
    const exact = await this.pool.query('SELECT * FROM accounts WHERE key = $1', [foldName(name)]);
    if (exact.rows[0]) return toAccount(exact.rows[0] as AccountRow);
    const like = await this.pool.query(
      'SELECT a.* FROM account_lookalikes l JOIN accounts a ON a.key = l.key WHERE l.skeleton = ANY($1::text[]) LIMIT 1',
      [lookalikeKeys(name)],
    );
    return like.rows[0] ? toAccount(like.rows[0] as AccountRow) : undefined;
  }

  async createAccount(account: Account): Promise<boolean> {
    const key = foldName(account.name);
    const h = account.password;
    const sql = await this.pool.connect();
    try {
      await sql.query('BEGIN');
      const inserted = await sql.query(
        `INSERT INTO accounts (key, name, algo, n, r, p, keylen, salt, hash, created_ts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (key) DO NOTHING`,
        [key, account.name, h.algo, h.N, h.r, h.p, h.keylen, h.salt, h.hash, account.createdTs],
      );
      if (inserted.rowCount === 0) {
        await sql.query('ROLLBACK');
        return false;
      }
      for (const skeleton of lookalikeKeys(account.name)) {
        const r = await sql.query('INSERT INTO account_lookalikes (skeleton, key) VALUES ($1, $2) ON CONFLICT (skeleton) DO NOTHING', [
          skeleton,
          key,
        ]);
        if (r.rowCount === 0) {
          // A look-alike is an account already (perhaps registered on another node just now).
          await sql.query('ROLLBACK');
          return false;
        }
      }
      await sql.query('COMMIT');
      return true;
    } catch (err) {
      await sql.query('ROLLBACK').catch(() => {});
      // Two nodes registering the same name at once: the loser's insert conflicts at commit.
      if ((err as { code?: string }).code === '23505') return false;
      throw err;
    } finally {
      sql.release();
    }
  }

  async setPassword(name: string, password: PasswordHash): Promise<boolean> {
    const h = password;
    const r = await this.pool.query(
      'UPDATE accounts SET algo = $2, n = $3, r = $4, p = $5, keylen = $6, salt = $7, hash = $8 WHERE key = $1',
      [foldName(name), h.algo, h.N, h.r, h.p, h.keylen, h.salt, h.hash],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async deleteAccount(name: string): Promise<boolean> {
    // The look-alikes go with it (ON DELETE CASCADE).
    const r = await this.pool.query('DELETE FROM accounts WHERE key = $1', [foldName(name)]);
    return (r.rowCount ?? 0) > 0;
  }

  async listAccounts(after: string | undefined, limit: number): Promise<Account[]> {
    const r = await this.pool.query('SELECT * FROM accounts WHERE key > $1 ORDER BY key LIMIT $2', [
      after === undefined ? '' : foldName(after),
      clampLimit(limit, MAX_ACCOUNT_PAGE),
    ]);
    return (r.rows as AccountRow[]).map(toAccount);
  }

  // ---- moderation: each change its own statement, read at every use (no cache) ----

  async addBan(ban: Ban): Promise<void> {
    await this.pool.query('DELETE FROM bans WHERE until_ts IS NOT NULL AND until_ts <= $1', [ban.ts]);
    await this.pool.query(
      `INSERT INTO bans (kind, target, room, display, by_name, reason, ts, until_ts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (kind, target, room) DO UPDATE SET display = EXCLUDED.display, by_name = EXCLUDED.by_name,
         reason = EXCLUDED.reason, ts = EXCLUDED.ts, until_ts = EXCLUDED.until_ts`,
      [
        ban.kind,
        banTarget(ban.kind, ban.target),
        ban.room === undefined ? '' : foldName(ban.room),
        ban.target,
        ban.by,
        ban.reason ?? null,
        ban.ts,
        ban.until ?? null,
      ],
    );
  }

  async removeBan(kind: Ban['kind'], target: string, room: string | undefined, now: number): Promise<boolean> {
    const r = await this.pool.query('DELETE FROM bans WHERE kind = $1 AND target = $2 AND room = $3 RETURNING until_ts', [
      kind,
      banTarget(kind, target),
      room === undefined ? '' : foldName(room),
    ]);
    return (r.rows as { until_ts: string | null }[]).some((row) => row.until_ts === null || Number(row.until_ts) > now);
  }

  async findBan(query: BanQuery, now: number): Promise<Ban | undefined> {
    const targets = [
      ...query.names.map((n) => ({ kind: 'name', target: foldName(n) })),
      ...(query.address === undefined ? [] : [{ kind: 'address', target: query.address }]),
    ];
    if (targets.length === 0) return undefined;
    const r = await this.pool.query(
      `SELECT * FROM bans WHERE room = $1 AND (until_ts IS NULL OR until_ts > $2)
         AND (kind, target) IN (SELECT * FROM unnest($3::text[], $4::text[])) LIMIT 1`,
      [query.room === undefined ? '' : foldName(query.room), now, targets.map((t) => t.kind), targets.map((t) => t.target)],
    );
    return r.rows[0] ? toBan(r.rows[0] as BanRow) : undefined;
  }

  async listBans(room: string | undefined, now: number, limit: number): Promise<Ban[]> {
    const r = await this.pool.query('SELECT * FROM bans WHERE room = $1 AND (until_ts IS NULL OR until_ts > $2) ORDER BY ts LIMIT $3', [
      room === undefined ? '' : foldName(room),
      now,
      clampLimit(limit, MAX_BAN_PAGE),
    ]);
    return (r.rows as BanRow[]).map(toBan);
  }

  async addMute(mute: Mute, maxPerRoom: number): Promise<boolean> {
    const room = foldName(mute.room);
    const target = foldName(mute.name);
    const sql = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await sql.query('BEGIN');
      // One writer per room at a time (two nodes muting in one room at once), so the count holds.
      await sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`mutes:${room}`]);
      await sql.query('DELETE FROM mutes WHERE until_ts IS NOT NULL AND until_ts <= $1', [mute.ts]);
      const r = await sql.query('SELECT COUNT(*) FILTER (WHERE target <> $2) AS others FROM mutes WHERE room = $1', [room, target]);
      if (Number((r.rows[0] as { others: string }).others) >= maxPerRoom) {
        await sql.query('ROLLBACK');
        return false;
      }
      await sql.query(
        `INSERT INTO mutes (room, target, display, by_name, ts, until_ts) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (room, target) DO UPDATE SET display = EXCLUDED.display, by_name = EXCLUDED.by_name,
           ts = EXCLUDED.ts, until_ts = EXCLUDED.until_ts`,
        [room, target, mute.name, mute.by, mute.ts, mute.until ?? null],
      );
      await sql.query('COMMIT');
      return true;
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
      await sql.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      sql.release(broken);
    }
  }

  async removeMute(room: string, name: string, now: number): Promise<boolean> {
    const r = await this.pool.query('DELETE FROM mutes WHERE room = $1 AND target = $2 RETURNING until_ts', [
      foldName(room),
      foldName(name),
    ]);
    return (r.rows as { until_ts: string | null }[]).some((row) => row.until_ts === null || Number(row.until_ts) > now);
  }

  async renameMutes(from: string, to: string): Promise<void> {
    const a = foldName(from);
    const b = foldName(to);
    if (a === b) return;
    // One statement: the old rows go and the new ones replace any the new name had.
    await this.pool.query(
      `WITH gone AS (DELETE FROM mutes WHERE target = $1 RETURNING room, by_name, ts, until_ts)
       INSERT INTO mutes (room, target, display, by_name, ts, until_ts) SELECT room, $2, $3, by_name, ts, until_ts FROM gone
       ON CONFLICT (room, target) DO UPDATE SET display = EXCLUDED.display, by_name = EXCLUDED.by_name,
         ts = EXCLUDED.ts, until_ts = EXCLUDED.until_ts`,
      [a, b, to],
    );
  }

  async listMutes(now: number, limit: number): Promise<Mute[]> {
    const r = await this.pool.query('SELECT * FROM mutes WHERE until_ts IS NULL OR until_ts > $1 ORDER BY ts LIMIT $2', [
      now,
      clampLimit(limit, MAX_MUTE_PAGE),
    ]);
    return (r.rows as MuteRow[]).map(toMute);
  }

  async setOperator(name: string, on: boolean): Promise<boolean> {
    const key = foldName(name);
    const exists = await this.pool.query('SELECT 1 FROM accounts WHERE key = $1', [key]);
    if (exists.rows.length === 0) return false;
    if (on)
      await this.pool.query(
        'INSERT INTO operators (key, name) SELECT key, name FROM accounts WHERE key = $1 ON CONFLICT (key) DO NOTHING',
        [key],
      );
    else await this.pool.query('DELETE FROM operators WHERE key = $1', [key]);
    return true;
  }

  async listOperators(): Promise<string[]> {
    const r = await this.pool.query('SELECT name FROM operators ORDER BY key LIMIT $1', [MAX_BAN_PAGE]);
    return (r.rows as { name: string }[]).map((row) => row.name);
  }

  async getFounder(room: string): Promise<string | undefined> {
    const r = await this.pool.query('SELECT account FROM room_founders WHERE room = $1', [foldName(room)]);
    return (r.rows[0] as { account: string } | undefined)?.account;
  }

  async claimFounder(room: string, account: string): Promise<boolean> {
    try {
      await this.pool.query('INSERT INTO room_founders (room, account, account_key) VALUES ($1, $2, $3) ON CONFLICT (room) DO NOTHING', [
        foldName(room),
        account,
        foldName(account),
      ]);
    } catch (err) {
      // No such account (removed meanwhile): no founder.
      if ((err as { code?: string }).code === '23503') return false;
      throw err;
    }
    const founder = await this.getFounder(room);
    return founder !== undefined && foldName(founder) === foldName(account);
  }

  // ---- end moderation ----

  /**
   * At most `pruneBatch` rows a call: first messages older than the cut-off (by `ts`, not by id:
   * across nodes ids do not follow time), then the oldest of the fullest room over the cap, one
   * room a call, then rooms left with no message and no topic.
   */
  prune(olderThanMs: number, perRoomCap: number): Promise<PruneReport> {
    return this.read(async () => {
      const batch = this.opts.pruneBatch;
      const doomed = (
        await this.pool.query('SELECT id FROM messages WHERE ts < $1 ORDER BY ts, id LIMIT $2', [olderThanMs, batch])
      ).rows.map((r: { id: number }) => r.id);
      const overCap = async (): Promise<{ key: string; messages: number } | undefined> =>
        perRoomCap > 0
          ? ((await this.pool.query('SELECT key, messages FROM rooms WHERE messages > $1 ORDER BY messages DESC LIMIT 1', [perRoomCap]))
              .rows[0] as { key: string; messages: number } | undefined)
          : undefined;
      if (doomed.length < batch) {
        const room = await overCap();
        if (room) {
          const taken = new Set(doomed);
          const excess = Math.min(room.messages - perRoomCap, batch);
          const rows = await this.pool.query('SELECT id FROM messages WHERE room_key = $1 ORDER BY id LIMIT $2', [room.key, excess]);
          for (const { id } of rows.rows as { id: number }[]) {
            if (doomed.length >= batch) break;
            if (!taken.has(id)) doomed.push(id);
          }
        }
      }
      let deleted = 0;
      if (doomed.length > 0) deleted = await this.remove(doomed);
      let rooms = 0;
      if (deleted < batch) {
        // SKIP LOCKED passes over rooms a commit (here or on another node) holds, so this never
        // waits on one nor deadlocks with one; the conditions are checked again on the locked row.
        const r = await this.pool.query(
          `DELETE FROM rooms WHERE key IN (SELECT key FROM rooms WHERE messages = 0 AND topic IS NULL
             ORDER BY key LIMIT $1 FOR UPDATE SKIP LOCKED)
           AND messages = 0 AND topic IS NULL`,
          [batch - deleted],
        );
        rooms = r.rowCount ?? 0;
      }
      const removed = deleted + rooms;
      const more = removed >= batch || (await overCap()) !== undefined;
      return { removed, more };
    });
  }

  private async remove(ids: number[]): Promise<number> {
    const sql = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await sql.query('BEGIN');
      const gone = await sql.query('DELETE FROM messages WHERE id = ANY($1::bigint[]) RETURNING room_key', [ids]);
      const counts = new Map<string, number>();
      for (const { room_key } of gone.rows as { room_key: string | null }[]) {
        if (room_key !== null) counts.set(room_key, (counts.get(room_key) ?? 0) + 1);
      }
      if (counts.size > 0) {
        const keys = [...counts.keys()].sort();
        // Lock in key order, as commits do.
        await sql.query('SELECT key FROM rooms WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE', [keys]);
        await sql.query(
          `UPDATE rooms r SET messages = r.messages - c.n FROM unnest($1::text[], $2::bigint[]) AS c(key, n) WHERE r.key = c.key`,
          [keys, keys.map((k) => counts.get(k)!)],
        );
      }
      await sql.query('COMMIT');
      return gone.rowCount ?? 0;
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
      await sql.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      sql.release(broken);
    }
  }

  /** Commit what is pending, then end the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.commit().catch(() => {});
    this.closed = true;
    await this.chain;
    await this.ids.idle();
    await this.pool.end();
  }
}
