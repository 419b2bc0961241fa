/**
 * The PostgreSQL store against a real PostgreSQL that this file starts (test/helpers/postgres.ts):
 * the shared cases, then what only a networked, shared store has: two nodes on one database,
 * restarts, asynchronous commits, the database going away and coming back.
 */
import pgClient from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/server/store/memory.js';
import { PG_MIGRATIONS, openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../../src/server/store/postgres.js';
import { StoreError, type RoomMessage } from '../../src/server/store/store.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { HOSTILE_QUERIES, runStoreCases } from './store.cases.js';

let pg: TestPostgres;
let url: string;
beforeAll(async () => {
  pg = await startPostgres();
  url = await pg.createDatabase();
}, 120_000);
afterAll(async () => {
  await pg?.stop();
}, 60_000);

// Every store gets a schema of its own in the one database: as fresh as a new database, far cheaper.
let schemas = 0;
const freshSchema = (): string => `s${++schemas}`;

runStoreCases('postgres', { make: (options) => openPostgresStore(url, { schema: freshSchema(), ...options }) });

const opened: PostgresStore[] = [];
async function open(schema: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const store = await openPostgresStore(url, { schema, ...options });
  opened.push(store);
  return store;
}
afterAll(async () => {
  for (const s of opened) await s.close();
});

function say(store: PostgresStore, text: string, extra: Partial<RoomMessage> = {}): RoomMessage {
  const m: RoomMessage = { kind: 'room', id: store.ids.next(), ts: Date.now(), room: '#main', from: 'alice', text, ...extra };
  store.append(m);
  return m;
}

function increasing(ids: number[]): boolean {
  return ids.every((id, i) => i === 0 || id > ids[i - 1]!);
}

describe('postgres store on a real server', () => {
  it('commit returns a promise, and once it settles another node reads the data', async () => {
    const schema = freshSchema();
    const a = await open(schema);
    const b = await open(schema);
    const sent = [say(a, 'one'), say(a, 'two')];
    a.setTopic('#main', { text: 'shared topic', by: 'alice', ts: 7 });
    const pending = a.commit();
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toMatchObject({ written: 3, pending: 0, dropped: 0 });
    // b has nothing pending: what it reads is what a committed.
    expect((await b.latest('#main', 10)).messages).toEqual(sent);
    expect(await b.getTopic('#MAIN')).toEqual({ text: 'shared topic', by: 'alice', ts: 7 });
    expect((await b.search('two', { rooms: ['#main'], limit: 5 })).messages).toEqual([sent[1]]);
  });

  it('lets exactly one of two nodes register a name, or a look-alike of it, at the same moment', async () => {
    const schema = freshSchema();
    const a = await open(schema);
    const b = await open(schema);
    const hash = (tag: number) => ({
      algo: 'scrypt' as const,
      N: 1024,
      r: 8,
      p: 1,
      keylen: 4,
      salt: Buffer.from([tag]),
      hash: Buffer.from([tag, 1, 2, 3]),
    });
    for (let round = 0; round < 10; round++) {
      // Latin "alice<n>" on one node, the same with a Cyrillic "а" on the other: one account.
      const latin = `alice${round}`;
      const cyrillic = `\u0430lice${round}`;
      const won = await Promise.all([
        a.createAccount({ name: latin, password: hash(1), createdTs: 1 }),
        b.createAccount({ name: round % 2 === 0 ? latin : cyrillic, password: hash(2), createdTs: 2 }),
      ]);
      expect(won.filter(Boolean), `round ${round}`).toHaveLength(1);
      expect(await a.findAccount(cyrillic)).toBeDefined();
    }
    expect(await b.listAccounts(undefined, 100)).toHaveLength(10);
  });

  it('gives two nodes on one database ids unique across both and increasing on each', async () => {
    const schema = freshSchema();
    const a = await open(schema, { idBlock: 4 });
    const b = await open(schema, { idBlock: 4 });
    const fromA: number[] = [];
    const fromB: number[] = [];
    for (let round = 0; round < 30; round++) {
      // Three ids a turn, fewer than the spare block; the turn waits for the refills too (a commit
      // is one round trip, as is a refill: which lands first is not for this test to decide).
      for (let i = 0; i < 3; i++) fromA.push(say(a, `a${round}.${i}`).id);
      for (let i = 0; i < 3; i++) fromB.push(say(b, `b${round}.${i}`).id);
      await Promise.all([a.commit(), b.commit(), a.ids.idle(), b.ids.idle()]);
    }
    expect(increasing(fromA)).toBe(true);
    expect(increasing(fromB)).toBe(true);
    expect(new Set([...fromA, ...fromB]).size).toBe(fromA.length + fromB.length);
    // Both nodes' messages are one history, read from either node.
    const all = await a.after('#main', 0, 1000);
    expect(all.messages).toHaveLength(180);
    expect((await b.after('#main', 0, 1000)).messages).toEqual(all.messages);
  });

  it('numbers outage ids above the floor, the counter and the stored ids, unique across nodes at once', async () => {
    const schema = freshSchema();
    const a = await open(schema, { idBlock: 4 });
    const b = await open(schema, { idBlock: 4 });
    // A message stored under an id no block handed out (a Redis-numbered one) is never reused.
    a.append({ kind: 'room', id: 5_000, ts: Date.now(), room: '#main', from: 'alice', text: 'from the bus' });
    await a.commit();
    expect(await a.takeId(0)).toBe(5_001);
    expect(await b.takeId(9_000)).toBe(9_001);
    // Two nodes asking at once, many times: every id once, each node's in increasing order.
    const fromA: Promise<number>[] = [];
    const fromB: Promise<number>[] = [];
    for (let i = 0; i < 50; i++) {
      fromA.push(a.takeId(0));
      fromB.push(b.takeId(0));
    }
    const [ia, ib] = [await Promise.all(fromA), await Promise.all(fromB)];
    expect(new Set([...ia, ...ib]).size).toBe(100);
    expect(Math.min(...ia, ...ib)).toBe(9_002);
    expect(Math.max(...ia, ...ib)).toBe(9_101);
    // A reserve sets that many ids aside after the one returned: the next starts above them.
    const base = await a.takeId(0, 1_000);
    expect(base).toBe(9_102);
    expect(await b.takeId(0)).toBe(10_103);
    expect(await a.lastId()).toBe(10_103);
  });

  it('keeps ids increasing over a restart of the node and of the database server', async () => {
    const schema = freshSchema();
    let store = await openPostgresStore(url, { schema });
    const first = say(store, 'before restart');
    await store.commit();
    await store.close();
    store = await openPostgresStore(url, { schema });
    const second = say(store, 'after node restart');
    expect(second.id).toBeGreaterThan(first.id);
    await store.commit();
    await store.close();
    await pg.halt();
    await pg.resume();
    store = await open(schema);
    const third = say(store, 'after server restart');
    expect(third.id).toBeGreaterThan(second.id);
    await store.commit();
    expect((await store.latest('#main', 10)).messages.map((m) => m.text)).toEqual([
      'before restart',
      'after node restart',
      'after server restart',
    ]);
  }, 60_000);

  it('refills its id block ahead of time, and says so if a block runs out first', async () => {
    const store = await open(freshSchema(), { idBlock: 3 });
    // The current block and the spare: six ids at once, then none until the refill lands.
    const ids = Array.from({ length: 6 }, () => store.ids.next());
    expect(() => store.ids.next()).toThrow(StoreError);
    await store.ids.idle();
    ids.push(store.ids.next());
    for (let i = 0; i < 20; i++) {
      await store.ids.idle();
      ids.push(store.ids.next());
    }
    expect(increasing(ids)).toBe(true);
  });

  it('commits from two nodes to the same rooms at once without deadlock, counts kept', async () => {
    const schema = freshSchema();
    const a = await open(schema);
    const b = await open(schema);
    for (let round = 0; round < 20; round++) {
      for (const room of ['#x', '#y', '#z']) say(a, `a ${round}`, { room });
      for (const room of ['#z', '#y', '#x']) say(b, `b ${round}`, { room });
      const reports = await Promise.all([a.commit(), b.commit()]);
      for (const r of reports) expect(r.error).toBeUndefined();
    }
    for (const room of ['#x', '#y', '#z']) expect((await a.latest(room, 100)).messages).toHaveLength(40);
    // The per-room counts both nodes added to are exact: the cap keeps exactly 10 of each.
    for (let calls = 0; calls < 20 && (await b.prune(0, 10)).more; calls++);
    for (const room of ['#x', '#y', '#z']) expect((await a.latest(room, 100)).messages).toHaveLength(10);
  });

  it('locks the rooms a commit touches in key order, whatever the order of its messages', async () => {
    const schema = freshSchema();
    const store = await open(schema);
    say(store, 'first', { room: '#a' });
    say(store, 'first', { room: '#b' });
    await store.commit();
    // Another node's transaction holds #a. A commit touching #b then #a must wait at #a holding
    // nothing: had it locked #b first, the other node locking #b next would deadlock with it.
    const other = new pgClient.Client({ connectionString: url, options: `-c search_path=${schema}` });
    // pg_stat_activity is read once per transaction and then frozen until it ends, so it is
    // watched from a connection of its own, one transaction per look: polled from inside `other`'s
    // transaction, a first look taken before the commit reached its lock wait was all it ever saw.
    const watcher = new pgClient.Client({ connectionString: url });
    await other.connect();
    await watcher.connect();
    const lockWaits = async (): Promise<number> => {
      const r = await watcher.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO rooms%'`,
      );
      return (r.rows[0] as { n: number }).n;
    };
    try {
      await other.query('BEGIN');
      await other.query(`SELECT key FROM rooms WHERE key = '#a' FOR UPDATE`);
      // A look before the commit starts: nothing waits yet, and later looks must still see the wait.
      expect(await lockWaits()).toBe(0);
      say(store, 'second', { room: '#b' });
      say(store, 'second', { room: '#a' });
      let settled: unknown;
      const committing = store.commit();
      void committing.then((r) => (settled = r));
      let waiting = 0;
      // Bounded (50 s, inside the test's timeout): a loaded machine may take seconds to open the
      // pool's connection. A commit that settles without ever waiting is the failure to report.
      const deadline = Date.now() + 50_000;
      while (waiting === 0 && settled === undefined && Date.now() < deadline) {
        waiting = await lockWaits();
        if (waiting === 0) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(waiting, `the commit settled without waiting for #a: ${JSON.stringify(settled)}`).toBe(1);
      await expect(other.query(`SELECT key FROM rooms WHERE key = '#b' FOR UPDATE NOWAIT`)).resolves.toMatchObject({ rowCount: 1 });
      await other.query('COMMIT');
      expect(await committing).toMatchObject({ written: 2, pending: 0 });
      expect((await store.latest('#b', 10)).messages.map((m) => m.text)).toEqual(['first', 'second']);
    } finally {
      await other.end();
      await watcher.end();
    }
  }, 60_000);

  it('keeps the batch while the database is down and writes it when it is back', async () => {
    let clock = 1_000_000;
    const store = await open(freshSchema(), { retryMs: 1000, now: () => clock, maxPending: 5 });
    say(store, 'before');
    await store.commit();
    await pg.halt();
    try {
      for (let i = 0; i < 3; i++) say(store, `while down ${i}`);
      const failed = await store.commit();
      expect(failed).toMatchObject({ written: 0, pending: 3 });
      expect(failed.error).toBeInstanceOf(StoreError);
      expect(failed.error!.message).toMatch(/^postgres:\/\/127\.0\.0\.1:\d+\/\w+ \(schema s\d+\): cannot reach the database/);
      expect(failed.error!.message).not.toContain('\n');
      for (let i = 3; i < 6; i++) say(store, `while down ${i}`);
      // Within retryMs: no attempt, the bound holds.
      expect(await store.commit()).toMatchObject({ written: 0, pending: 5, dropped: 1 });
    } finally {
      await pg.resume();
    }
    clock += 1000;
    expect(await store.commit()).toMatchObject({ written: 5, pending: 0 });
    expect((await store.latest('#main', 10)).messages.map((m) => m.text)).toEqual([
      'before',
      ...Array.from({ length: 5 }, (_, i) => `while down ${i + 1}`),
    ]);
  }, 60_000);

  it('refuses a database from a newer version, naming both versions', async () => {
    const schema = freshSchema();
    const future = await openPostgresStore(url, {
      schema,
      migrations: [...PG_MIGRATIONS, { version: 99, name: 'from the future', async up() {} }],
    });
    await future.close();
    const err = await openPostgresStore(url, { schema }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('too_new');
    const ours = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;
    expect((err as StoreError).message).toMatch(new RegExp(`schema version 99 is newer than this server's ${ours}\\b`));
  });

  it('gives one clear line without the password when the database cannot be reached', async () => {
    const err = await openPostgresStore(`postgres://alice:secret-pw@127.0.0.1:1/framechat`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(/^postgres:\/\/127\.0\.0\.1:1\/framechat: cannot reach the database/);
    expect((err as StoreError).message).not.toContain('secret-pw');
    expect((err as StoreError).message).not.toContain('\n');
  });

  it('finds what the memory store (the FTS5 word model) finds, in many scripts', async () => {
    const corpus = [
      'ΣΊΣΥΦΟΣ and σίσυφος',
      'straße Strasse naïve NAÏVE',
      '한국어 문장 입니다',
      'ภาษาไทย ง่าย',
      'x1y2 3.14 e-mail foo@bar.com http://example.com/a/b',
      'ﬁne ＡＢＣ ｶﾀｶﾅ',
      '😀 smile ☃ snow',
      'مرحبا بالعالم',
      'שָׁלוֹם עולם',
      'हिन्दी भाषा',
      'Ǆemal ǅungla',
      'tab\tand\nnewline',
      "o'clock it's",
    ];
    const queries = [
      ...new Set(corpus.flatMap((t) => t.split(/\s+/u))),
      'σίσυφος',
      'ΣΙΣΥΦΟΣ',
      'fine',
      'abc',
      'カタカナ',
      'foo',
      'com',
      'example',
      '14',
      'mail',
      'שלום',
      'naive strasse',
      'o',
      'clock',
      'dzemal',
      'ǆungla',
    ];
    const store = await open(freshSchema());
    const memory = new MemoryStore();
    for (const text of corpus) {
      const m = say(store, text);
      memory.append({ ...m });
    }
    await store.commit();
    let found = 0;
    for (const q of queries) {
      const scope = { rooms: ['#main'], limit: 100 };
      const want = (await memory.search(q, scope)).messages.map((m) => m.text);
      expect(
        (await store.search(q, scope)).messages.map((m) => m.text),
        q,
      ).toEqual(want);
      found += want.length;
    }
    expect(found).toBeGreaterThan(queries.length / 2);
  });

  it('returns from every hostile search without a tsquery syntax error', async () => {
    const store = await open(freshSchema());
    say(store, `NEAR("x" "y") * AND " it's a:b & c | !d <-> e`);
    await store.commit();
    for (const q of [...HOSTILE_QUERIES, 'NEAR("x" "y")', "it's", 'a:b', '&', '|', '!d', '<->', 'e:*', "'", "''", '\u0000', 'a\\b']) {
      await expect(store.search(q, { rooms: ['#main'], limit: 5 }), q).resolves.toMatchObject({ more: false });
    }
    expect((await store.search('NEAR("x"', { rooms: ['#main'], limit: 5 })).messages).toHaveLength(1);
    expect((await store.search("it's", { rooms: ['#main'], limit: 5 })).messages).toHaveLength(1);
    expect((await store.search('!d', { rooms: ['#main'], limit: 5 })).messages).toHaveLength(1);
  });
});
