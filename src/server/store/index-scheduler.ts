/**
 * @module
 * When the SQLite store writes its search index: in steps of their own, in later event-loop turns,
 * each sized to a time budget, never inside a chat commit. This module holds the timing only; the
 * SQL of a step is the store's (sqlite.ts).
 *
 * Why. FTS5 does its expensive work when it is written to: every write transaction leaves a new
 * segment, and `automerge` merges segments inside the transaction that crosses its threshold, a
 * "crisis merge" inside whatever commit reaches 16 segments on one level. Tied to the chat commit,
 * that put the index's merges, and the delete entries retention writes, in the turn that delivers
 * chat: 20-30 ms stalls at a million messages (docs/PERFORMANCE.md, "The search index in steps").
 * Here the store commits only the rows in the chat turn; this scheduler then
 *
 * 1. indexes the rows committed since the last step, `delayMs` after the first of them, at most
 *    `size` rows a step, one transaction each; `size` adapts to the time the last step took
 *    (halved over `budgetMs`, doubled after a full step under half of it), as prune's batch does.
 *    But the index must keep up: a step takes at least an eighth of the rows waiting (up to
 *    `maxRows`), so under a flood that fills every turn, when one step a turn of budget size
 *    indexed a few thousand rows a second and fell 150 000 behind in the small room's 5 s, the
 *    steps grow with the backlog and it stays a few turns' worth (docs/PERFORMANCE.md);
 * 2. once nothing is left to index, runs merge steps (FTS5 'merge' of at most `mergePages` pages,
 *    with automerge off in the table), one per turn while they find work, so segments never pile
 *    up to a crisis merge. Retention calls `dirty()` after deleting, so its delete entries are
 *    merged away the same way.
 *
 * Indexing comes before merging: rows waiting are indexed first, and merging resumes after.
 */

export interface IndexWork {
  /** Index at most `rows` rows of the backlog in one transaction; `more`: rows are still waiting. */
  index(rows: number): { indexed: number; more: boolean };
  /** Rows waiting to be indexed, at most (an estimate is enough). */
  behind(): number;
  /** One merge step of at most `pages` pages; true when it did work (another may find more). */
  merge(pages: number): boolean;
}

export interface IndexSchedulerOptions {
  /** Wait this long after a write before indexing, so one step takes many rows. */
  delayMs?: number;
  /** Time a step should take. */
  budgetMs?: number;
  /** Rows a step takes at most. */
  maxRows?: number;
  /** A monotonic clock in ms (tests inject one). */
  clock?: () => number;
  /** Each step as it ends: for the bench and tests. */
  onStep?: (kind: 'index' | 'merge', ms: number, amount: number) => void;
}

const DEFAULTS = { delayMs: 50, budgetMs: 2, maxRows: 2048 };
/** A step's first size, in rows and in merge pages. */
const START_ROWS = 64;
/** A step takes at least 1/CATCH_UP of the rows waiting: the backlog shrinks within a few turns. */
const CATCH_UP = 8;
const START_PAGES = 8;
/**
 * Pages a merge step writes at most. Larger steps did not merge faster and made the tail: at a
 * million messages, up to 256 pages gave merge steps of 10-19 ms, up to 16 at most 4-5 ms.
 */
const MAX_PAGES = 16;
/**
 * Merge steps in a row at most before they wait for the next write. FTS5 reports work while any
 * level holds enough segments; a finite index runs out of them long before this.
 */
const MAX_MERGE_STEPS = 100_000;

export class IndexScheduler {
  private readonly opts: Required<Omit<IndexSchedulerOptions, 'onStep'>> & Pick<IndexSchedulerOptions, 'onStep'>;
  private rows = START_ROWS;
  private pages = START_PAGES;
  /** Rows are committed and not indexed (as far as the scheduler knows). */
  private backlog = false;
  /** When the oldest waiting write was reported (clock ms). */
  private since = 0;
  private merging = false;
  private mergeSteps = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly work: IndexWork,
    options: IndexSchedulerOptions = {},
  ) {
    this.opts = {
      delayMs: options.delayMs ?? DEFAULTS.delayMs,
      budgetMs: options.budgetMs ?? DEFAULTS.budgetMs,
      maxRows: Math.max(1, options.maxRows ?? DEFAULTS.maxRows),
      clock: options.clock ?? (() => performance.now()),
      onStep: options.onStep,
    };
    this.rows = Math.min(this.rows, this.opts.maxRows);
  }

  /** Rows were committed that the index does not hold yet. */
  wrote(): void {
    if (this.stopped) return;
    if (!this.backlog) {
      this.backlog = true;
      this.since = this.opts.clock();
    }
    this.plan();
  }

  /** The index was written outside a step (retention's deletes): merge when there is time. */
  dirty(): void {
    if (this.stopped) return;
    this.merging = true;
    this.mergeSteps = 0;
    this.plan();
  }

  /** Resolves once nothing waits to be indexed or merged (tests and the bench wait on it). */
  settled(): Promise<void> {
    if (this.stopped || (!this.backlog && !this.merging)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Index up to `rows` waiting rows now, in steps of the usual size (a search needs them). */
  catchUp(rows: number): void {
    if (this.stopped || !this.backlog) return;
    let left = rows;
    while (left > 0 && this.backlog) {
      const n = Math.min(left, this.opts.maxRows);
      const { indexed, more } = this.work.index(n);
      left -= Math.max(1, indexed);
      if (!more) this.indexedAll();
    }
    this.plan();
  }

  /** No more steps; a step under way finishes first (steps are synchronous). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.wake();
  }

  private indexedAll(): void {
    this.backlog = false;
    this.merging = true;
    this.mergeSteps = 0;
  }

  /** Arrange the next step: now (next turn) if it is due, else when the delay ends. */
  private plan(): void {
    if (this.stopped || this.immediate) return;
    const due = this.backlog ? this.since + this.opts.delayMs - this.opts.clock() : Number.POSITIVE_INFINITY;
    if (due <= 0 || this.merging) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate = setImmediate(() => this.step());
    } else if (this.backlog) {
      if (this.timer) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.step();
      }, due);
    } else {
      this.wake();
    }
  }

  private step(): void {
    this.immediate = undefined;
    if (this.stopped) return;
    const started = this.opts.clock();
    if (this.backlog && started - this.since >= this.opts.delayMs) {
      const size = Math.min(this.opts.maxRows, Math.max(this.rows, Math.ceil(this.work.behind() / CATCH_UP)));
      const { indexed, more } = this.work.index(size);
      const took = this.opts.clock() - started;
      this.rows = adapt(size, took, this.opts.budgetMs, indexed >= size, 1, this.opts.maxRows);
      this.opts.onStep?.('index', took, indexed);
      if (more) this.since = started - this.opts.delayMs;
      else this.indexedAll();
    } else if (this.merging) {
      const size = this.pages;
      const worked = this.work.merge(size);
      const took = this.opts.clock() - started;
      this.pages = adapt(size, took, this.opts.budgetMs, worked, 1, MAX_PAGES);
      this.opts.onStep?.('merge', took, worked ? size : 0);
      this.mergeSteps++;
      if (!worked || this.mergeSteps >= MAX_MERGE_STEPS) this.merging = false;
    }
    this.plan();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Halve after a step over the budget; double after a full step under half of it (prune's batch too). */
export function adapt(size: number, took: number, budget: number, full: boolean, min: number, max: number): number {
  if (took > budget) return Math.max(min, Math.floor(size / 2));
  if (full && took < budget / 2) return Math.min(max, size * 2);
  return size;
}
