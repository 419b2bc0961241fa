/**
 * @module
 * The SQLite store on its own thread: the SqliteStore (sqlite.ts) runs in a worker thread, so its
 * inserts, the FTS5 index and the search-text folding use another core instead of the event loop
 * (a quarter of the server's busy time in the small-room bench; docs/PERFORMANCE.md).
 *
 * The main thread keeps what the Store interface wants synchronous: `ids` numbers from the largest
 * id the worker found at open, and `append`/`setTopic` buffer. `commit()` posts the turn's batch
 * as one message and returns a promise of the worker's CommitReport (`async = true`), so the
 * server holds that turn's output until it is in the WAL, as with PostgreSQL. Every other method
 * is a request with a numeric id, answered in order; a read posts what is buffered along with it,
 * so it sees every message appended before it (the worker's store commits those before reading).
 *
 * The worker owns the connection (and the server lock beside the file); it answers in the order it
 * is asked. If it dies, every pending request fails with a StoreError, and so does every later
 * one; commits report the error, as a failed SQLite commit does, and live chat goes on.
 */
import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import { startWorker } from './checkpoint.js';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite.js';
import {
  StoreError,
  type Account,
  type Ban,
  type BanQuery,
  type CommitReport,
  type MessageId,
  type Mute,
  type Page,
  type PruneReport,
  type SearchScope,
  type Store,
  type StoreErrorCode,
  type StoredMessage,
  type Topic,
} from './store.js';
import { CounterIds } from '../ids.js';

const ROLE = 'framechat-store-thread';

/** What may cross to the worker: the options that are data (no clocks, no migrations). */
export type ThreadStoreOptions = Omit<SqliteStoreOptions, 'now' | 'clock' | 'migrations' | 'tool'>;

/** Buffered messages kept at most once the worker is gone (then the oldest are dropped). */
const MAX_PENDING_DEAD = 10_000;

const METHODS = [
  'latest',
  'before',
  'after',
  'since',
  'privateLatest',
  'privateBefore',
  'privateAfter',
  'search',
  'getTopic',
  'findAccount',
  'createAccount',
  'setPassword',
  'deleteAccount',
  'listAccounts',
  'addBan',
  'removeBan',
  'findBan',
  'listBans',
  'addMute',
  'removeMute',
  'renameMutes',
  'listMutes',
  'setOperator',
  'listOperators',
  'getFounder',
  'claimFounder',
  'prune',
] as const;
type Method = (typeof METHODS)[number];

interface Setup {
  role: typeof ROLE;
  file: string;
  options: ThreadStoreOptions;
}

interface Batch {
  /** The messages flat, FIELDS slots each (encode/decode); see FIELDS for why. */
  messages: Flat[];
  /** [room, topic] in the order set; the worker's store keeps the last per room. */
  topics: [string, Topic][];
}

type Flat = string | number | null;

/**
 * A message travels as FIELDS primitives in one flat array: V8's structured clone copies a dense
 * array of strings and numbers about 4-7 times faster than the same messages as objects (0.15-0.7
 * against 1.0-1.8 us of the main thread per message, in batches of 200 and 20; msgpackr packing
 * was 0.8-1.6 us), and the clone is the main thread's whole share of a commit.
 * Slots: kind (0 room, 1 private), id, ts, from, text, action (0/1), room or to, fromAccount, toAccount.
 */
const FIELDS = 9;

function encode(m: StoredMessage, out: Flat[]): void {
  if (m.kind === 'room') out.push(0, m.id, m.ts, m.from, m.text, m.action ? 1 : 0, m.room, null, null);
  else out.push(1, m.id, m.ts, m.from, m.text, m.action ? 1 : 0, m.to, m.fromAccount ?? null, m.toAccount ?? null);
}

function decode(flat: Flat[], at: number): StoredMessage {
  const base = { id: flat[at + 1] as number, ts: flat[at + 2] as number, from: flat[at + 3] as string, text: flat[at + 4] as string };
  const action = flat[at + 5] === 1 ? { action: true as const } : {};
  if (flat[at] === 0) return { kind: 'room', room: flat[at + 6] as string, ...base, ...action };
  const fromAccount = flat[at + 7];
  const toAccount = flat[at + 8];
  return {
    kind: 'private',
    to: flat[at + 6] as string,
    ...base,
    ...action,
    ...(fromAccount !== null ? { fromAccount: fromAccount as string } : {}),
    ...(toAccount !== null ? { toAccount: toAccount as string } : {}),
  };
}

