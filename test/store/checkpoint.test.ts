/**
 * The checkpoint worker (store/checkpoint.ts) on a real file: with SQLite's automatic checkpoint
 * off on the writer's connection, the WAL stays bounded under writes that never pause, and the
 * worker ends with the store.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-checkpoint-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = (): string => path.join(dir, `db-${++n}.sqlite`);

const TEXT = 'sustained writes keep the write ahead log busy '.repeat(4);

/** One turn: `batch` messages and a commit, as the server does before a flush. */
function turn(store: SqliteStore, batch: number): void {
  for (let i = 0; i < batch; i++) {
    store.append({ kind: 'room', id: store.ids.next(), ts: Date.now(), room: `#r${i % 7}`, from: 'w', text: TEXT });
  }
  store.commit();
}

describe('the checkpoint worker', () => {
  it('keeps the WAL bounded under writes that never pause, with no checkpoint in a commit', async () => {
    const file = freshFile();
    const truncatePages = 128;
    const store = openSqliteStore(file, { checkpoint: 'worker', checkpointOptions: { intervalMs: 5, truncatePages } });
    let written = 0;
    const walSizes: number[] = [];
    // Write 4 000 turns, one commit per turn with no idle time between, and on until the worker has
    // truncated the WAL once (bounded: a worker that never does fails at the turn limit).
    for (let t = 0; t < 20_000 && (t < 4000 || store.checkpointer!.truncates < 1); t++) {
      turn(store, 20);
      written += 20;
      if (t % 50 === 0) walSizes.push(store.walBytes());
      await new Promise((r) => setImmediate(r));
    }
    expect(store.checkpointer!.truncates).toBeGreaterThanOrEqual(1);
    // How high the WAL climbs between truncates depends on the disk's speed against the writer's
    // (a loaded CI disk let it reach 30 MB once), so the bound is asserted once the writes pause:
    // a truncate while writing, then back under twice the threshold.
    const passes = store.checkpointer!.passes;
    for (let i = 0; i < 2000 && (store.checkpointer!.passes < passes + 2 || store.walBytes() > truncatePages * 4096 * 2); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(store.walBytes()).toBeLessThanOrEqual(truncatePages * 4096 * 2);
    expect((await store.latest('#r0', 1)).messages).toHaveLength(1);
    store.close();
    await store.checkpointer!.stopped;
    const reopened = openSqliteStore(file);
    let count = 0;
    for (let r = 0; r < 7; r++) {
      let page = await reopened.after(`#r${r}`, 0, 1000);
      count += page.messages.length;
      while (page.more) {
        page = await reopened.after(`#r${r}`, page.messages[page.messages.length - 1]!.id, 1000);
        count += page.messages.length;
      }
    }
    expect(count).toBe(written);
    reopened.close();
  }, 120_000);

  it('turns the automatic checkpoint off only with the worker', () => {
    const withWorker = openSqliteStore(freshFile(), { checkpoint: 'worker' });
    const without = openSqliteStore(freshFile());
    const smaller = openSqliteStore(freshFile(), { autocheckpointPages: 250 });
    expect(withWorker.autocheckpoint()).toBe(0);
    expect(without.autocheckpoint()).toBe(1000);
    expect(smaller.autocheckpoint()).toBe(250);
    withWorker.close();
    without.close();
    smaller.close();
    return withWorker.checkpointer!.stopped;
  });

  it.each([
    { pruneCheckpointPages: undefined, restarts: true },
    { pruneCheckpointPages: 1000, restarts: false },
  ])('checkpoints in a prune call once the WAL holds 100 pages, not in chat commits ($pruneCheckpointPages)', async (c) => {
    const store = openSqliteStore(
      freshFile(),
      c.pruneCheckpointPages === undefined ? {} : { pruneCheckpointPages: c.pruneCheckpointPages },
    );
    // Some 300 WAL pages: past prune's threshold, short of the chat commits' 1000.
    while (store.walBytes() < 300 * 4096) turn(store, 20);
    const before = store.walBytes();
    expect(before).toBeLessThan(1000 * 4096);
    expect((await store.prune(0, 1)).removed).toBeGreaterThan(0);
    expect(store.autocheckpoint()).toBe(1000);
    const afterPrune = store.walBytes();
    // After a checkpoint the next commit writes the WAL again from its start: the file does not grow.
    turn(store, 1);
    if (c.restarts) expect(store.walBytes()).toBe(afterPrune);
    else expect(store.walBytes()).toBeGreaterThan(afterPrune);
    store.close();
  });

  it('stops the worker cleanly when the store is closed, and frees the file for the next one', async () => {
    const file = freshFile();
    const store = openSqliteStore(file, { checkpoint: 'worker', checkpointOptions: { intervalMs: 5 } });
    turn(store, 10);
    for (let i = 0; i < 2000 && store.checkpointer!.passes === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(store.checkpointer!.passes).toBeGreaterThan(0);
    store.close();
    await store.checkpointer!.stopped;
    expect(store.checkpointer!.exitCode).toBe(0);
    expect(store.checkpointer!.error).toBeUndefined();
    const next = openSqliteStore(file, { checkpoint: 'worker' });
    expect((await next.latest('#r0', 10)).messages).toHaveLength(2);
    next.close();
    await next.checkpointer!.stopped;
  });
});
