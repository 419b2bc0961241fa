/**
 * PostgreSQL unreachable under a running cluster node: live chat goes on, everyone is told that
 * history is not being saved, and once the database is back the queued messages are written and
 * everyone is told so.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { RawClient } from '../helpers/raw.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startServerBinary } from '../helpers/server-binary.js';

let postgres: TestPostgres;
let redis: TestRedis;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()]);
});

it('goes on chatting while PostgreSQL is down and saves the queued messages once it is back', async () => {
  const database = await postgres.createDatabase();
  const a = await startServerBinary(['--redis', redis.url, '--database', database, '--node-id', 'a']);
  const alice = await RawClient.login(a.port, 'alice');
  const bob = await RawClient.login(a.port, 'bob');
  try {
    await alice.next('joined', (m) => m.name === 'bob');
    await postgres.halt();
    alice.send({ type: 'say', text: 'while down' });
    expect(await bob.next('message', () => true, 15_000)).toMatchObject({ text: 'while down' });
    expect((await bob.next('notice', () => true, 15_000)).text).toMatch(/History is not being saved/);
    alice.send({ type: 'say', text: 'still chatting' });
    expect(await bob.next('message')).toMatchObject({ text: 'still chatting' });

    await postgres.resume();
    // Commits are retried on later turns (at most once a second): keep talking until one writes.
    let saved: Record<string, unknown> | undefined;
    for (let i = 0; i < 30 && saved === undefined; i++) {
      alice.send({ type: 'say', text: `back ${i}` });
      saved = await bob.next('notice', (m) => /saved again/.test(String(m.text)), 1000).catch(() => undefined);
    }
    expect(saved).toBeDefined();
    const db = new pg.Client({ connectionString: database });
    await db.connect();
    try {
      const texts = ((await db.query('SELECT text FROM messages ORDER BY id')).rows as { text: string }[]).map((r) => r.text);
      expect(texts.slice(0, 2)).toEqual(['while down', 'still chatting']);
    } finally {
      await db.end();
    }
  } finally {
    alice.close();
    bob.close();
  }
}, 90_000);