type Request =
  | ({ t: 'commit'; id: number } & Batch)
  | ({ t: 'call'; id: number; method: Method; args: unknown[] } & Batch)
  | ({ t: 'close'; id: number } & Batch);

interface WireError {
  code: StoreErrorCode;
  message: string;
}

interface WireReport extends Omit<CommitReport, 'error'> {
  error?: WireError;
}

type Reply =
  | { t: 'ready'; lastId: number }
  | { t: 'open-failed'; error: WireError }
  | { t: 'done'; id: number; value: unknown }
  | { t: 'failed'; id: number; error: WireError };

function toWire(err: unknown): WireError {
  if (err instanceof StoreError) return { code: err.code, message: err.message };
  return { code: 'io', message: err instanceof Error ? err.message : String(err) };
}

function fromWire(e: WireError): StoreError {
  return new StoreError(e.code, e.message);
}

/** A structured clone makes Buffers plain Uint8Arrays: an account's salt and hash are Buffers again. */
function reviveAccount(a: Account | undefined): Account | undefined {
  if (!a) return a;
  return { ...a, password: { ...a.password, salt: Buffer.from(a.password.salt), hash: Buffer.from(a.password.hash) } };
}

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (err: StoreError) => void;
}

/** Open the store in `file` on a worker thread; rejects with the StoreError the open threw. */
export function openThreadedSqliteStore(file: string, options: ThreadStoreOptions = {}): Promise<ThreadedSqliteStore> {
  const setup: Setup = { role: ROLE, file, options };
  const worker = startWorker(import.meta.url, setup);
  return new Promise((resolve, reject) => {
    const onExit = (code: number): void => reject(new StoreError('io', `${file}: the store's thread exited at open (code ${code})`));
    const onError = (err: Error): void => reject(new StoreError('io', `${file}: the store's thread failed at open (${err.message})`));
    worker.once('exit', onExit);
    worker.once('error', onError);
    worker.once('message', (reply: Reply) => {
      worker.off('exit', onExit);
      worker.off('error', onError);
      if (reply.t === 'ready') resolve(new ThreadedSqliteStore(worker, file, reply.lastId));
      else if (reply.t === 'open-failed') {
        reject(fromWire(reply.error));
        void worker.terminate();
      } else reject(new StoreError('io', `${file}: the store's thread answered ${reply.t} at open`));
    });
  });
}

export class ThreadedSqliteStore implements Store {
  readonly ids: CounterIds;
  readonly async = true;
  private buffer: Batch = { messages: [], topics: [] };
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  /** Set when the worker died: every request fails with it from then on. */
  private dead: StoreError | undefined;
  private dropped = 0;
  private closing: Promise<void> | undefined;
  private readonly exited: Promise<void>;

  constructor(
    private readonly worker: Worker,
    private readonly file: string,
    lastId: number,
  ) {
    this.ids = new CounterIds(lastId);
    // Held only while a request is out, so an idle store never keeps a process alive.
    worker.unref();
    worker.on('message', (reply: Reply) => this.onReply(reply));
    worker.on('error', (err) => this.die(`failed (${err.message})`));
    this.exited = new Promise((resolve) => {
      worker.on('exit', (code) => {
        if (!this.closing || this.waiting.size > 0) this.die(`exited (code ${code})`);
        resolve();
      });
    });
  }

  /** The worker's death, if it died: every request fails with it. */
  get error(): StoreError | undefined {
    return this.dead;
  }

  private die(why: string): void {
    if (this.dead) return;
    this.dead = new StoreError('io', `${this.file}: the store's thread ${why}; history is not being saved`);
    for (const w of this.waiting.values()) w.reject(this.dead);
    this.waiting.clear();
  }

