/**
 * @module
 * Retention: the scheduler of Store.prune. A pass calls prune() once per event-loop turn (each
 * call is bounded by the store to a batch of rows and a few ms, sqlite.ts), so chat goes on
 * between the batches, and ends when the store says there is no more. A pass runs at start-up,
 * every `periodMs`, and when asked (`run()`, e.g. when the disk is full, so whatever retention
 * allows is freed at once). At most one pass runs at a time; nothing runs when neither a maximum
 * age nor a per-room cap is set.
 */
import type { Logger } from './log.js';
import type { Store } from './store/store.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often a pass starts. */
export const RETENTION_PERIOD_MS = 60_000;
/** prune() calls in one pass at most: a bound on a pass whatever the store reports. */
const MAX_CALLS_PER_PASS = 1_000_000;

export interface RetentionPolicy {
  /** Messages older than this many days are removed; 0 keeps them forever. */
  days: number;
  /** Messages a room keeps at most (its oldest go first); 0 for no cap. */
  roomCap: number;
}

export class Retention {
  /** Passes finished (for tests and logs). */
  passes = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  /** The last pass failed (logged once). */
  private failing = false;
  /** Resolvers waiting for the current pass to end (idle()). */
  private waiting: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly policy: RetentionPolicy,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly periodMs = RETENTION_PERIOD_MS,
  ) {}

  get enabled(): boolean {
    return this.policy.days > 0 || this.policy.roomCap > 0;
  }

  /** The first pass now, then one every period. */
  start(): void {
    if (!this.enabled || this.stopped || this.timer) return;
    this.timer = setInterval(() => this.run(), this.periodMs);
    this.timer.unref();
    this.run();
  }

  /** Start a pass now; one already running runs another straight after (it may be past its rows). */
  run(): void {
    if (!this.enabled || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    let removed = 0;
    let calls = 0;
    const step = (): void => {
      if (this.stopped) return this.finish(removed, calls, true);
      // The cut-off moves with the clock, so a long pass never removes what is still young.
      const olderThan = this.policy.days > 0 ? this.now() - this.policy.days * DAY_MS : 0;
      calls++;
      this.store.prune(olderThan, this.policy.roomCap).then(
        (r) => {
          removed += r.removed;
          if (r.more && calls < MAX_CALLS_PER_PASS && !this.stopped) setImmediate(step);
          else this.finish(removed, calls, true);
        },
        (err: unknown) => {
          // Logged once until a pass succeeds again: while the disk is full every pass may fail,
          // and the archive tells the operators about that.
          if (!this.failing) this.log.warn('history_prune_failed', { error: String((err as Error)?.message ?? err), removed });
          this.failing = true;
          this.finish(removed, calls, false);
        },
      );
    };
    step();
  }

  private finish(removed: number, calls: number, ok: boolean): void {
    this.running = false;
    if (ok) this.failing = false;
    this.passes++;
    if (removed > 0) this.log.info('history_pruned', { removed, calls });
    if (this.again && !this.stopped) {
      this.again = false;
      this.run();
      return;
    }
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  /** Resolves once no pass is running. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** No further passes; a running one ends after its current batch. */
  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    return this.idle();
  }
}
