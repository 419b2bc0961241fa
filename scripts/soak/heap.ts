/**
 * The server's live heap, read from outside without any hook in the server: it runs with Node's
 * --heapsnapshot-signal, so a signal makes it write a heap snapshot, and V8 collects all garbage
 * before taking one. The snapshot then says exactly what is still alive: its total size, and how
 * many Session, Socket and TCP objects there are (after everyone left, no Session may remain).
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export const SNAPSHOT_SIGNAL = 'SIGUSR2';
/** Objects whose count after everyone left shows a per-connection leak. */
const WATCHED = ['Session', 'Outbox', 'FrameDecoder', 'LineDecoder', 'Socket', 'TCP'] as const;
const WAIT_MS = 60_000;

export interface HeapFigures {
  /** Bytes of live objects (sum of self sizes) after a full GC. */
  liveBytes: number;
  objects: Record<(typeof WATCHED)[number], number>;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Count live bytes and watched objects in a .heapsnapshot file's JSON. */
export function readSnapshot(json: string): HeapFigures {
  const s = JSON.parse(json) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const objectType = s.snapshot.meta.node_types[0].indexOf('object');
  const objects = Object.fromEntries(WATCHED.map((n) => [n, 0])) as HeapFigures['objects'];
  const watched = new Set<string>(WATCHED);
  let liveBytes = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    liveBytes += s.nodes[i + sizeAt]!;
    if (s.nodes[i + typeAt] !== objectType) continue;
    const name = s.strings[s.nodes[i + nameAt]!]!;
    if (watched.has(name)) objects[name as (typeof WATCHED)[number]]++;
  }
  return { liveBytes, objects };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Signal the server and read the snapshot it writes into `dir` (then delete it). The file is
 * complete once its size has stopped changing and it parses.
 */
export async function heapSnapshot(pid: number, dir: string): Promise<HeapFigures> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, SNAPSHOT_SIGNAL);
  const deadline = Date.now() + WAIT_MS;
  let lastSize = -1;
  while (Date.now() < deadline) {
    await sleep(250);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const full = path.join(dir, file);
    const size = statSync(full).size;
    if (size === 0 || size !== lastSize) {
      lastSize = size;
      continue;
    }
    try {
      const figures = readSnapshot(readFileSync(full, 'utf8'));
      rmSync(full);
      return figures;
    } catch {
      lastSize = -1; // still being written
    }
  }
  throw new Error(`the server wrote no heap snapshot within ${WAIT_MS} ms`);
}
