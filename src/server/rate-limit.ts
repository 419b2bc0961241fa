/**
 * @module
 * Token bucket with an injected clock (pure: tests pass `now`). `rate` tokens per second up to
 * `burst`; a rate or a burst of 0 disables the limit (as `--rate 0` and `--burst 0` say). Refusals are counted in a sliding 10 s window so that
 * sustained abuse (more refusals than `burst` within the window) can be told from a brief burst.
 *
 * A backlog the server caused is forgiven. The bucket is read when the server gets to a request,
 * which after a stall of the event loop is later than when its bytes arrived: everything sent
 * during the stall is read at once, and refilling to `burst` at that moment throws away the tokens
 * that arrival-timed requests would have used. forgive() keeps those tokens, as `credit`, for the
 * stall's length at most and only for a moment (CREDIT_MS), long enough to read the backlog and
 * too short to save up. The tokens still come only from refilling at `rate`, so over any span T
 * the bucket admits at most `burst + rate * T` whatever the stalls.
 */
export const FLOOD_WINDOW_MS = 10_000;
/** How long forgiven tokens stay usable: the reads that follow a stall happen within it. */
export const CREDIT_MS = 100;
/** The longest stall forgiven; beyond this the backlog is the client's to send again. */
export const MAX_FORGIVEN_MS = 10_000;

export class RateLimiter {
  private tokens: number;
  private last: number;
  private refusals = 0;
  private windowStart: number;
  /** Tokens the cap would have thrown away while the server was busy; usable until creditUntil. */
  private credit = 0;
  private creditUntil = 0;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
    this.windowStart = now;
  }

  private get off(): boolean {
    return this.rate <= 0 || this.burst <= 0;
  }

  /**
   * The server's event loop was busy for `busyMs` since this client was last read: the requests
   * about to be read may have arrived during that time, so keep for them what the cap would discard.
   */
  forgive(now: number, busyMs: number): void {
    if (this.off || busyMs <= 0) return;
    if (now > this.creditUntil) this.credit = 0;
    const discarded = this.refill(now);
    this.credit += Math.min(discarded, (Math.min(busyMs, MAX_FORGIVEN_MS) / 1000) * this.rate);
    this.creditUntil = now + CREDIT_MS;
  }

  /** Take one token if there is one, without counting a refusal (for callers that queue instead). */
  tryTake(now: number): boolean {
    if (this.off) return true;
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    if (this.credit >= 1 && now <= this.creditUntil) {
      this.credit -= 1;
      return true;
    }
    return false;
  }

  /** Take one token. 'ok', 'limited' (refuse this message) or 'flood' (drop the connection). */
  take(now: number): 'ok' | 'limited' | 'flood' {
    if (this.tryTake(now)) return 'ok';
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
    if (this.off || tokens <= 0) return;
    this.refill(now);
    this.tokens = Math.max(-this.burst, this.tokens - tokens);
  }

  /** Milliseconds until tryTake() can succeed (0: now). */
  waitMs(now: number): number {
    if (this.off) return 0;
    this.refill(now);
    if (this.tokens >= 1 || (this.credit >= 1 && now <= this.creditUntil)) return 0;
    return Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  /** Refill for the time since the last call; returns what the cap threw away. */
  private refill(now: number): number {
    const full = this.tokens + (Math.max(0, now - this.last) / 1000) * this.rate;
    this.tokens = Math.min(this.burst, full);
    this.last = Math.max(this.last, now);
    return full - this.tokens;
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
