/**
 * The token bucket's extra charge for big replies, with the clock passed in.
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/server/rate-limit.js';

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
