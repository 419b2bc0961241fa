import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrateFile, openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite.js';
import { StoreError, type RoomMessage } from '../../src/server/store/store.js';
import { HOSTILE_QUERIES, runStoreCases } from './store.cases.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-store-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = (): string => path.join(dir, `db-${++n}.sqlite`);

// The shared cases count rows per prune call; the time budget is tested below with a clock.
// Batch sizes that do not depend on the machine's speed: prune's and the search index's steps at their largest.
const UNTIMED = { pruneBudgetMs: Number.POSITIVE_INFINITY, index: { delayMs: 0, budgetMs: Number.POSITIVE_INFINITY } };
/** Rounds of 1 000 messages in the bounded-file case: enough for the search index's merges to settle. */
const ROUNDS = 160;

runStoreCases('sqlite', { make: (options) => openSqliteStore(freshFile(), { ...UNTIMED, ...options }) });

function say(store: SqliteStore, text: string, extra: Partial<RoomMessage> = {}): RoomMessage {
  const m: RoomMessage = { kind: 'room', id: store.ids.next(), ts: Date.now(), room: '#main', from: 'alice', text, ...extra };
  store.append(m);
  return m;
}

function openError(file: string): StoreError {
  try {
    openSqliteStore(file).close();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error(`opening ${file} did not fail`);
}

describe('sqlite store on a real file', () => {
  it('keeps history and topics across a reopen, and ids keep increasing', async () => {
    const file = freshFile();
    let store = openSqliteStore(file);
    const sent = [say(store, 'one'), say(store, 'two')];
    store.setTopic('#main', { text: 'persisted topic', by: 'alice', ts: 42 });
    store.commit();
    store.close();
    store = openSqliteStore(file);
    expect((await store.latest('#main', 10)).messages).toEqual(sent);
    expect(await store.getTopic('#main')).toEqual({ text: 'persisted topic', by: 'alice', ts: 42 });
    expect(store.ids.next()).toBeGreaterThan(sent[1]!.id);
    store.close();
  });

  it('keeps ids increasing after retention emptied the table', async () => {
    const file = freshFile();
    let store = openSqliteStore(file, UNTIMED);
    for (let i = 0; i < 5; i++) say(store, `m${i}`, { ts: 1 });
    store.commit();
    const highest = store.ids.next();
    expect((await store.prune(Date.now(), 0)).removed).toBeGreaterThanOrEqual(5);
    store.close();
    store = openSqliteStore(file);
    expect((await store.latest('#main', 10)).messages).toEqual([]);
    expect(store.ids.next()).toBeGreaterThanOrEqual(highest);
    store.close();
  });

  /** Runs kill-writer.ts on `file` (extra arguments after it) and SIGKILLs it after 200 commits; the ids it committed. */
  async function killWriter(file: string, ...args: string[]): Promise<number[]> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'kill-writer.ts'), file, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const committed: number[] = [];
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited ${code}`))));
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) committed.push(Number(/^committed (\d+)$/.exec(line)![1]));
        if (committed.length >= 200 && !child.killed) child.kill('SIGKILL');
      });
    });
    expect(committed.length).toBeGreaterThanOrEqual(200);
    return committed;
  }

  it('loses nothing committed when the process is killed with SIGKILL', async () => {
    const file = freshFile();
    const committed = await killWriter(file);
    const store = openSqliteStore(file);
    const last = committed[committed.length - 1]!;
    const after = await store.after('#main', 0, 1000);
    const ids = new Set(after.messages.map((m) => m.id));
    let page = after;
    while (page.more) {
      page = await store.after('#main', page.messages[page.messages.length - 1]!.id, 1000);
      for (const m of page.messages) ids.add(m.id);
    }
    for (const k of committed) expect(ids.has(k), `message ${k}`).toBe(true);
    expect(ids.size).toBeGreaterThanOrEqual(last);
    expect(store.ids.next()).toBeGreaterThan(last);
    store.close();
  });

  it('migrates an older database and indexes its messages for search', async () => {
    const file = freshFile();
    expect(migrateFile(file, MIGRATIONS.slice(0, 1))).toBe(1);
    // A row as version 1 wrote it (the fixture is the old schema, so it is written by hand).
    const raw = new Database(file);
    raw.prepare(`INSERT INTO rooms (id, key, name, messages) VALUES (1, '#main', '#main', 1)`).run();
    raw
      .prepare(`INSERT INTO messages (id, ts, room_id, from_name, from_key, text) VALUES (7, 1, 1, 'Old', 'old', 'written before search')`)
      .run();
    raw.close();
    const store = openSqliteStore(file);
    expect(store.version).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
    expect((await store.latest('#main', 5)).messages.map((m) => m.text)).toEqual(['written before search']);
    expect((await store.search('search', { rooms: ['#main'], limit: 5 })).messages.map((m) => m.id)).toEqual([7]);
    expect(store.ids.next()).toBe(8);
    store.close();
  });

  it('moves a version 5 search index to deletes by value; pruned messages leave search, the index stays whole', async () => {
    const file = freshFile();
    expect(migrateFile(file, MIGRATIONS.slice(0, 5))).toBe(5);
    // Rows as version 5 held them, without their search entries: version 6 indexes again from `messages`.
    const raw = new Database(file);
    raw.prepare(`INSERT INTO rooms (id, key, name, messages) VALUES (1, '#main', '#main', 300)`).run();
    const row = raw.prepare(`INSERT INTO messages (id, ts, room_id, from_name, from_key, text) VALUES (?, ?, 1, 'alice', 'alice', ?)`);
    for (let id = 1; id <= 300; id++) row.run(id, id, id % 2 === 0 ? `你好 café number ${id}` : `plain words ${id}`);
    raw.close();

    const store = openSqliteStore(file, UNTIMED);
    expect(store.version).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
    const found = async (query: string): Promise<number> =>
      (await store.search(query, { rooms: ['#main'], limit: 100 })).messages.filter((m) => m.id <= 300).length;
    expect(await found('你好')).toBe(100); // the newest 100 of 150
    expect(await found('cafe')).toBe(100);
    // Keep 40: 260 go, in bounded calls, while new lines come in between.
    for (let calls = 0; calls < 500; calls++) {
      say(store, `new line ${calls} 你好`);
      store.commit();
      if ((await store.prune(0, 40 + calls + 1)).removed === 0) break;
    }
    const left = (await store.latest('#main', 200)).messages.filter((m) => m.id <= 300).map((m) => m.id);
    expect(left.length).toBeLessThan(300);
    expect(left.length).toBeGreaterThan(0);
    const hits = (await store.search('number', { rooms: ['#main'], limit: 100 })).messages.map((m) => m.id);
    expect(hits.sort((a, b) => a - b)).toEqual(left.filter((id) => id % 2 === 0));
    store.close();

    const check = new Database(file);
    expect(check.prepare(`SELECT sql FROM sqlite_master WHERE name = 'messages_search'`).pluck().get()).not.toMatch(/contentless_delete/);
    // FTS5's own check of its index: throws on a damaged one (a delete of values it never held).
    check.exec(`INSERT INTO messages_search (messages_search) VALUES ('integrity-check')`);
    check.close();
  });

  it('refuses a database from a newer version, naming both versions', () => {
    const file = freshFile();
    migrateFile(file, [...MIGRATIONS, { version: 99, name: 'from the future', up() {} }]);
    const err = openError(file);
    expect(err.code).toBe('too_new');
    expect(err.message).toContain(file);
    expect(err.message).toMatch(new RegExp(`schema version 99 is newer than this server's ${MIGRATIONS.length}\\b`));
    expect(err.message).not.toContain('\n');
  });

  it('gives one clear line for a corrupt file', () => {
    const file = freshFile();
    fs.writeFileSync(file, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 251)));
    const err = openError(file);
    expect(err.code).toBe('corrupt');
    expect(err.message).toMatch(/not a framechat database, or corrupt/);
    expect(err.message).toContain(file);
    expect(err.message).not.toContain('\n');
  });

  it('gives one clear line for a path it cannot open or write', () => {
    const inMissingDir = path.join(dir, 'no-such-dir', 'db.sqlite');
    expect(openError(inMissingDir)).toMatchObject({ code: 'unwritable' });
    const aDirectory = fs.mkdtempSync(path.join(dir, 'a-directory-'));
    const err = openError(aDirectory);
    expect(err.code).toBe('unwritable');
    expect(err.message).not.toContain('\n');
  });

  it('refuses a second store on the same file while the first is open', () => {
    const file = freshFile();
    const first = openSqliteStore(file);
    const err = openError(file);
    expect(err.code).toBe('unwritable');
    expect(err.message).toMatch(/in use by another process/);
    first.close();
    openSqliteStore(file).close();
  });

  it('keeps the batch when the disk is full and writes it once space returns', async () => {
    const file = freshFile();
    let clock = 1_000_000;
    const store = openSqliteStore(file, { maxBytes: 256 * 1024, retryMs: 1000, now: () => clock, maxPending: 150 });
    const filler = 'x'.repeat(1000);
    let report = store.commit();
    let committed = 0;
    for (let turn = 0; turn < 1000 && !report.error; turn++) {
      for (let i = 0; i < 10; i++) say(store, `${filler} ${turn}`, { ts: 1 });
      report = store.commit();
      if (!report.error) committed += report.written;
    }
    expect(report.error).toMatchObject({ code: 'disk_full' });
    expect(report.error!.message).toMatch(/disk full/);
    expect(report.pending).toBe(10);
    // While full: appends go on, nothing is retried before retryMs, the pending bound holds.
    for (let i = 0; i < 200; i++) say(store, `while full ${i}`, { ts: Date.now() });
    report = store.commit();
    expect(report).toMatchObject({ written: 0, pending: 150, dropped: 60 });
    expect(report.error).toBeUndefined();
    // Reads go on with what is on disk.
    expect((await store.latest('#main', 1)).messages[0]!.text).toMatch(/^x+ \d+$/);
    // Retention frees pages; the next attempt after retryMs writes what was kept.
    let freed = 0;
    // Every filler line is older than the cutoff: prune until it says there is no more (bounded).
    for (let i = 0; i < 1000; i++) {
      const r = await store.prune(2, 0);
      freed += r.removed;
      if (!r.more) break;
    }
    expect(freed).toBeGreaterThanOrEqual(committed); // and the room row, emptied
    clock += 1000;
    report = store.commit();
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ written: 150, pending: 0 });
    const page = await store.latest('#main', 200);
    expect(page.messages.map((m) => m.text)).toEqual(Array.from({ length: 150 }, (_, i) => `while full ${i + 50}`));
    expect(committed).toBeGreaterThan(50);
    store.close();
  });

  describe('the search index in steps', () => {
    /** What a second connection sees: the index's mark, the rows stored and the entries indexed. */
    function indexState(file: string): { upto: number; rows: number; entries: number } {
      const raw = new Database(file, { readonly: true });
      try {
        return {
          upto: raw.prepare(`SELECT value FROM meta WHERE key = 'search_upto'`).pluck().get() as number,
          rows: raw.prepare('SELECT COUNT(*) FROM messages').pluck().get() as number,
          entries: raw.prepare('SELECT COUNT(*) FROM messages_search_docsize').pluck().get() as number,
        };
      } finally {
        raw.close();
      }
    }

    function integrityCheck(file: string): void {
      const raw = new Database(file);
      // FTS5's own check of its index: throws on a damaged one (a delete of values it never held).
      raw.exec(`INSERT INTO messages_search (messages_search) VALUES ('integrity-check')`);
      raw.close();
    }

    it('commits the rows in the turn and indexes them in steps after it, merges included', async () => {
      const file = freshFile();
      const steps: { kind: string; amount: number }[] = [];
      const store = openSqliteStore(file, {
        index: { delayMs: 0, maxRows: 32, onStep: (kind, _ms, amount) => steps.push({ kind, amount }) },
      });
      for (let turn = 0; turn < 40; turn++) {
        for (let i = 0; i < 10; i++) say(store, `turn ${turn} line ${i} 你好`);
        store.commit();
      }
      // Committed and readable at once; not one entry indexed in the commits.
      expect(indexState(file)).toEqual({ upto: 0, rows: 400, entries: 0 });
      expect(steps).toEqual([]);
      await store.searchSettled();
      expect(indexState(file)).toEqual({ upto: 400, rows: 400, entries: 400 });
      const indexed = steps.filter((s) => s.kind === 'index');
      expect(indexed.reduce((sum, s) => sum + s.amount, 0)).toBe(400);
      expect(Math.max(...indexed.map((s) => s.amount))).toBeLessThanOrEqual(32);
      // The merges came after the indexing, and the last one found nothing left to do.
      const firstMerge = steps.findIndex((s) => s.kind === 'merge');
      expect(firstMerge).toBeGreaterThan(0);
      expect(steps.slice(firstMerge).every((s) => s.kind === 'merge')).toBe(true);
      expect(steps.filter((s) => s.kind === 'merge' && s.amount > 0).length).toBeGreaterThan(0);
      expect(steps[steps.length - 1]).toEqual({ kind: 'merge', amount: 0 });
      expect((await store.search('你好', { rooms: ['#main'], limit: 100 })).messages).toHaveLength(100);
      store.close();
      integrityCheck(file);
    });

    it('finds what was said just before a search, however long the index waits', async () => {
      const file = freshFile();
      const store = openSqliteStore(file, { index: { delayMs: 60_000 } });
      say(store, 'older words');
      store.commit();
      const fresh = say(store, 'fresh 新鲜 words');
      expect((await store.search('新鲜', { rooms: ['#main'], limit: 5 })).messages).toEqual([fresh]);
      expect(indexState(file)).toMatchObject({ upto: fresh.id, entries: 2 });
      store.close();
    });

    it('indexes a row appended behind the mark in its own commit', async () => {
      const file = freshFile();
      const store = openSqliteStore(file, { index: { delayMs: 60_000 } });
      const base = store.ids.next();
      store.append({ kind: 'room', id: base + 10, ts: 1, room: '#main', from: 'alice', text: 'ahead' });
      store.commit();
      await store.search('ahead', { rooms: ['#main'], limit: 5 });
      expect(indexState(file).upto).toBe(base + 10);
      // An id below the mark (a late append): the step would never reach it, so the commit indexes it.
      store.append({ kind: 'room', id: base + 5, ts: 1, room: '#main', from: 'alice', text: 'behind' });
      store.commit();
      expect(indexState(file)).toMatchObject({ upto: base + 10, rows: 2, entries: 2 });
      expect((await store.search('behind', { rooms: ['#main'], limit: 5 })).messages.map((m) => m.id)).toEqual([base + 5]);
      store.close();
      integrityCheck(file);
    });

    it('prunes rows the index has not reached yet without touching the index', async () => {
      const file = freshFile();
      const store = openSqliteStore(file, { ...UNTIMED, index: { delayMs: 60_000 } });
      for (let i = 0; i < 300; i++) say(store, `line ${i} common`);
      store.commit();
      // The cap takes 200 rows that have no entry; deleting entries for them would damage the index.
      let removed = 0;
      for (let calls = 0; calls < 100; calls++) {
        const r = await store.prune(0, 100);
        removed += r.removed;
        if (!r.more) break;
      }
      expect(removed).toBe(200);
      const hits = (await store.search('common', { rooms: ['#main'], limit: 100 })).messages.map((m) => m.text);
      expect(hits).toEqual(Array.from({ length: 100 }, (_, i) => `line ${299 - i} common`));
      expect(indexState(file)).toMatchObject({ rows: 100, entries: 100 });
      store.close();
      integrityCheck(file);
    });

    it('reads the rows back from the file when more wait than it keeps in memory, then queues again', async () => {
      const file = freshFile();
      const store = openSqliteStore(file, { index: { delayMs: 0 } });
      // One commit of more entries than the queue holds (20 000): the steps read these from the file.
      for (let i = 0; i < 21_000; i++) say(store, `bulk ${i} 批量`, { room: `#r${i % 7}` });
      store.commit();
      expect(store.searchBehind()).toBe(21_000);
      await store.searchSettled();
      expect(indexState(file)).toEqual({ upto: 21_000, rows: 21_000, entries: 21_000 });
      // Caught up, the next commits' entries are queued, and pruned ones never reach the index.
      for (let i = 0; i < 50; i++) say(store, `queued ${i} 批量`, { room: '#late' });
      store.commit();
      expect(store.searchBehind()).toBe(50);
      // A cap of 10 a room: 40 of the queued rows go before any step ran, and 20 930 indexed ones.
      for (let calls = 0; calls < 10_000; calls++) if (!(await store.prune(0, 10)).more) break;
      expect(store.searchBehind()).toBe(50);
      await store.searchSettled();
      expect(indexState(file)).toEqual({ upto: 21_050, rows: 80, entries: 80 });
      const hits = (await store.search('queued', { rooms: ['#late'], limit: 100 })).messages.map((m) => m.text);
      expect(hits).toEqual(Array.from({ length: 10 }, (_, i) => `queued ${49 - i} 批量`));
      store.close();
      integrityCheck(file);
    });

    it('indexes at the next start what a SIGKILL left unindexed', async () => {
      const file = freshFile();
      // The writer's index waits a minute, so the kill finds every committed row unindexed.
      const committed = await killWriter(file, '60000');
      const before = indexState(file);
      expect(before.upto).toBe(0);
      expect(before.entries).toBe(0);
      expect(before.rows).toBeGreaterThanOrEqual(committed.length);
      const store = openSqliteStore(file, { index: { delayMs: 0 } });
      await store.searchSettled();
      expect(indexState(file)).toEqual({ upto: Math.max(...committed, before.rows), rows: before.rows, entries: before.rows });
      const last = committed[committed.length - 1]!;
      expect((await store.search(`${last}`, { rooms: ['#main'], limit: 5 })).messages.map((m) => m.id)).toEqual([last]);
      store.close();
      integrityCheck(file);
    });
  });

  describe('retention cost', () => {
    async function pruneAll(store: SqliteStore, olderThan: number, cap: number): Promise<number[]> {
      const removed: number[] = [];
      for (let calls = 0; calls < 10_000; calls++) {
        const r = await store.prune(olderThan, cap);
        removed.push(r.removed);
        if (!r.more) return removed;
      }
      throw new Error('prune never finished');
    }

    it('sizes each batch by the time the last call took, within pruneBatch rows', async () => {
      // Each read of the clock moves it by `cost`: a call reads it at its start and its end.
      let t = 0;
      let cost = 0;
      const store = openSqliteStore(freshFile(), { pruneBatch: 50, pruneBudgetMs: 5, clock: () => (t += cost) });
      for (let i = 0; i < 400; i++) say(store, `old ${i}`, { ts: 100 });
      for (let i = 0; i < 3; i++) say(store, `new ${i}`, { ts: 10_000 });
      store.commit();
      const removed: number[] = [];
      // Fast calls: the batch doubles from 16 up to pruneBatch, and no further.
      for (let i = 0; i < 5; i++) removed.push((await store.prune(1000, 0)).removed);
      expect(removed).toEqual([16, 32, 50, 50, 50]);
      // Calls over the budget: it halves down to one row, and one row a call still makes progress.
      cost = 10;
      removed.length = 0;
      for (let i = 0; i < 7; i++) removed.push((await store.prune(1000, 0)).removed);
      expect(removed).toEqual([50, 25, 12, 6, 3, 1, 1]);
      cost = 0;
      const rest = await pruneAll(store, 1000, 0);
      expect(198 + 98 + rest.reduce((a, b) => a + b, 0)).toBe(400);
      expect(rest.every((n) => n <= 50)).toBe(true);
      expect((await store.latest('#main', 10)).messages.map((m) => m.text)).toEqual(['new 0', 'new 1', 'new 2']);
      expect((await store.search('old', { rooms: ['#main'], limit: 10 })).messages).toEqual([]);
      store.close();
    });

    it('applies the adaptation to the per-room cap too, and always makes progress', async () => {
      let t = 0;
      // Every call is over its budget: the batch halves to one row a call and stays there.
      const store = openSqliteStore(freshFile(), { pruneBudgetMs: 1, clock: () => (t += 1000) });
      for (let i = 0; i < 60; i++) say(store, `b${i}`, { room: '#big' });
      for (let i = 0; i < 3; i++) say(store, `s${i}`, { room: '#small' });
      store.commit();
      const removed = await pruneAll(store, 0, 10);
      // The last call finds nothing left (the one before it was full, so it said more).
      expect(removed).toEqual([16, 8, 4, 2, 1, ...Array.from({ length: 19 }, () => 1), 0]);
      expect((await store.latest('#big', 100)).messages.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `b${i + 50}`));
      expect((await store.latest('#small', 100)).messages).toHaveLength(3);
      store.close();
    });

    it('keeps the file bounded over many rounds of writing and pruning with a cap', async () => {
      const file = freshFile();
      const store = openSqliteStore(file, UNTIMED);
      const filler = 'lorem ipsum dolor sit amet consectetur'.split(' ');
      const rounds: { pages: number; freePages: number; walBytes: number }[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < 1000; i++) {
          const words = Array.from({ length: 8 }, (_, k) => filler[(i * 7 + k * 3 + round) % filler.length]!);
          say(store, `${words.join(' ')} w${round}x${i}`, { room: `#r${i % 5}` });
        }
        store.commit();
        // The search index is written and merged in steps after the commit, as in a server.
        await store.searchSettled();
        await pruneAll(store, 0, 300);
        await store.searchSettled();
        const { pages, freePages } = store.space();
        rounds.push({ pages, freePages, walBytes: fs.statSync(`${file}-wal`).size });
      }
      for (let r = 0; r < 5; r++) expect((await store.latest(`#r${r}`, 1000)).messages).toHaveLength(300);
      // The first half grows the file to its working size; the second reuses the pages pruning
      // frees. The search index is the slowest to settle: a deleted entry is dropped when a merge
      // step reaches the segment that holds it (measured with the steps of schema 7, usermerge 8:
      // 257 pages at round 30, 267 at 50, 275 at 150 to 160; 276 with FTS5's automerge in the
      // commits; with the deletes skipped, 929 at round 80 and 1 522 at 160, which fails here).
      // Kept unpruned, the 160 000 messages would take some fifty times the pages.
      const half = ROUNDS / 2;
      const early = Math.max(...rounds.slice(0, half).map((r) => r.pages));
      const late = Math.max(...rounds.slice(half).map((r) => r.pages));
      expect(late).toBeLessThanOrEqual(Math.ceil(early * 1.1));
      expect(Math.min(...rounds.slice(half).map((r) => r.freePages))).toBeGreaterThan(0);
      // The WAL is reused from its start after each checkpoint, so it stops growing as well.
      const walEarly = Math.max(...rounds.slice(0, half).map((r) => r.walBytes));
      expect(Math.max(...rounds.slice(half).map((r) => r.walBytes))).toBeLessThanOrEqual(walEarly * 1.1);
      store.close();
    });
  });

  it('returns from every hostile search without an FTS5 syntax error', async () => {
    const store = openSqliteStore(freshFile());
    say(store, 'NEAR("x" "y") * AND "');
    store.commit();
    for (const q of [...HOSTILE_QUERIES, 'NEAR("x" "y")', '"x" OR "y"', 'x:y', 'rowid:1', '\u0000']) {
      await expect(store.search(q, { rooms: ['#main'], limit: 5 })).resolves.toMatchObject({ more: false });
    }
    expect((await store.search('NEAR("x"', { rooms: ['#main'], limit: 5 })).messages).toHaveLength(1);
    store.close();
  });
});