  private onReply(reply: Reply): void {
    if (reply.t !== 'done' && reply.t !== 'failed') return;
    const w = this.waiting.get(reply.id);
    if (!w) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.worker.unref();
    if (reply.t === 'done') w.resolve(reply.value);
    else w.reject(fromWire(reply.error));
  }

  /** Post a request carrying what is buffered; resolves with the worker's answer. */
  private request(make: (id: number, batch: Batch) => Request): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const batch = this.buffer;
    this.buffer = { messages: [], topics: [] };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      if (this.waiting.size === 1) this.worker.ref();
      this.worker.postMessage(make(id, batch));
    });
  }

  private call<T>(method: Method, ...args: unknown[]): Promise<T> {
    if (this.closing) return Promise.reject(new StoreError('io', `${this.file}: the store is closed`));
    return this.request((id, b) => ({ t: 'call', id, method, args, ...b })) as Promise<T>;
  }

  append(message: StoredMessage): void {
    encode(message, this.buffer.messages);
  }

  setTopic(room: string, topic: Topic): void {
    this.buffer.topics.push([room, topic]);
  }

  commit(): Promise<CommitReport> {
    if (this.dead) return Promise.resolve(this.deadReport());
    const size = this.buffer.messages.length / FIELDS + this.buffer.topics.length;
    if (size === 0 || this.closing) return Promise.resolve({ written: 0, pending: 0, dropped: 0 });
    return this.request((id, b) => ({ t: 'commit', id, ...b })).then(
      (r) => {
        const w = r as WireReport;
        return {
          written: w.written,
          pending: w.pending,
          dropped: w.dropped,
          ...(w.searchBehind !== undefined ? { searchBehind: w.searchBehind } : {}),
          ...(w.error ? { error: fromWire(w.error) } : {}),
        };
      },
      (err: StoreError) => this.deadReport(err),
    );
  }

  /** A commit with no worker to write: the buffer is kept, bounded, like a store whose disk is full. */
  private deadReport(error: StoreError = this.dead!): CommitReport {
    const excess = this.buffer.messages.length / FIELDS - MAX_PENDING_DEAD;
    if (excess > 0) {
      this.buffer.messages.splice(0, excess * FIELDS);
      this.dropped += excess;
    }
    const dropped = this.dropped;
    this.dropped = 0;
    return { written: 0, pending: this.buffer.messages.length / FIELDS, dropped, error };
  }

  latest(room: string, limit: number): Promise<Page> {
    return this.call('latest', room, limit);
  }
  before(room: string, id: MessageId, limit: number): Promise<Page> {
    return this.call('before', room, id, limit);
  }
  after(room: string, id: MessageId, limit: number): Promise<Page> {
    return this.call('after', room, id, limit);
  }
  since(room: string, id: MessageId, limit: number): Promise<Page> {
    return this.call('since', room, id, limit);
  }
  privateLatest(a: string, b: string, limit: number, notBefore?: number): Promise<Page> {
    return this.call('privateLatest', a, b, limit, notBefore);
  }
  privateBefore(a: string, b: string, id: MessageId, limit: number, notBefore?: number): Promise<Page> {
    return this.call('privateBefore', a, b, id, limit, notBefore);
  }
  privateAfter(a: string, b: string, id: MessageId, limit: number, notBefore?: number): Promise<Page> {
    return this.call('privateAfter', a, b, id, limit, notBefore);
  }
  search(query: string, scope: SearchScope): Promise<Page> {
    return this.call('search', query, scope);
  }
  getTopic(room: string): Promise<Topic | undefined> {
    return this.call('getTopic', room);
  }
  async findAccount(name: string): Promise<Account | undefined> {
    return reviveAccount(await this.call<Account | undefined>('findAccount', name));
  }
  createAccount(account: Account): Promise<boolean> {
    return this.call('createAccount', account);
  }
  setPassword(name: string, password: Account['password']): Promise<boolean> {
    return this.call('setPassword', name, password);
  }
  deleteAccount(name: string): Promise<boolean> {
    return this.call('deleteAccount', name);
  }
  async listAccounts(after: string | undefined, limit: number): Promise<Account[]> {
    return (await this.call<Account[]>('listAccounts', after, limit)).map((a) => reviveAccount(a)!);
  }
  addBan(ban: Ban): Promise<void> {
    return this.call('addBan', ban);
  }
  removeBan(kind: Ban['kind'], target: string, room: string | undefined, now: number): Promise<boolean> {
    return this.call('removeBan', kind, target, room, now);
  }
  findBan(query: BanQuery, now: number): Promise<Ban | undefined> {
    return this.call('findBan', query, now);
  }
  listBans(room: string | undefined, now: number, limit: number): Promise<Ban[]> {
    return this.call('listBans', room, now, limit);
  }
  addMute(mute: Mute, maxPerRoom: number): Promise<boolean> {
    return this.call('addMute', mute, maxPerRoom);
  }
  removeMute(room: string, name: string, now: number): Promise<boolean> {
    return this.call('removeMute', room, name, now);
  }
  renameMutes(from: string, to: string): Promise<void> {
    return this.call('renameMutes', from, to);
  }
  listMutes(now: number, limit: number): Promise<Mute[]> {
    return this.call('listMutes', now, limit);
  }
  setOperator(name: string, on: boolean): Promise<boolean> {
    return this.call('setOperator', name, on);
  }
  listOperators(): Promise<string[]> {
    return this.call('listOperators');
  }
  getFounder(room: string): Promise<string | undefined> {
    return this.call('getFounder', room);
  }
  claimFounder(room: string, account: string): Promise<boolean> {
    return this.call('claimFounder', room, account);
  }
  prune(olderThanMs: number, perRoomCap: number): Promise<PruneReport> {
    return this.call('prune', olderThanMs, perRoomCap);
  }

  /** Writes what is buffered, closes the store in the worker and waits for the thread to end. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.dead) {
      this.closing = this.exited;
      return this.closing;
    }
    const closed = this.request((id, b) => ({ t: 'close', id, ...b }));
    this.closing = closed.then(
      () => this.exited,
      () => this.exited,
    );
    return this.closing;
  }

  /** Test hook: end the worker as a crash would (the store must report it, not throw). */
  kill(): Promise<number> {
    return this.worker.terminate();
  }
}

