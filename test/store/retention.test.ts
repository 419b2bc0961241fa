/**
 * Retention (src/server/retention.ts) on a running server with a real SQLite file: a pass at
 * start-up prunes to --history-room-cap and --history-days in many small batches, one per
 * event-loop turn; over a long run with a cap the file stops growing; the memory store's ring
 * holds no more than the cap.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite.js';
import { RawClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';
import { runServerBinary, startServerBinary } from '../helpers/server-binary.js';
import { until } from '../helpers/wait.js';

type Msg = Record<string, unknown>;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-retention-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = (): string => path.join(dir, `db-${++n}.sqlite`);
const DAY = 24 * 60 * 60 * 1000;

function fill(store: SqliteStore, room: string, count: number, ts: number): void {
  for (let i = 0; i < count; i++) store.append({ kind: 'room', id: store.ids.next(), ts, room, from: 'old', text: `${room} ${i}` });
  store.commit();
}

async function historyOf(port: number, name: string, room: string): Promise<Msg> {
  const c = await RawClient.login(port, name);
  if (room !== '#main') {
    c.send({ type: 'join', room, label: 'j' });
    await c.next('room', (m) => m['label'] === 'j');
  }
  c.send({ type: 'history', room, limit: 1000, label: 'h' });
  return c.next('history', (m) => m['label'] === 'h');
}

/** The `history_pruned` log lines' removed and calls values. */
function pruned(logs: string[]): { removed: number; calls: number }[] {
  return logs
    .filter((l) => l.includes('event=history_pruned'))
    .map((l) => ({ removed: Number(/removed=(\d+)/.exec(l)![1]), calls: Number(/calls=(\d+)/.exec(l)![1]) }));
}

