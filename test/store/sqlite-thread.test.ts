import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateFile, MIGRATIONS } from '../../src/server/store/sqlite.js';
import { openThreadedSqliteStore } from '../../src/server/store/sqlite-thread.js';
import { StoreError, type RoomMessage, type Store } from '../../src/server/store/store.js';
import { RawClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';
import { runStoreCases } from './store.cases.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-thread-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = (): string => path.join(dir, `db-${++n}.sqlite`);

runStoreCases('sqlite on a thread', {
  make: (options) => openThreadedSqliteStore(freshFile(), { pruneBudgetMs: Number.POSITIVE_INFINITY, ...options }),
});

function say(store: Store, text: string): RoomMessage {
  const m: RoomMessage = { kind: 'room', id: store.ids.next(), ts: Date.now(), room: '#main', from: 'alice', text };
  store.append(m);
  return m;
}

describe('sqlite store on a thread', () => {
  it('keeps history across a reopen, and ids keep increasing from the largest stored', async () => {
    const file = freshFile();
    let store = await openThreadedSqliteStore(file);
    const sent = [say(store, 'one'), say(store, 'two')];
    expect((await store.commit()).written).toBe(2);
    say(store, 'three'); // buffered only: close() writes it
    await store.close();
    store = await openThreadedSqliteStore(file);
    expect((await store.latest('#main', 10)).messages.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    expect(store.ids.next()).toBe(sent[1]!.id + 2);
    await store.close();
  });

  it('fails at open with the same StoreError as the in-loop store', async () => {
    const file = freshFile();
    migrateFile(file, [...MIGRATIONS, { version: 999, name: 'future', up: () => {} }]);
    const err = await openThreadedSqliteStore(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('too_new');
    const corrupt = freshFile();
    fs.writeFileSync(corrupt, 'this is not a database, not at all, not even close'.repeat(100));
    expect(((await openThreadedSqliteStore(corrupt).catch((e: unknown) => e)) as StoreError).code).toBe('corrupt');
  });

  it('refuses a second store on the same file (the server lock is held by the thread)', async () => {
    const file = freshFile();
    const first = await openThreadedSqliteStore(file);
    const err = (await openThreadedSqliteStore(file).catch((e: unknown) => e)) as StoreError;
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toMatch(/in use by another process/);
    await first.close();
    await (await openThreadedSqliteStore(file)).close();
  });

  it('reports the death of its thread: pending and later requests fail, commits report the error', async () => {
    const store = await openThreadedSqliteStore(freshFile());
    say(store, 'before');
    // Asked once the thread is being stopped (terminate() stops its JavaScript at once), so it is
    // still pending when the thread is gone, whatever the scheduling.
    const killed = store.kill();
    const pending = store.latest('#main', 10);
    await killed;
    await expect(pending).rejects.toBeInstanceOf(StoreError);
    expect(store.error?.message).toMatch(/thread/);
    await expect(store.latest('#main', 10)).rejects.toBeInstanceOf(StoreError);
    say(store, 'after');
    const report = await store.commit();
    expect(report.error).toBeInstanceOf(StoreError);
    expect(report.written).toBe(0);
    expect(report.pending).toBeGreaterThan(0);
    await store.close();
  });
});

describe('a server on the threaded store', () => {
  it('goes on chatting when the store thread dies, tells users history is not saved, and logs it', async () => {
    const store = await openThreadedSqliteStore(freshFile());
    const { port, logs } = await startServer({}, { store });
    const alice = await RawClient.login(port, 'alice');
    const bob = await RawClient.login(port, 'bob');
    alice.send({ type: 'say', text: 'saved' });
    await bob.next('message', (m) => m['text'] === 'saved');
    expect((await store.latest('#main', 10)).messages.map((m) => m.text)).toContain('saved');

    await store.kill();
    alice.send({ type: 'say', text: 'live after the death' });
    await bob.next('message', (m) => m['text'] === 'live after the death');
    await bob.next('notice', (m) => /not being saved/.test(m['text'] as string));
    expect(logs.some((l) => l.includes('store_write_failed'))).toBe(true);
    // A read that needs the store fails as a store error, and the server still answers.
    bob.send({ type: 'history', room: '#main', label: 'h' });
    expect(await bob.next(undefined, (m) => m['label'] === 'h')).toMatchObject({ type: 'error' });
    alice.send({ type: 'say', text: 'still live' });
    await bob.next('message', (m) => m['text'] === 'still live');
  });
});
