/**
 * The bench's smoke test: a tiny run through the same runner `npm run bench` uses (the built
 * server and the load generators as separate processes), asserting only that every phase completes
 * and every message arrives exactly once. Speed is the bench's business, never the suite's, so
 * nothing here looks at a time or a rate.
 */
import { describe, expect, it } from 'vitest';
import { runBench, type PhaseResult } from '../../scripts/bench/run.js';
import type { Scenario } from '../../scripts/bench/scenarios.js';

const tiny: Scenario[] = [
  { kind: 'room', name: 'tiny-room', title: 'tiny room', clients: 6, talkers: 3, rate: 20, latencyMs: 500, throughputMs: 500, window: 4 },
  { kind: 'idle', name: 'tiny-idle', title: 'tiny idle', clients: 8, roomSize: 4, settleMs: 100 },
  { kind: 'storm', name: 'tiny-storm', title: 'tiny storm', clients: 8, roomSize: 4, concurrency: 4 },
];

/** Every expected delivery arrived, none twice, no connection dropped. */
function expectComplete(phase: PhaseResult | undefined): void {
  expect(phase).toBeDefined();
  const { sent, expected, received, lost, duplicates, dropped } = phase!;
  expect(sent).toBeGreaterThan(0);
  expect({ received, lost, duplicates, dropped }).toEqual({ received: expected, lost: 0, duplicates: 0, dropped: 0 });
}

describe('npm run bench, smoke', () => {
  it('runs a tiny room, idle and storm scenario against the built server with nothing lost or duplicated', { timeout: 90_000 }, async () => {
    const run = await runBench({ scenarios: tiny, targets: ['framechat'], generators: 2 });

    expect(run.scenarios.map((s) => s.scenario.name)).toEqual(tiny.map((s) => s.name));
    for (const { scenario, results } of run.scenarios) {
      expect(results.map((r) => r.status)).toEqual(['ok']);
      expect(results[0]!.logins).toMatchObject({ ok: scenario.clients, failed: 0 });
    }
    const [room, idle] = run.scenarios.map((s) => s.results[0]);
    expectComplete(room?.latency);
    expectComplete(room?.throughput);
    expectComplete(idle?.broadcast);
  });
});