/** The worker's side: open the store, then answer requests in order until `close`. */
function runWorker(setup: Setup): void {
  const port = parentPort!;
  let store: SqliteStore;
  try {
    store = openSqliteStore(setup.file, setup.options);
  } catch (err) {
    port.postMessage({ t: 'open-failed', error: toWire(err) } satisfies Reply);
    port.close();
    return;
  }
  port.postMessage({ t: 'ready', lastId: store.ids.last } satisfies Reply);
  const take = (b: Batch): void => {
    for (let at = 0; at < b.messages.length; at += FIELDS) store.append(decode(b.messages, at));
    for (const [room, topic] of b.topics) store.setTopic(room, topic);
  };
  // Requests arrive in order, and each settles before the next is taken (the store's promises
  // resolve at once), so a read sees every commit posted before it.
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (req: Request) => {
    chain = chain.then(async () => {
      take(req);
      try {
        if (req.t === 'commit') {
          const r = store.commit();
          const wire: WireReport = {
            written: r.written,
            pending: r.pending,
            dropped: r.dropped,
            ...(r.searchBehind !== undefined ? { searchBehind: r.searchBehind } : {}),
            ...(r.error ? { error: toWire(r.error) } : {}),
          };
          port.postMessage({ t: 'done', id: req.id, value: wire } satisfies Reply);
        } else if (req.t === 'call') {
          if (!(METHODS as readonly string[]).includes(req.method)) throw new StoreError('io', `no such store method: ${req.method}`);
          const fn = store[req.method] as (...args: unknown[]) => Promise<unknown>;
          const value = await fn.apply(store, req.args);
          port.postMessage({ t: 'done', id: req.id, value } satisfies Reply);
        } else {
          store.close();
          port.postMessage({ t: 'done', id: req.id, value: undefined } satisfies Reply);
          port.close();
        }
      } catch (err) {
        port.postMessage({ t: 'failed', id: req.id, error: toWire(err) } satisfies Reply);
      }
    });
  });
}

if (!isMainThread && (workerData as Setup | undefined)?.role === ROLE) runWorker(workerData as Setup);
