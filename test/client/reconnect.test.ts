import { describe, expect, it } from 'vitest';
import { backoffDelay, retry, type BackoffOptions } from '../../src/client/reconnect.js';

const opts: BackoffOptions = { baseMs: 500, capMs: 30_000 };

describe('backoff', () => {
  it.each<[number, number, number]>([
    [0, 250, 500],
    [1, 500, 1_000],
    [2, 1_000, 2_000],
    [5, 8_000, 16_000],
    [6, 15_000, 30_000],
    [50, 15_000, 30_000],
  ])('waits between the jitter bounds before attempt %i', (attempt, low, high) => {
    expect(backoffDelay(attempt, () => 0, opts)).toBe(low);
    expect(backoffDelay(attempt, () => 0.999_999, opts)).toBe(high);
  });

  it('never exceeds the cap and never waits zero', () => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const d = backoffDelay(attempt, Math.random, opts);
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThanOrEqual(opts.capMs);
    }
  });
});

describe('retry', () => {
  const noSleep = { sleep: async () => undefined, random: () => 0.5 };

  it('tries until an attempt succeeds, waiting a growing delay before each', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await retry(
      async () => {
        if (++calls < 3) throw new Error(`refused ${calls}`);
        return 'connected';
      },
      { ...noSleep, signal: new AbortController().signal, onWait: (_n, ms) => waits.push(ms) },
    );
    expect(result).toBe('connected');
    expect(calls).toBe(3);
    expect(waits).toEqual([375, 750, 1_500]);
  });

  it('tells each wait why the previous attempt failed', async () => {
    const reasons: unknown[] = [];
    let calls = 0;
    await retry(
      async () => {
        if (++calls < 2) throw new Error('refused');
        return true;
      },
      { ...noSleep, signal: new AbortController().signal, onWait: (_n, _ms, err) => reasons.push((err as Error | undefined)?.message) },
    );
    expect(reasons).toEqual([undefined, 'refused']);
  });

  it('gives up after maxAttempts', async () => {
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        throw new Error('down');
      },
      { ...noSleep, signal: new AbortController().signal, maxAttempts: 4 },
    );
    expect(result).toBeUndefined();
    expect(calls).toBe(4);
  });

  it('stops when aborted during a wait', async () => {
    const abort = new AbortController();
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        throw new Error('down');
      },
      {
        random: () => 0,
        signal: abort.signal,
        sleep: async () => {
          if (calls === 2) abort.abort();
        },
      },
    );
    expect(result).toBeUndefined();
    expect(calls).toBe(2);
  });

  it('throws a fatal error at once', async () => {
    let calls = 0;
    const attempt = retry(
      async () => {
        calls++;
        throw new Error('bad password');
      },
      { ...noSleep, signal: new AbortController().signal, isFatal: (e) => (e as Error).message === 'bad password' },
    );
    await expect(attempt).rejects.toThrow('bad password');
    expect(calls).toBe(1);
  });

  it('waits with the real clock by default and can be aborted there', async () => {
    const abort = new AbortController();
    const result = retry(async () => 'never', { signal: abort.signal, backoff: { baseMs: 60_000, capMs: 60_000 } });
    abort.abort();
    expect(await result).toBeUndefined();
  });
});
