/**
 * @module
 * Token bucket with an injected clock (pure: tests pass `now`). `rate` tokens per second up to
 * `burst`; a rate or a burst of 0 disables the limit (as `--rate 0` and `--burst 0` say). Refusals are counted in a sliding 10 s window so that
 * sustained abuse (more refusals than `burst` within the window) can be told from a brief burst.
 */
export const FLOOD_WINDOW_MS = 10_000;

export class RateLimiter {
  private tokens: number;
  private last: number;
  private refusals = 0;
  private windowStart: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
    this.windowStart = now;
  }

  /** Take one token. 'ok', 'limited' (refuse this message) or 'flood' (drop the connection). */
  take(now: number): 'ok' | 'limited' | 'flood' {
    if (this.rate <= 0 || this.burst <= 0) return 'ok';
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'ok';
    }
    if (now - this.windowStart > FLOOD_WINDOW_MS) {
      this.windowStart = now;
      this.refusals = 0;
    }
    this.refusals++;
    return this.refusals > Math.max(this.burst, 10) ? 'flood' : 'limited';
  }

  /**
   * Take `tokens` more for a request already admitted whose reply is big (IRC servers charge
   * WHO/NAMES/LIST the same way). The bucket may go into debt, at most one burst deep, and take()
   * refuses until it has refilled to one token: a big reply is paid for by waiting afterwards.
   */
  charge(now: number, tokens: number): void {
    if (this.rate <= 0 || this.burst <= 0 || tokens <= 0) return;
    this.tokens = Math.max(-this.burst, Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate) - tokens);
    this.last = now;
  }
}

/** Counts events in a sliding one-minute window (payload errors, failed passwords). */
export class MinuteCounter {
  private stamps: number[] = [];

  constructor(private readonly limit: number) {}

  /** Record one event; true when the count in the last minute is over the limit. */
  hit(now: number): boolean {
    this.stamps = this.stamps.filter((t) => now - t < 60_000);
    this.stamps.push(now);
    if (this.stamps.length > this.limit + 1) this.stamps.shift();
    return this.stamps.length > this.limit;
  }

  /** Events in the last minute. */
  count(now: number): number {
    return this.stamps.filter((t) => now - t < 60_000).length;
  }

  over(now: number): boolean {
    return this.count(now) >= this.limit;
  }
}
