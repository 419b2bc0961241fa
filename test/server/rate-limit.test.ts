/**
 * The token bucket and the event-loop lag, with the clock given: what a stall forgives, and that
 * it forgives nothing else; and the extra charge for big replies.
 */
import { describe, expect, it } from 'vitest';
import { LoopLag } from '../../src/server/loop-lag.js';
import { CREDIT_MS, FLOOD_WINDOW_MS, MAX_FORGIVEN_MS, MinuteCounter, RateLimiter } from '../../src/server/rate-limit.js';

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

describe('RateLimiter verdicts', () => {
  it.each<[string, [rate: number, burst: number], [at: number, count: number][], string]>([
    // [what, [rate, burst], batches of take() at a time, verdicts as o(k) l(imited) f(lood)]
    ['a full bucket', [20, 5], [[0, 5]], 'ooooo'],
    ['one over the burst', [20, 5], [[0, 6]], 'oooool'],
    [
      'refilled by one token after 1/rate s',
      [20, 5],
      [
        [0, 6],
        [50, 2],
      ],
      'oooool' + 'ol',
    ],
    [
      'refilled to the burst, no more, after a long pause',
      [20, 5],
      [
        [0, 5],
        [60_000, 6],
      ],
      'ooooo' + 'oooool',
    ],
    ['flood after max(burst, 10) refusals', [20, 5], [[0, 16]], 'ooooo' + 'llllllllll' + 'f'],
    ['flood after burst refusals when burst > 10', [1, 12], [[0, 25]], 'o'.repeat(12) + 'l'.repeat(12) + 'f'],
    [
      'refusals forgotten once the window has passed',
      [1, 5],
      [
        [0, 15],
        [FLOOD_WINDOW_MS + 1, 11],
      ],
      'ooooo' + 'l'.repeat(10) + 'ooooo' + 'llllll',
    ],
    ['no limit with rate 0', [0, 5], [[0, 100]], 'o'.repeat(100)],
    ['no limit with burst 0', [20, 0], [[0, 100]], 'o'.repeat(100)],
  ])('%s', (_what, [rate, burst], batches, verdicts) => {
    const limiter = new RateLimiter(rate, burst, 0);
    let got = '';
    for (const [at, count] of batches) for (let i = 0; i < count; i++) got += limiter.take(at)[0];
    expect(got).toBe(verdicts);
  });

  it.each<[string, (l: RateLimiter) => void, number, number]>([
    // [what, what happened at 0, then waitMs at 0, and at 25 ms]; rate 20/s, burst 2
    ['a full bucket', () => {}, 0, 0],
    ['an empty bucket', (l) => admitted(l, 2, 0), 50, 25],
    ['a debt of 2 after a charge', (l) => (admitted(l, 2, 0), l.charge(0, 2)), 150, 125],
    ['a charge deeper than one burst, held at -burst', (l) => (admitted(l, 2, 0), l.charge(0, 100)), 150, 125],
  ])('waitMs: %s', (_what, before, atZero, at25) => {
    const limiter = new RateLimiter(20, 2, 0);
    before(limiter);
    expect(limiter.waitMs(0)).toBe(atZero);
    expect(limiter.waitMs(25)).toBe(at25);
    // The wait is exact: one millisecond early the token is not there, on time it is.
    if (atZero > 0) {
      expect(limiter.tryTake(atZero - 1)).toBe(false);
      expect(limiter.tryTake(atZero)).toBe(true);
    }
  });

  it('waitMs is 0 while forgiven credit lasts, then counts from the refill again', () => {
    const limiter = new RateLimiter(20, 2, 0);
    limiter.forgive(1_000, 1_000); // 20 tokens thrown away by the cap: credit
    admitted(limiter, 2, 1_000);
    expect(limiter.waitMs(1_000)).toBe(0);
    expect(limiter.waitMs(1_000 + CREDIT_MS + 1)).toBe(0); // refilled 2 tokens by then
    expect(admitted(limiter, 100, 1_000 + CREDIT_MS + 1)).toBe(2);
  });

  it('a clock that goes back neither refills nor throws away tokens', () => {
    const limiter = new RateLimiter(20, 4, 1_000);
    admitted(limiter, 4, 1_000);
    expect(admitted(limiter, 10, 0)).toBe(0);
    expect(admitted(limiter, 10, 1_050)).toBe(1);
  });
});

describe('MinuteCounter', () => {
  it.each<[string, number, number[], boolean[], number]>([
    // [what, limit, hit() times, what each hit() says, count() at the last time]
    ['under the limit', 3, [0, 1, 2], [false, false, false], 3],
    ['over the limit on the fourth of three', 3, [0, 1, 2, 3], [false, false, false, true], 4],
    ['forgets hits older than a minute', 3, [0, 1, 2, 60_000, 60_001], [false, false, false, false, false], 3],
    ['a hit exactly a minute old is gone', 1, [0, 60_000], [false, false], 1],
    ['a hit a minute less a millisecond old still counts', 1, [0, 59_999], [false, true], 2],
    ['holds at most limit + 1 hits however many come', 2, Array(1_000).fill(5), [false, false, ...Array(998).fill(true)], 3],
  ])('%s', (_what, limit, times, verdicts, count) => {
    const counter = new MinuteCounter(limit);
    expect(times.map((t) => counter.hit(t))).toEqual(verdicts);
    expect(counter.count(times.at(-1)!)).toBe(count);
  });

  it.each([
    // [hits at 0, over() at 0, over() a minute later]; limit 2: over() once it is reached
    [1, false, false],
    [2, true, false],
    [5, true, false],
  ])('with %i hits, over() says %s and a minute later %s', (hits, now, later) => {
    const counter = new MinuteCounter(2);
    for (let i = 0; i < hits; i++) counter.hit(0);
    expect(counter.over(0)).toBe(now);
    expect(counter.over(60_000)).toBe(later);
  });
});
