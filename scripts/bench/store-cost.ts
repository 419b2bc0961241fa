/**
 * What one stored message costs the thread that commits it, and where: `npm run bench -- --only
 * store-cost` (with small-room beside it, the same run says what share of the server's time per
 * message that is). Three stores on fresh files, each fed the same messages in commits of a given
 * size (one commit per event-loop turn; the small room's throughput phase measured about 140
 * messages per turn):
 *
 * - the store: SqliteStore.append and commit, as the server runs them, and the search index's
 *   steps that follow (index-scheduler.ts; they run in the same thread, after the commits), and of
 *   that, the commits alone (the rows, their indexes and counts: what the chat turn itself pays);
 * - its row alone: the same file with the search table, the indexes and the room counts dropped,
 *   one INSERT of the row per message (the least SQLite can do to keep a message);
 * - the row with its indexes and room count: the search table dropped.
 *
 * The difference between the first two is the FTS5 index (tokenizing, its segments); between the
 * last two, the B-tree indexes and the count. Time is this process's wall time around the calls,
 * in microseconds per message; nothing else runs in it meanwhile.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/server/store/sqlite.js';

export interface StoreCostRow {
  batch: number;
  /** Microseconds per message: the whole store, its commits alone, the row with indexes and count, the row alone. */
  storeUs: number;
  commitUs: number;
  indexedUs: number;
  rowUs: number;
}

export interface StoreCostResult {
  messages: number;
  rows: StoreCostRow[];
}

const TEXTS = [
  'hello there, how is everyone doing today?',
  'the build is green again after the merge, 42 tests faster',
  'ok',
  'Ça marche, on se voit à la réunion de 15 h',
  '你好，今天的会议改到下午三点',
];

function text(i: number): string {
  return `${TEXTS[i % TEXTS.length]} ${i}`;
}

/** A migrated, empty store file in a new temp directory. */
function freshFile(): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-store-cost-'));
  const file = path.join(dir, 'framechat.sqlite');
  openSqliteStore(file).close();
  return { dir, file };
}

async function timeStore(total: number, batch: number): Promise<{ storeUs: number; commitUs: number }> {
  const { dir, file } = freshFile();
  const store = openSqliteStore(file);
  try {
    let committing = 0;
    const start = performance.now();
    for (let i = 0; i < total; i += batch) {
      const t = performance.now();
      for (let j = i; j < Math.min(total, i + batch); j++) {
        store.append({ kind: 'room', id: store.ids.next(), ts: Date.now(), room: '#main', from: `user${j % 50}`, text: text(j) });
      }
      store.commit();
      committing += performance.now() - t;
    }
    // The search index's steps for these messages (and their merges), in this thread.
    await store.searchSettled();
    return { storeUs: ((performance.now() - start) * 1000) / total, commitUs: (committing * 1000) / total };
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The store's own file with parts dropped, written row by row as writeBatch writes them. */
function timeRows(total: number, batch: number, keepIndexes: boolean): number {
  const { dir, file } = freshFile();
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('DROP TABLE messages_search');
    if (!keepIndexes) {
      for (const { name } of db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL")
        .all() as {
        name: string;
      }[])
        db.exec(`DROP INDEX ${name}`);
    }
    const roomId = Number(db.prepare("INSERT INTO rooms (key, name) VALUES ('#main', '#main') RETURNING id").pluck().get());
    const insert = db.prepare(`INSERT INTO messages
      (id, ts, room_id, from_name, from_key, text, action, to_name, from_account, to_account, pair)
      VALUES (?, ?, ?, ?, ?, ?, 0, NULL, NULL, NULL, NULL)`);
    const count = db.prepare('UPDATE rooms SET messages = messages + ? WHERE id = ?');
    const write = db.transaction((from: number, to: number) => {
      for (let j = from; j < to; j++) insert.run(j + 1, Date.now(), roomId, `user${j % 50}`, `user${j % 50}`, text(j));
      if (keepIndexes) count.run(to - from, roomId);
    });
    const start = performance.now();
    for (let i = 0; i < total; i += batch) write(i, Math.min(total, i + batch));
    return ((performance.now() - start) * 1000) / total;
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function runStoreCost(options: { messages?: number; log?: (line: string) => void } = {}): Promise<StoreCostResult> {
  const total = options.messages ?? 50_000;
  const rows: StoreCostRow[] = [];
  for (const batch of [1, 10, 140, 1000]) {
    const row = {
      batch,
      ...(await timeStore(total, batch)),
      indexedUs: timeRows(total, batch, true),
      rowUs: timeRows(total, batch, false),
    };
    options.log?.(
      `  store-cost: ${batch} a commit: store ${row.storeUs.toFixed(2)} us (commits ${row.commitUs.toFixed(2)} us), ` +
        `indexed row ${row.indexedUs.toFixed(2)} us, row ${row.rowUs.toFixed(2)} us`,
    );
    rows.push(row);
  }
  return { messages: total, rows };
}

export function renderStoreCost(r: StoreCostResult): string {
  const fmt = (us: number): string => us.toFixed(2);
  return [
    `## store-cost: microseconds per message on the committing thread (${r.messages} messages per line)`,
    '',
    '| messages a commit | the store | its commits | row + indexes + count | row alone | FTS5 share |',
    '|--:|--:|--:|--:|--:|--:|',
    ...r.rows.map(
      (x) =>
        `| ${x.batch} | ${fmt(x.storeUs)} | ${fmt(x.commitUs)} | ${fmt(x.indexedUs)} | ${fmt(x.rowUs)} | ` +
        `${Math.round((100 * (x.storeUs - x.indexedUs)) / x.storeUs)} % |`,
    ),
  ].join('\n');
}
