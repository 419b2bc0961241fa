/**
 * @module
 * AsyncQueue: a single-consumer queue behind `for await`. The producer pushes; the consumer pulls.
 * Bounded both ways: while a consumer is iterating, past `highWater` queued items it calls onFull
 * (the Connection pauses its socket) and, once drained below half, onDrain. While nobody iterates
 * (a bot that only uses events), it keeps the newest `highWater` items and drops older ones, so
 * an unread queue neither grows nor stalls the connection.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private failer: ((e: unknown) => void) | undefined;
  private done = false;
  private error: unknown;
  private iterating = false;
  private full = false;

  constructor(
    private readonly highWater = 10_000,
    private readonly onFull?: () => void,
    private readonly onDrain?: () => void,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.done) return;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = this.failer = undefined;
      resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (!this.iterating) {
      if (this.length > this.highWater) this.take();
      return;
    }
    if (!this.full && this.length >= this.highWater) {
      this.full = true;
      this.onFull?.();
    }
  }

  /** End the queue: the consumer gets what is queued, then the end (or `error` if given). */
  stop(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    if (this.waiter && this.length === 0) {
      const [resolve, reject] = [this.waiter, this.failer!];
      this.waiter = this.failer = undefined;
      if (error !== undefined) reject(error);
      else resolve({ value: undefined, done: true });
    }
  }

  private take(): T {
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    if (this.full && this.length <= this.highWater / 2) {
      this.full = false;
      this.onDrain?.();
    }
    return item;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterating) throw new Error('AsyncQueue: already being iterated (one consumer at a time)');
    this.iterating = true;
    return {
      next: () => {
        if (this.length > 0) return Promise.resolve({ value: this.take(), done: false });
        if (this.done) {
          return this.error !== undefined ? Promise.reject(this.error) : Promise.resolve({ value: undefined, done: true });
        }
        return new Promise<IteratorResult<T>>((resolve, reject) => {
          this.waiter = resolve;
          this.failer = reject;
        });
      },
      return: () => {
        this.iterating = false;
        if (this.full) {
          this.full = false;
          this.onDrain?.();
        }
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
