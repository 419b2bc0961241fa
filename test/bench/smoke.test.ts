/**
 * The bench's smoke test: a tiny run through the same runner `npm run bench` uses (the built
 * server and the load generators as separate processes), asserting only that every phase completes
 * and every message arrives exactly once. Speed is the bench's business, never the suite's, so
 * nothing here looks at a time or a rate.
 */
import { describe, expect, it } from 'vitest';
import { clusterRows, pairRatios } from '../../scripts/bench/report.js';
import { runBench, type PhaseResult } from '../../scripts/bench/run.js';
import { runStoreBench } from '../../scripts/bench/store.js';
import { clientSpecs, NEEDS_V2, roomsOf, type Scenario } from '../../scripts/bench/scenarios.js';

const tiny: Scenario[] = [
  { kind: 'room', name: 'tiny-room', title: 'tiny room', clients: 6, talkers: 3, rate: 20, latencyMs: 500, throughputMs: 500, window: 4 },
  { kind: 'idle', name: 'tiny-idle', title: 'tiny idle', clients: 8, roomSize: 4, settleMs: 100 },
  { kind: 'storm', name: 'tiny-storm', title: 'tiny storm', clients: 8, roomSize: 4, concurrency: 4 },
  { kind: 'join-storm', name: 'tiny-join-storm', title: 'tiny join storm', clients: 12, budgetMs: 30_000, loginTimeoutMs: 10_000 },
];

const tinyManyRooms: Scenario = {
  kind: 'many-rooms',
  name: 'tiny-many-rooms',
  title: 'tiny many rooms',
  clients: 12,
  rooms: 6,
  perClient: 3,
  talkersPerRoom: 1,
  rate: 10,
  latencyMs: 300,
  throughputMs: 300,
  window: 4,
};

/** Every expected delivery arrived, none twice, no connection dropped. */
function expectComplete(phase: PhaseResult | undefined): void {
  expect(phase).toBeDefined();
  const { sent, expected, received, lost, duplicates, dropped } = phase!;
  expect(sent).toBeGreaterThan(0);
  expect({ received, lost, duplicates, dropped }).toEqual({ received: expected, lost: 0, duplicates: 0, dropped: 0 });
}

describe('npm run bench, smoke', () => {
  it(
    'runs a tiny room, idle and storm scenario against the built server with nothing lost or duplicated',
    { timeout: 90_000 },
    async () => {
      const run = await runBench({ scenarios: tiny, targets: ['framechat'], generators: 2 });

      expect(run.scenarios.map((s) => s.scenario.name)).toEqual(tiny.map((s) => s.name));
      for (const { scenario, results } of run.scenarios) {
        expect(results.map((r) => r.status)).toEqual(['ok']);
        expect(results[0]!.logins).toMatchObject({ ok: scenario.clients, failed: 0 });
      }
      const [room, idle, , joinStorm] = run.scenarios.map((s) => s.results[0]);
      expectComplete(room?.latency);
      expectComplete(room?.throughput);
      expectComplete(idle?.broadcast);
      // The join storm's one message reaches every other client in the room.
      expectComplete(joinStorm?.broadcast);
      expect(joinStorm?.broadcast?.expected).toBe(11);
    },
  );

  it('many rooms: framechat on protocol v2 (several rooms per connection) runs with nothing lost', { timeout: 60_000 }, async () => {
    const run = await runBench({ scenarios: [tinyManyRooms], targets: ['framechat'], generators: 2 });
    const result = run.scenarios[0]!.results[0]!;
    // The server speaks v2 (welcome.protocol 2), so it is measured, never reported as NEEDS_V2.
    expect(result.status).not.toBe(NEEDS_V2);
    expect(result.status).toBe('ok');
    expectComplete(result.latency);
    expectComplete(result.throughput);
  });

  it('runs the store on next to the store off (--no-store), both complete, and reports their ratio', { timeout: 60_000 }, async () => {
    const run = await runBench({ scenarios: [tiny[0]!], targets: ['framechat', 'framechat-nostore'], generators: 2 });
    const results = run.scenarios[0]!.results;
    expect(results.map((r) => [r.target, r.status])).toEqual([
      ['framechat', 'ok'],
      ['framechat-nostore', 'ok'],
    ]);
    for (const r of results) {
      expectComplete(r.latency);
      expectComplete(r.throughput);
    }
    expect(pairRatios(run.scenarios[0]!, 'framechat', 'framechat-nostore').map((r) => r.metric)).toEqual([
      'deliveries/s',
      'deliveries per CPU-s',
      'p99 latency',
    ]);
  });

  it(
    'a cluster of two nodes on Redis and PostgreSQL: clients on both, nothing lost, Redis and PostgreSQL CPU read, the cluster ratios reported',
    { timeout: 90_000 },
    async () => {
      const run = await runBench({ scenarios: [tiny[0]!], targets: ['framechat', 'framechat-cluster2'], generators: 2 });
      const s = run.scenarios[0]!;
      expect(s.results.map((r) => [r.target, r.status, r.nodes])).toEqual([
        ['framechat', 'ok', 1],
        ['framechat-cluster2', 'ok', 2],
      ]);
      const cluster = s.results[1]!;
      // Round-robin within each generator's share: 3 clients per generator, on nodes 0, 1, 0 and 0, 1, 0.
      expect(cluster.logins.perNode).toEqual([4, 2]);
      for (const phase of [cluster.latency, cluster.throughput]) {
        expectComplete(phase);
        expect(Object.keys(phase!.serviceCpuSec ?? {}).sort()).toEqual(['postgres', 'redis']);
        for (const cpu of Object.values(phase!.serviceCpuSec!)) expect(cpu).toBeGreaterThanOrEqual(0);
      }
      const rows = clusterRows(s);
      expect(rows.map((r) => r.target)).toEqual(['framechat', 'framechat-cluster2']);
      expect(rows[1]!.p99VsSingle).toBeGreaterThan(0);
    },
  );

  it(
    'store bench: a small database through the Store interface and the built server, every read doing its work',
    { timeout: 120_000 },
    async () => {
      const r = await runStoreBench({ messages: 5000 });
      expect(r.messages).toBe(5000);
      expect(r.commits.map((c) => c.batch)).toEqual([1, 10, 100, 1000]);
      const [withHistory, without] = r.joins;
      // 5 000 messages in 200 rooms: about 25 per room, all of them sent on join; none in a room never used.
      expect(withHistory!.returned).toBeGreaterThan(withHistory!.calls * 10);
      expect(without!.returned).toBe(0);
      expect(r.reads.find((x) => x.label.includes('你好'))!.returned).toBeGreaterThan(0);
      expect(r.disk.bytes).toBeGreaterThan(0);
    },
  );

  it('many rooms: every client in distinct rooms, every room the same size, a talker in each', () => {
    for (const [clients, rooms, perClient] of [
      [2000, 200, 10],
      [12, 6, 3],
      [400, 40, 10],
    ] as const) {
      const size = new Map<string, number>();
      for (let id = 0; id < clients; id++) {
        const mine = roomsOf(id, rooms, perClient);
        expect(new Set(mine).size).toBe(perClient);
        for (const r of mine) size.set(r, (size.get(r) ?? 0) + 1);
      }
      expect(size.size).toBe(rooms);
      expect(new Set(size.values())).toEqual(new Set([(clients * perClient) / rooms]));
    }
    const specs = clientSpecs({ ...tinyManyRooms });
    expect(new Set(specs.filter((s) => s.talker >= 0).map((s) => s.room)).size).toBe(tinyManyRooms.rooms);
  });
});