describe('retention', () => {
  it('prunes to the room cap at start-up, in batches, one per event-loop turn', async () => {
    const store = openSqliteStore(freshFile(), { pruneBatch: 20, pruneBudgetMs: Number.POSITIVE_INFINITY });
    fill(store, '#big', 300, Date.now());
    fill(store, '#small', 30, Date.now());
    const { port, logs } = await startServer({ historyRoomCap: 100, historyLimit: 1000 }, { store });
    // The log is written in batches: wait for its line, not only for the pass.
    await until(
      () => pruned(logs).length > 0,
      () => `no retention pass: ${logs.join('\n')}`,
    );
    // 200 rows over the cap, at most 20 a call: at least ten calls, each on a turn of its own.
    expect(pruned(logs)).toEqual([{ removed: 200, calls: expect.any(Number) }]);
    expect(pruned(logs)[0]!.calls).toBeGreaterThanOrEqual(10);
    const big = await historyOf(port, 'reader', '#big');
    expect((big['messages'] as Msg[]).map((m) => m['text'])).toEqual(Array.from({ length: 100 }, (_, i) => `#big ${i + 200}`));
    expect(big['more']).toBe(false);
    expect(((await historyOf(port, 'reader2', '#small'))['messages'] as Msg[]).length).toBe(30);
  });

  it('keeps serving a canary between batches, each batch at most pruneBatch rows', async () => {
    const store = openSqliteStore(freshFile(), { pruneBatch: 10, pruneBudgetMs: Number.POSITIVE_INFINITY });
    fill(store, '#big', 6000, Date.now());
    // Observe every call's rows (the store itself is the real one).
    const batches: number[] = [];
    const prune = store.prune.bind(store);
    store.prune = async (olderThan, cap) => {
      const r = await prune(olderThan, cap);
      batches.push(r.removed);
      return r;
    };
    const { port, server } = await startServer({ historyRoomCap: 100, rate: 0 }, { store });
    const canary = await RawClient.login(port, 'canary');
    // Pongs answered while the pass is under way, with the number of batches done at each.
    const during: number[] = [];
    for (let i = 0; server.retention.passes === 0 && i < 10_000; i++) {
      canary.send({ type: 'ping', token: `c${i}` });
      await canary.next('pong', (m) => m['token'] === `c${i}`);
      if (server.retention.passes === 0) during.push(batches.length);
    }
    await server.retention.idle();
    expect(batches.reduce((a, b) => a + b, 0)).toBe(5900);
    expect(Math.max(...batches)).toBeLessThanOrEqual(10);
    // The canary was answered again and again while batches went on, not only before or after.
    expect(during.length).toBeGreaterThanOrEqual(3);
    expect(new Set(during).size).toBeGreaterThanOrEqual(3);
    expect(during.every((n) => n > 0 && n < batches.length)).toBe(true);
  });

  it('removes what is older than --history-days and nothing younger', async () => {
    const store = openSqliteStore(freshFile(), { pruneBatch: 25 });
    fill(store, '#main', 60, Date.now() - 3 * DAY);
    fill(store, '#main', 5, Date.now() - DAY / 2);
    const { port, server } = await startServer({ historyDays: 2, historyLimit: 1000 }, { store });
    await until(() => server.retention.passes >= 1);
    const h = await historyOf(port, 'reader', '#main');
    expect((h['messages'] as Msg[]).map((m) => m['text'])).toEqual(['#main 0', '#main 1', '#main 2', '#main 3', '#main 4']);
  });

  it('runs no pass when neither a maximum age nor a cap is set', async () => {
    const store = openSqliteStore(freshFile());
    fill(store, '#main', 50, 1);
    const { server } = await startServer({}, { store, retentionPeriodMs: 10 });
    expect(server.retention.enabled).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.retention.passes).toBe(0);
  });

  it('keeps the file from growing over a long run with a cap: pruned pages are reused', async () => {
    const store = openSqliteStore(freshFile());
    const cap = 150;
    const { port, server } = await startServer({ historyRoomCap: cap, rate: 0 }, { store, retentionPeriodMs: 20 });
    const writer = await RawClient.login(port, 'writer');
    const pages: number[] = [];
    for (let round = 0; round < 48; round++) {
      for (let i = 0; i < 300; i++) writer.send({ type: 'say', text: `round ${round} message ${i} `.padEnd(120, 'x') });
      writer.send({ type: 'ping', token: `r${round}` });
      await writer.next('pong', (m) => m['token'] === `r${round}`, 20_000);
      // A pass that starts after this round's messages, run to its end.
      const done = server.retention.passes;
      await until(
        () => server.retention.passes >= done + 2,
        () => `retention passes ${server.retention.passes}`,
        20_000,
      );
      pages.push(store.space().pages);
    }
    const h = await historyOf(port, 'reader', '#main');
    expect((h['messages'] as Msg[]).length).toBe(cap);
    expect(h['more']).toBe(false);
    // 14 400 messages were written; the file holds 150 of them. The search index drops a deleted
    // entry when FTS5 merges the segment that holds it, so the file settles in steps, and where
    // depends on the batch sizes the time budget gives each prune call (quiet: 58 pages at round
    // 3, 74 at 8, 77 from 18 to 63; on a loaded machine 64 in the first third, 86 later). Grown
    // with what is written (the search entries' deletes skipped, as a check) the last two thirds
    // reach 2.2x the first; kept, they stay within 2x. sqlite.test.ts checks the bound tighter,
    // with no clock in it.
    const early = Math.max(...pages.slice(0, 16));
    expect(Math.max(...pages.slice(16))).toBeLessThanOrEqual(early * 2);
  }, 120_000);

  it('caps the memory store ring at --history-room-cap (--no-store)', async () => {
    const srv = await startServerBinary(['--no-store', '--history-room-cap', '5', '--rate', '0']);
    const alice = await RawClient.login(srv.port, 'alice');
    for (let i = 0; i < 8; i++) alice.send({ type: 'say', text: `m${i}`, label: `s${i}` });
    await alice.next('message', (m) => m['label'] === 's7');
    const h = await historyOf(srv.port, 'bob', '#main');
    expect((h['messages'] as Msg[]).map((m) => m['text'])).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
    expect(h['more']).toBe(false);
  });

  it.each([
    [['--history-days', '-1'], '--history-days must be a number >= 0'],
    [['--history-room-cap', '2.5'], '--history-room-cap must be a whole number >= 0'],
    [['--store-max-bytes', 'lots'], '--store-max-bytes must be a number >= 0'],
  ])('refuses %j with a clear line', async (args, message) => {
    const { status, stderr } = await runServerBinary(['start', '--port', '0', ...args]);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
  });

  it('takes the retention flags from the environment too', async () => {
    const srv = await startServerBinary(['--no-store', '--rate', '0'], { env: { CHAT_HISTORY_ROOM_CAP: '2' } });
    const alice = await RawClient.login(srv.port, 'alice');
    for (let i = 0; i < 4; i++) alice.send({ type: 'say', text: `m${i}`, label: `s${i}` });
    await alice.next('message', (m) => m['label'] === 's3');
    const h = await historyOf(srv.port, 'bob', '#main');
    expect((h['messages'] as Msg[]).map((m) => m['text'])).toEqual(['m2', 'm3']);
  });
});
