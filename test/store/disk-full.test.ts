/**
 * The disk fills while the built server runs: live chat goes on, the server logs it once, every
 * connected user (there are no operator accounts yet) gets a `notice`, and history resumes when
 * space returns. Two real full conditions:
 * - `--store-max-bytes` (SQLite's max_page_count): a real SQLITE_FULL from a real file, always
 *   tested; space returns when retention (--history-room-cap), run at once on the failure, frees
 *   pages.
 * - a real filesystem that is full: a small tmpfs mounted for the test, filled with a file, and
 *   space returned by deleting it. Mounting needs root (CAP_SYS_ADMIN); where it is impossible
 *   (an unprivileged CI runner) that case is skipped, saying why.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw.js';
import { startServerBinary, type ServerBinary } from '../helpers/server-binary.js';

type Msg = Record<string, unknown>;
const FILLER = 'the disk is filling up '.repeat(40);

/** Whether this process may mount a tmpfs (tried once, on a throwaway directory). */
function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-mount-probe-'));
  try {
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status !== 0) return false;
    spawnSync('umount', [probe]);
    return true;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}
const MOUNT = canMountTmpfs();
const mounts: string[] = [];
afterEach(() => {
  for (const dir of mounts.splice(0)) {
    spawnSync('umount', ['-l', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Alice says FILLER messages (bob receives each one: live chat) until bob is told history is not
 * being saved; bounded. Returns how many she said.
 */
async function fillUntilNotice(alice: RawClient, bob: RawClient): Promise<number> {
  for (let i = 0; i < 5000; i++) {
    alice.send({ type: 'say', text: `${i} ${FILLER}`, label: `f${i}` });
    await bob.next('message', (m) => (m['text'] as string).startsWith(`${i} `));
    if (bob.messages.some((m) => m.type === 'notice' && /not being saved/.test(m['text'] as string))) return i + 1;
  }
  throw new Error('the store never filled');
}

/** Alice keeps talking (each turn with output retries the store) until bob hears it is saved again. */
async function talkUntilRecovered(alice: RawClient, bob: RawClient): Promise<void> {
  for (let i = 0; i < 200; i++) {
    alice.send({ type: 'say', text: `still here ${i}`, label: `r${i}` });
    await bob.next('message', (m) => m['text'] === `still here ${i}`);
    if (bob.messages.some((m) => m.type === 'notice' && m['text'] === 'History is being saved again.')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('history never resumed');
}

async function latestTexts(port: number, name: string): Promise<string[]> {
  const c = await RawClient.login(port, name);
  c.send({ type: 'history', room: '#main', limit: 1000, label: 'h' });
  const h = await c.next('history', (m) => m['label'] === 'h');
  return (h['messages'] as Msg[]).map((m) => m['text'] as string);
}

async function checkOutage(server: ServerBinary, freeSpace: () => void | Promise<void>): Promise<void> {
  const alice = await RawClient.login(server.port, 'alice');
  const bob = await RawClient.login(server.port, 'bob');
  const said = await fillUntilNotice(alice, bob);
  expect(said).toBeGreaterThan(5);
  // Live chat goes on while the store cannot write.
  alice.send({ type: 'say', text: 'said while full', label: 'w' });
  await bob.next('message', (m) => m['text'] === 'said while full');
  const notices = (c: RawClient): string[] => c.messages.filter((m) => m.type === 'notice').map((m) => m['text'] as string);
  await alice.next('notice', (m) => /not being saved/.test(m['text'] as string));
  expect(notices(alice)).toEqual(['History is not being saved (disk full); live chat goes on.']);
  await freeSpace();
  await talkUntilRecovered(alice, bob);
  expect(notices(bob)).toEqual(['History is not being saved (disk full); live chat goes on.', 'History is being saved again.']);
  // Logged once, however many commits failed meanwhile.
  await server.waitForLog(/event=store_recovered/);
  expect(server.stderr().match(/event=store_write_failed/g)).toHaveLength(1);
  expect(server.stderr()).toMatch(/event=store_write_failed code=disk_full/);
  expect(server.stderr().match(/event=store_recovered/g)).toHaveLength(1);
  // What was said while full was kept and written once space returned, and history goes on.
  alice.send({ type: 'say', text: 'after the outage', label: 'a' });
  await bob.next('message', (m) => m['text'] === 'after the outage');
  const texts = await latestTexts(server.port, 'carol');
  expect(texts).toContain('said while full');
  expect(texts[texts.length - 1]).toBe('after the outage');
  expect(server.child.exitCode).toBeNull();
}

describe('a full disk under a running server', () => {
  it('with --store-max-bytes: a real SQLITE_FULL, then retention frees room and history resumes', async () => {
    const server = await startServerBinary(['--store-max-bytes', String(256 * 1024), '--history-room-cap', '40', '--rate', '0']);
    // Retention runs on the failure itself (not only every minute): the cap frees the pages.
    await checkOutage(server, () => {});
    expect(server.stderr()).toMatch(/event=history_pruned/);
  }, 120_000);

  // Mounting a filesystem needs root; an unprivileged runner still runs the case above.
  it.skipIf(!MOUNT)(
    'on a real full filesystem (a tmpfs), resuming when a file is deleted (needs root to mount)',
    async () => {
      const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-tmpfs-'));
      expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]).status).toBe(0);
      mounts.push(mount);
      const dataDir = path.join(mount, 'data');
      const server = await startServerBinary(['--data-dir', dataDir, '--rate', '0']);
      // Leave about 200 KB free for the store to grow into.
      const { bavail, bsize } = fs.statfsSync(mount);
      const ballast = path.join(mount, 'ballast');
      fs.writeFileSync(ballast, Buffer.alloc(Math.max(0, bavail * bsize - 200 * 1024)));
      await checkOutage(server, () => fs.rmSync(ballast));
    },
    120_000,
  );
});
