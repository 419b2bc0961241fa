/**
 * Child process for the SIGKILL test: appends and commits batches of messages to the store at
 * argv[2] forever, one batch per event-loop turn, printing "committed <last id>" after each
 * commit() returns. The parent kills it with SIGKILL at a moment of its choosing. argv[3], if
 * given, is the search index's delay in ms (a long one: the kill finds every row unindexed).
 */
import { openSqliteStore } from '../../src/server/store/sqlite.js';

const delayMs = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const store = openSqliteStore(process.argv[2]!, delayMs === undefined ? {} : { index: { delayMs } });
let batch = 1;
function turn(): void {
  let last = 0;
  for (let i = 0; i < batch; i++) {
    last = store.ids.next();
    store.append({ kind: 'room', id: last, ts: Date.now(), room: '#main', from: 'writer', text: `message ${last}` });
  }
  const report = store.commit();
  if (report.written !== batch) throw new Error(`commit wrote ${report.written} of ${batch}`);
  process.stdout.write(`committed ${last}\n`);
  batch = (batch % 20) + 1;
  setImmediate(turn);
}
turn();
