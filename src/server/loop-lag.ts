/**
 * @module
 * How long this process's event loop has been busy: the time a timer fired late. While the loop
 * is busy nothing is read, so bytes that clients sent meanwhile wait in the kernel and are read
 * together afterwards; the rate limiter forgives that backlog (rate-limit.ts forgive()).
 *
 * LoopLag is pure (ticks and clock are given); `loopLag` is the process's one instance, ticked by
 * an unref'd timer started with the first session. It measures real time (the event loop's),
 * whatever clock the server's own logic is given, and reports only durations.
 */
import { performance } from 'node:perf_hooks';

/** Tick period: a stall is measured to within this, and an idle process wakes this often. */
export const LAG_TICK_MS = 100;

export class LoopLag {
  private lastTick: number;
  /** Busy time of the stalls that have ended. */
  private ended = 0;

  constructor(
    private readonly tickMs: number,
    now: number,
  ) {
    this.lastTick = now;
  }

  /** The timer fired at `now`: whatever it was late by was a stall. */
  tick(now: number): void {
    this.ended += Math.max(0, now - this.lastTick - this.tickMs);
    this.lastTick = now;
  }

  /**
   * Total busy time so far, including a stall still going on (read before the timer has caught
   * up), so the difference of two readings is the busy time between them. Never decreases.
   */
  busy(now: number): number {
    return this.ended + Math.max(0, now - this.lastTick - this.tickMs);
  }
}

let shared: LoopLag | undefined;

/** The process's event-loop lag, started on first use. */
export function loopLag(): LoopLag {
  if (!shared) {
    const lag = new LoopLag(LAG_TICK_MS, performance.now());
    setInterval(() => lag.tick(performance.now()), LAG_TICK_MS).unref();
    shared = lag;
  }
  return shared;
}

/** Milliseconds of the process's event-loop busy time so far (see LoopLag.busy). */
export function busyMs(): number {
  return loopLag().busy(performance.now());
}
