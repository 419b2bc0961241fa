import { describe, expect, it } from 'vitest';
import { IndexScheduler, type IndexWork } from '../../src/server/store/index-scheduler.js';

/**
 * The scheduler's timing against a backlog of plain numbers (the SQL of a step is sqlite.ts's, and
 * test/store/sqlite.test.ts runs it on a real file). Each step reads the clock at its start and its
 * end, so `cost` is the time every step takes.
 */
function backlog(rows: number, mergeSteps: number) {
  const log: string[] = [];
  let left = rows;
  let merges = mergeSteps;
  const work: IndexWork = {
    index(n) {
      const indexed = Math.min(n, left);
      left -= indexed;
      log.push(`index ${indexed}`);
      return { indexed, more: left > 0 };
    },
    merge(pages) {
      const worked = merges > 0;
      if (worked) merges--;
      log.push(`merge ${pages}${worked ? '' : ' none'}`);
      return worked;
    },
    behind: () => left,
  };
  return {
    work,
    log,
    add: (n: number) => (left += n),
    left: () => left,
  };
}

describe('IndexScheduler', () => {
  it('indexes in steps that grow while they are fast, then merges until a merge finds nothing', async () => {
    const b = backlog(300, 2);
    const t = 0;
    const s = new IndexScheduler(b.work, { delayMs: 0, budgetMs: 10, maxRows: 128, clock: () => t });
    s.wrote();
    expect(b.log).toEqual([]); // never in the turn that wrote
    await s.settled();
    expect(b.log).toEqual(['index 64', 'index 128', 'index 108', 'merge 8', 'merge 16', 'merge 16 none']);
    s.stop();
  });

  it('halves a step over its budget, but never below an eighth of the rows waiting', async () => {
    const b = backlog(200, 0);
    let t = 0;
    // Every read of the clock moves it 20 ms: each step took 20 ms, over the 10 ms budget.
    const s = new IndexScheduler(b.work, { delayMs: 0, budgetMs: 10, clock: () => (t += 20) });
    s.wrote();
    await s.settled();
    const sizes = b.log.filter((l) => l.startsWith('index')).map((l) => Number(l.split(' ')[1]));
    // 64 (200 left), 32 (136), 16 (104), then the backlog's eighth: 11 of 88, 10 of 77, ...
    expect(sizes.slice(0, 6)).toEqual([64, 32, 16, 11, 10, 9]);
    expect(sizes.reduce((a, x) => a + x, 0)).toBe(200);
    expect(sizes.length).toBeLessThan(40);
    expect(b.left()).toBe(0);
    s.stop();
  });

  it('keeps up with a backlog far larger than its budget allows, in steps of at most maxRows', async () => {
    const b = backlog(100_000, 0);
    let t = 0;
    const s = new IndexScheduler(b.work, { delayMs: 0, budgetMs: 10, maxRows: 2048, clock: () => (t += 20) });
    s.wrote();
    await s.settled();
    const sizes = b.log.filter((l) => l.startsWith('index')).map((l) => Number(l.split(' ')[1]));
    expect(Math.max(...sizes)).toBe(2048);
    // One row a step, as the budget alone would have it, is 100 000 steps.
    expect(sizes.length).toBeLessThan(150);
    expect(b.left()).toBe(0);
    s.stop();
  });

  it('waits delayMs after the first write, so one step takes what came meanwhile', async () => {
    const b = backlog(0, 0);
    const s = new IndexScheduler(b.work, { delayMs: 30 });
    b.add(5);
    s.wrote();
    await new Promise((resolve) => setTimeout(resolve, 5));
    b.add(5);
    s.wrote();
    expect(b.log).toEqual([]);
    await s.settled();
    expect(b.log[0]).toBe('index 10');
    s.stop();
  });

  it('catches up at most the rows asked for, in the step size, at once', () => {
    const b = backlog(5000, 0);
    const s = new IndexScheduler(b.work, { delayMs: 60_000, maxRows: 1000 });
    s.wrote();
    s.catchUp(2500);
    expect(b.log).toEqual(['index 1000', 'index 1000', 'index 500']);
    expect(b.left()).toBe(2500);
    s.stop();
  });

  it('runs no step after stop, and settled() resolves', async () => {
    const b = backlog(100, 5);
    const s = new IndexScheduler(b.work, { delayMs: 0 });
    s.wrote();
    s.stop();
    await s.settled();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(b.log).toEqual([]);
  });
});
