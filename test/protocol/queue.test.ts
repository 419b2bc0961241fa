import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AsyncQueue } from '../../src/protocol/internal.js';

async function drain<T>(queue: AsyncQueue<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of queue) out.push(item);
  return out;
}

describe('AsyncQueue', () => {
  it('yields what was pushed before iteration, in order, and ends after stop()', async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    queue.push(2);
    queue.stop();
    expect(await drain(queue)).toEqual([1, 2]);
  });

  it('wakes a waiting consumer when an item arrives', async () => {
    const queue = new AsyncQueue<string>();
    const it = queue[Symbol.asyncIterator]();
    const pending = it.next();
    queue.push('late');
    expect(await pending).toEqual({ value: 'late', done: false });
  });

  it('hands out queued items before the error given to stop(err)', async () => {
    const queue = new AsyncQueue<number>();
    const it = queue[Symbol.asyncIterator]();
    queue.push(1);
    queue.stop(new Error('gone'));
    expect(await it.next()).toEqual({ value: 1, done: false });
    await expect(it.next()).rejects.toThrow('gone');
  });

  it('rejects a consumer that is already waiting when stopped with an error', async () => {
    const queue = new AsyncQueue<number>();
    const pending = queue[Symbol.asyncIterator]().next();
    queue.stop(new Error('connection lost'));
    await expect(pending).rejects.toThrow('connection lost');
  });

  it('ignores pushes after stop()', async () => {
    const queue = new AsyncQueue<number>();
    queue.stop();
    queue.push(1);
    expect(await drain(queue)).toEqual([]);
  });

  it('allows one consumer at a time', () => {
    const queue = new AsyncQueue<number>();
    queue[Symbol.asyncIterator]();
    expect(() => queue[Symbol.asyncIterator]()).toThrow(/one consumer/);
  });

  it('lets a new consumer start after the previous one broke out of its loop', async () => {
    const queue = new AsyncQueue<number>();
    for (const n of [1, 2, 3]) queue.push(n);
    for await (const n of queue) if (n === 1) break;
    queue.stop();
    expect(await drain(queue)).toEqual([2, 3]);
  });

  it('keeps only the newest highWater items while nobody iterates', async () => {
    const queue = new AsyncQueue<number>(3);
    for (let n = 1; n <= 10; n++) queue.push(n);
    expect(queue.length).toBe(3);
    queue.stop();
    expect(await drain(queue)).toEqual([8, 9, 10]);
  });

  it('signals full at highWater while iterated and drained at half, dropping nothing', async () => {
    const events: string[] = [];
    const queue = new AsyncQueue<number>(
      4,
      () => events.push('full'),
      () => events.push('drain'),
    );
    const it = queue[Symbol.asyncIterator]();
    for (let n = 1; n <= 6; n++) queue.push(n);
    expect(events).toEqual(['full']);
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push((await it.next()).value as number);
    expect(events).toEqual(['full', 'drain']);
    queue.stop();
    for (let r = await it.next(); !r.done; r = await it.next()) got.push(r.value);
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('signals drained when a consumer leaves a full queue', async () => {
    const events: string[] = [];
    const queue = new AsyncQueue<number>(
      2,
      () => events.push('full'),
      () => events.push('drain'),
    );
    const it = queue[Symbol.asyncIterator]();
    queue.push(1);
    queue.push(2);
    await it.return!();
    expect(events).toEqual(['full', 'drain']);
  });

  it('delivers every item once and in order, however pushes and pulls interleave', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 200 }), fc.integer({ min: 1, max: 8 }), async (ops, highWater) => {
        const queue = new AsyncQueue<number>(highWater);
        const it = queue[Symbol.asyncIterator]();
        const got: number[] = [];
        // A consumer awaits each next() before asking again, as `for await` does.
        let waiting = false;
        const pull = (): void => {
          waiting = true;
          void it.next().then((r) => {
            waiting = false;
            if (!r.done) got.push(r.value);
          });
        };
        let pushed = 0;
        for (const isPush of ops) {
          if (isPush) queue.push(pushed++);
          else if (!waiting) pull();
          await Promise.resolve();
        }
        queue.stop();
        for (let i = 0; waiting && i < 10; i++) await Promise.resolve();
        expect(waiting).toBe(false);
        for (let r = await it.next(); !r.done; r = await it.next()) got.push(r.value);
        expect(got).toEqual(Array.from({ length: pushed }, (_, i) => i));
      }),
      { numRuns: 200 },
    );
  });
});
