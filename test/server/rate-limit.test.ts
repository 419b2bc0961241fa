/**
 * The token bucket and the event-loop lag, with the clock given: what a stall forgives, and that
 * it forgives nothing else; and the extra charge for big replies.
 */
import { describe, expect, it } from 'vitest';
import { LoopLag } from '../../src/server/loop-lag.js';
import { CREDIT_MS, MAX_FORGIVEN_MS, RateLimiter } from '../../src/server/rate-limit.js';

/** How many of `n` requests, all read at `now`, the bucket lets through. */
function admitted(limiter: RateLimiter, n: number, now: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (limiter.tryTake(now)) ok++;
  return ok;
}

describe('RateLimiter', () => {
  it('refuses a burst over `burst` when nothing was stalled', () => {
    const limiter = new RateLimiter(20, 10, 0);
    expect(admitted(limiter, 30, 0)).toBe(10);
  });

  it('after a stall, lets through what a client at the rate sent during it', () => {
    // 3 s stalled at 20/s: up to 60 requests may have arrived meanwhile, on top of a full bucket.
    const limiter = new RateLimiter(20, 10, 0);
    limiter.forgive(3_000, 3_000);
    expect(admitted(limiter, 100, 3_000)).toBe(70);
  });

  it('without forgive(), the same backlog is cut to the burst', () => {
    const limiter = new RateLimiter(20, 10, 0);
    expect(admitted(limiter, 100, 3_000)).toBe(10);
  });

  it('forgives only the stalled part of the time since the last read', () => {
    // 10 s since the last read, of which 1 s stalled: 10 + 20 tokens, not 10 + 200.
    const limiter = new RateLimiter(20, 10, 0);
    limiter.forgive(10_000, 1_000);
    expect(admitted(limiter, 300, 10_000)).toBe(30);
  });

  it('never gives more than refilling at the rate would: credit is only what the cap threw away', () => {
    const limiter = new RateLimiter(20, 10, 0);
    expect(admitted(limiter, 10, 0)).toBe(10);
    // Empty at 0, then 400 ms stalled: 8 tokens refilled, below the cap, so nothing on top.
    limiter.forgive(400, 400);
    expect(admitted(limiter, 100, 400)).toBe(8);
  });

  it(`keeps the credit only ${CREDIT_MS} ms: it cannot be saved up for a later burst`, () => {
    const limiter = new RateLimiter(20, 10, 0);
    limiter.forgive(3_000, 3_000);
    expect(admitted(limiter, 100, 3_000 + CREDIT_MS + 1)).toBe(10);
  });

  it(`forgives at most ${MAX_FORGIVEN_MS / 1000} s of a stall`, () => {
    const limiter = new RateLimiter(20, 10, 0);
    limiter.forgive(60_000, 60_000);
    expect(admitted(limiter, 10_000, 60_000)).toBe(10 + (20 * MAX_FORGIVEN_MS) / 1000);
  });

  it('admits at most burst + rate × time over a run of stalls and bursts', () => {
    const limiter = new RateLimiter(20, 10, 0);
    let ok = 0;
    for (let t = 0; t <= 60_000; t += 500) {
      if (t % 2_000 === 0) limiter.forgive(t, 2_000);
      ok += admitted(limiter, 50, t);
    }
    expect(ok).toBeLessThanOrEqual(10 + 20 * 60);
  });

  it('says how long until the next token', () => {
    const limiter = new RateLimiter(20, 10, 0);
    admitted(limiter, 10, 0);
    expect(limiter.waitMs(0)).toBe(50);
    expect(limiter.waitMs(50)).toBe(0);
    expect(new RateLimiter(0, 10, 0).waitMs(0)).toBe(0);
  });

  it('counts refusals towards flood in take(), not in tryTake()', () => {
    const queued = new RateLimiter(20, 10, 0);
    for (let i = 0; i < 100; i++) queued.tryTake(0);
    expect(queued.take(0)).toBe('limited');
    const refused = new RateLimiter(20, 10, 0);
    const verdicts = Array.from({ length: 30 }, () => refused.take(0));
    expect(verdicts.filter((v) => v === 'ok')).toHaveLength(10);
    expect(verdicts.at(-1)).toBe('flood');
  });
});

describe('LoopLag', () => {
  it('counts the time a tick came late as busy, and nothing for ticks on time', () => {
    const lag = new LoopLag(100, 0);
    lag.tick(100);
    lag.tick(200);
    expect(lag.busy(200)).toBe(0);
    lag.tick(2_300); // 2 s late
    expect(lag.busy(2_300)).toBe(2_000);
  });

  it('counts a stall still going on, and the same stall once when its tick comes', () => {
    const lag = new LoopLag(100, 0);
    expect(lag.busy(1_100)).toBe(1_000);
    lag.tick(1_100);
    expect(lag.busy(1_100)).toBe(1_000);
    expect(lag.busy(1_150)).toBe(1_000);
  });
});

describe('a charge beyond the one token', () => {
  it('puts the bucket into debt, at most one burst deep, and refuses until it has refilled to one token', () => {
    const limiter = new RateLimiter(20, 40, 0);
    expect(limiter.take(0)).toBe('ok');
    limiter.charge(0, 100); // 39 - 100, held at -40
    expect(limiter.take(0)).toBe('limited');
    expect(limiter.take(2_000)).toBe('limited'); // -40 + 2 s x 20 = 0
    expect(limiter.take(2_100)).toBe('ok'); // 2 tokens
  });

  it('costs in proportion: after charges of 5, one burst buys a sixth of the requests', () => {
    const limiter = new RateLimiter(20, 40, 0);
    let answered = 0;
    for (let i = 0; i < 40; i++) {
      if (limiter.take(0) !== 'ok') continue;
      answered++;
      limiter.charge(0, 5);
    }
    expect(answered).toBe(7);
  });

  it('is nothing when flood control is off', () => {
    for (const [rate, burst] of [
      [0, 40],
      [20, 0],
    ] as const) {
      const limiter = new RateLimiter(rate, burst, 0);
      limiter.charge(0, 1_000);
      expect(limiter.take(0)).toBe('ok');
    }
  });
});
