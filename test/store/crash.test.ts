/**
 * The built server binary on a real data directory: SIGKILL under load loses no message any client
 * received, ids keep increasing after the restart, and a corrupt store is one line and exit 1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw.js';
import { runServerBinary, startServerBinary, tempDataDir } from '../helpers/server-binary.js';

type Msg = Record<string, unknown>;

describe('the store under a crash', () => {
  // The store in the event loop (the default) and on its thread (--store-thread).
  it.each([{ mode: [] as string[] }, { mode: ['--store-thread'] }])(
    'keeps every message a client received through a SIGKILL under load, once each ($mode)',
    async ({ mode }) => {
      const dir = tempDataDir();
      const args = ['--data-dir', dir, '--rate', '0', '--history-limit', '1000', ...mode];
      const first = await startServerBinary(args);
      const writers = await Promise.all(['w1', 'w2', 'w3'].map((n) => RawClient.login(first.port, n)));
      const reader = await RawClient.login(first.port, 'reader');
      // Writers keep saying until the crash; the reader records every id it is sent.
      let stop = false;
      const loops = writers.map(async (w, i) => {
        for (let n = 0; !stop && !w.closed; n++) {
          w.send({ type: 'say', text: `w${i} ${n}` });
          if (n % 20 === 19) await new Promise((r) => setImmediate(r));
        }
      });
      await reader.next('message', () => reader.messages.filter((m) => m.type === 'message').length >= 300, 15_000);
      await first.crash();
      stop = true;
      await Promise.all(loops);
      const received = new Set<number>();
      for (const c of [reader, ...writers]) for (const m of c.messages) if (m.type === 'message') received.add(m['id'] as number);
      expect(received.size).toBeGreaterThanOrEqual(300);

      const second = await startServerBinary(args);
      const checker = await RawClient.login(second.port, 'checker');
      const stored: number[] = [];
      let after = 0;
      for (let page = 0; page < 1000; page++) {
        checker.send({ type: 'history', room: '#main', after, limit: 1000, label: `p${page}` });
        const h = await checker.next('history', (m) => m['label'] === `p${page}`);
        const ids = (h['messages'] as Msg[]).map((m) => m['id'] as number);
        stored.push(...ids);
        if (!h['more']) break;
        after = ids[ids.length - 1]!;
      }
      expect(new Set(stored).size).toBe(stored.length); // none twice
      const missing = [...received].filter((id) => !stored.includes(id));
      expect(missing).toEqual([]);
      // And ids go on increasing past everything stored.
      checker.send({ type: 'say', text: 'after the crash', label: 'x' });
      const next = await checker.next('message', (m) => m['label'] === 'x');
      expect(next['id']).toBeGreaterThan(Math.max(...stored));
    },
    60_000,
  );

  it('refuses to start on a corrupt store with one line and exit 1', async () => {
    const dir = tempDataDir();
    fs.writeFileSync(path.join(dir, 'framechat.sqlite'), 'this is not a database, just some bytes that are long enough '.repeat(100));
    const { status, stdout, stderr } = await runServerBinary(['start', '--host', '127.0.0.1', '--port', '0', '--data-dir', dir]);
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^chat-server: .*framechat\.sqlite: not a framechat database, or corrupt/),
    ]);
  });

  it('prints where history is kept, and keeps it in memory with --no-store', async () => {
    const dir = tempDataDir();
    const onDisk = await startServerBinary(['--data-dir', dir]);
    expect(onDisk.stdout()).toContain(`history: ${path.join(dir, 'framechat.sqlite')}`);
    const other = tempDataDir();
    const onThread = await startServerBinary(['--data-dir', other, '--store-thread']);
    expect(onThread.stdout()).toContain(`history: ${path.join(other, 'framechat.sqlite')} (on its own thread: --store-thread)`);
    const inMemory = await startServerBinary(['--no-store']);
    expect(inMemory.stdout()).toContain('history: in memory only (--no-store)');
  });
});
