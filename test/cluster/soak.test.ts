/**
 * The cluster soak: its checks on hand-made receipts (so we know they catch what they claim to),
 * then a short run for real: a Redis, a PostgreSQL, three built nodes, bots moving between them
 * with since and one node SIGKILLed and started again.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkCluster,
  emptyClusterStats,
  Receiver,
  type BotReceipts,
  type ClusterStats,
  type SentPrivate,
} from '../../scripts/soak/cluster.js';
import { connect, type MessageMsg } from '../../src/protocol/internal.js';
import { startServer } from '../helpers/server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const bot = (main: number[], lives: BotReceipts['lives'], joined = ['#main']): BotReceipts => ({
  rooms: new Map([['#main', main]]),
  lives,
  joined,
});

describe('the cluster soak’s bot', () => {
  it('takes a move’s since after the old connection’s last line was read, not before', async () => {
    // Found by the soak: a line the old connection had delivered, but its `for await` not taken
    // yet, was not in the since, so the next login's catch-up brought it a second time.
    const server = await startServer();
    const receiver = new Receiver('rb0');
    const conn = await connect({ host: '127.0.0.1', port: server.port, name: 'rb0', rooms: ['#main'] });
    const talker = await connect({ host: '127.0.0.1', port: server.port, name: 'talker', rooms: ['#main'] });
    try {
      receiver.read(conn);
      // The move starts as the line is delivered: it is in the reader's queue, not yet taken.
      const since = new Promise<Record<string, number>>((resolve) => {
        conn.on('message', (m) => void (m.type === 'message' && resolve(receiver.since())));
      });
      const said = await new Promise<MessageMsg>((resolve, reject) =>
        talker.say('x', { room: '#main', done: (err, m) => (err ? reject(err) : resolve(m!)) }),
      );
      expect((await since)['#main']).toBe(said.id);
      expect(receiver.receipts.rooms.get('#main')).toEqual([said.id]);
    } finally {
      conn.destroy();
      talker.destroy();
      await server.stop();
    }
  });
});

describe('the cluster soak’s checks', () => {
  const sent = new Map([['#main', [10, 20, 30]]]);
  const to1 = (id: number): SentPrivate => ({ id, from: 0, to: 1 });
  const sender = bot([10, 20, 30], [{ live: [10, 15, 20, 25, 30], privates: [] }]);
  it.each<[string, BotReceipts, SentPrivate[], Partial<ClusterStats> & { p?: Partial<ClusterStats['privates']> }]>([
    [
      'every line once, a private delivered',
      bot([10, 20, 30], [{ live: [10, 15, 20, 30], privates: [15] }]),
      [to1(15)],
      { lost: 0, delivered: 6, p: { delivered: 1 } },
    ],
    [
      'a line lost across a move',
      bot(
        [10, 30],
        [
          { live: [10], privates: [] },
          { live: [30], privates: [] },
        ],
      ),
      [],
      { lost: 1 },
    ],
    ['a line twice (catch-up and live)', bot([10, 20, 20, 30], [{ live: [10, 20, 30], privates: [] }]), [], { duplicated: 1 }],
    ['lines out of order', bot([10, 30, 20], [{ live: [10, 30, 20], privates: [] }]), [], { outOfOrder: 1 }],
    [
      'a private lost while logged in on both sides',
      bot([10, 20, 30], [{ live: [10, 20, 30], privates: [] }]),
      [to1(15)],
      { p: { lost: 1 } },
    ],
    [
      'a private excused between two connections',
      bot(
        [10, 20, 30],
        [
          { live: [10], privates: [] },
          { live: [20, 30], privates: [] },
        ],
      ),
      [to1(15)],
      { p: { lost: 0, excused: 1 } },
    ],
    ['a private twice', bot([10, 20, 30], [{ live: [10, 15, 15, 30], privates: [15, 15] }]), [to1(15)], { p: { duplicated: 1 } }],
    [
      'privates out of order',
      bot([10, 20, 30], [{ live: [10, 25, 15, 30], privates: [25, 15] }]),
      [to1(15), to1(25)],
      { privatesOutOfOrder: 1 },
    ],
  ])('finds %s', (_, other, privates, want) => {
    const stats = emptyClusterStats(2, 2);
    checkCluster(stats, sent, privates, [sender, other]);
    const { p, ...rest } = want;
    expect(stats).toMatchObject(rest);
    if (p) expect(stats.privates).toMatchObject(p);
  });
});

function runSoak(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/soak.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the cluster soak', () => {
  it('runs three nodes with bots moving between them and a node killed: 0 lost, 0 duplicated, 0 out of order', async () => {
    const run = await runSoak(['--cluster', '3', '--clients', '9', '--interval', '150', '--seconds', '10', '--json']);
    const result = JSON.parse(run.stdout) as { pass: boolean; findings: string[]; cluster: ClusterStats };
    const s = result.cluster;
    expect(result.findings, run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect({ lost: s.lost, duplicated: s.duplicated, outOfOrder: s.outOfOrder, notRejoined: s.notRejoined }).toEqual({
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      notRejoined: 0,
    });
    expect({ lost: s.privates.lost, duplicated: s.privates.duplicated, outOfOrder: s.privatesOutOfOrder }).toEqual({
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
    });
    // It checked something: every bot, hundreds of receipts, moves and a kill with rescues.
    expect(s.delivered).toBe(s.confirmed);
    expect(s.confirmed).toBeGreaterThan(9 * 50);
    expect(s.privates.delivered).toBeGreaterThan(5);
    expect(s.moves).toBeGreaterThan(5);
    expect(s.killed?.restartedAfterSeconds).toBeDefined();
    expect(s.rescues).toBeGreaterThan(0);
    expect(s.exits).toEqual([0, 0, 0]);
  }, 120_000);
});
