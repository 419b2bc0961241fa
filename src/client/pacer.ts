/**
 * @module
 * Pacer: how fast the client sends lines, so that a paste or a piped file is never refused by the
 * server's flood control (PROTOCOL.md: 20 frames/s, bursts of 40, by default). A token bucket at
 * half the rate leaves room for the pings and requests that share the budget, and a burst of 10
 * stays within the refusals a server forgives before it calls it a flood (max(burst, 10) in 10 s),
 * whatever its own burst; when a server
 * refuses a line anyway (it was started with a lower --rate), the pace halves, down to one line a
 * second; the refusals of one burst count once, since they all answer the same over-send. People
 * typing never meet it. Pure: the clock is passed in.
 */

export interface PacerOptions {
  /** Lines per second, sustained. */
  rate: number;
  /** Lines that may go at once after a quiet spell. */
  burst: number;
  /** The slowest pace that slowDown() goes to, lines per second. */
  minRate: number;
}

/** Refusals closer together than this answer the same burst: they halve the pace once. */
const SLOW_DOWN_EVERY_MS = 1_000;

const DEFAULT_PACE: PacerOptions = { rate: 10, burst: 10, minRate: 1 };

export class Pacer {
  private rate: number;
  private burst: number;
  private tokens: number;
  private last: number | undefined;
  private slowedAt = -Infinity;

  constructor(private readonly opts: PacerOptions = DEFAULT_PACE) {
    this.rate = opts.rate;
    this.burst = opts.burst;
    this.tokens = opts.burst;
  }

  /** Take a token for one line: 0 when it may go now, else the milliseconds until it may. */
  take(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.rate);
  }

  /**
   * The server refused a line: start from an empty bucket, at half the pace (once a second at
   * most). True when the pace did halve.
   */
  slowDown(now: number): boolean {
    this.refill(now);
    this.tokens = 0;
    if (now - this.slowedAt < SLOW_DOWN_EVERY_MS) return false;
    this.slowedAt = now;
    this.rate = Math.max(this.opts.minRate, this.rate / 2);
    this.burst = Math.max(1, Math.floor(this.burst / 2));
    return true;
  }

  /** Lines per second now. */
  get pace(): number {
    return this.rate;
  }

  private refill(now: number): void {
    if (this.last !== undefined) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }
}
