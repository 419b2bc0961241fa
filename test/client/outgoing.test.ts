/**
 * The outgoing lines as a state machine: each transition (enqueue, next, settle, disconnect,
 * connect) from a given value and clock to the next value, what goes on the wire and when to wake.
 */
import { describe, expect, it } from 'vitest';
import {
  connect,
  createOutgoing,
  disconnect,
  enqueue,
  next,
  pace,
  settle,
  type Line,
  type Outgoing,
  type Outcome,
  type PaceOptions,
} from '../../src/client/outgoing.js';

const say = (text: string): Line => ({ kind: 'say', text });

/** A connected value with `texts` queued, none sent yet. */
function queued(texts: string[], options?: PaceOptions): Outgoing {
  let o = connect(createOutgoing(options));
  for (const t of texts) o = enqueue(o, say(t), 0).outgoing;
  return o;
}

const lines = (n: number): string[] => Array.from({ length: n }, (_, i) => `line ${i + 1}`);

type Step = { next: number } | { settle: string; outcome: Outcome; at: number } | 'disconnect' | 'connect' | { enqueue: string };

/** Run steps from `o`; for every `next` step, the labels sent and the wake-up time. */
function drive(o: Outgoing, steps: Step[]): { outgoing: Outgoing; nexts: [string[], number | undefined][]; slowed: boolean[] } {
  const nexts: [string[], number | undefined][] = [];
  const slowed: boolean[] = [];
  for (const step of steps) {
    if (step === 'disconnect') o = disconnect(o);
    else if (step === 'connect') o = connect(o);
    else if ('enqueue' in step) o = enqueue(o, say(step.enqueue), 0).outgoing;
    else if ('next' in step) {
      const r = next(o, step.next);
      o = r.outgoing;
      nexts.push([r.send.map((l) => l.label), r.wakeAt]);
    } else {
      const r = settle(o, step.settle, step.outcome, step.at);
      o = r.outgoing;
      slowed.push(r.slowed);
    }
  }
  return { outgoing: o, nexts, slowed };
}

describe('outgoing lines', () => {
  it('labels lines in the order they are typed, and keeps when each was typed', () => {
    let o = createOutgoing();
    const labels: string[] = [];
    for (const [i, line] of [
      say('a'),
      { kind: 'me', text: 'waves' } as const,
      { kind: 'msg', to: 'bob', text: 'psst' } as const,
    ].entries()) {
      const r = enqueue(o, line, 1000 + i);
      labels.push(r.label);
      o = r.outgoing;
    }
    expect(labels).toEqual(['1', '2', '3']);
    expect(o.lines).toEqual([
      { kind: 'say', text: 'a', label: '1', ts: 1000 },
      { kind: 'me', text: 'waves', label: '2', ts: 1001 },
      { kind: 'msg', to: 'bob', text: 'psst', label: '3', ts: 1002 },
    ]);
  });

  it('never changes the value it is given', () => {
    const o = queued(['a', 'b']);
    const copy = structuredClone({ lines: o.lines, inFlight: [...o.inFlight], bucket: o.bucket });
    next(o, 0);
    settle(next(o, 0).outgoing, '1', 'rate_limited', 0);
    disconnect(o);
    expect({ lines: o.lines, inFlight: [...o.inFlight], bucket: o.bucket }).toEqual(copy);
  });

  it.each<[string, Outgoing, Step[], [string[], number | undefined][]]>([
    ['offline, nothing goes and nothing wakes', enqueue(createOutgoing(), say('a'), 0).outgoing, [{ next: 0 }], [[[], undefined]]],
    [
      'a burst of 10 goes at once, the 11th 1/10 s later',
      queued(lines(12)),
      [{ next: 0 }, { next: 50 }, { next: 100 }],
      [
        [['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'], 100],
        [[], 100],
        [['11'], 200],
      ],
    ],
    [
      'a smaller bucket: a burst, then one line per 1/rate seconds',
      queued(lines(5), { rate: 10, burst: 3, minRate: 1 }),
      [{ next: 0 }, { next: 50 }, { next: 100 }],
      [
        [['1', '2', '3'], 100],
        [[], 100],
        [['4'], 200],
      ],
    ],
    [
      'after a quiet spell the bucket refills to the burst, no further',
      queued(lines(2), { rate: 10, burst: 2, minRate: 1 }),
      [{ next: 0 }, { enqueue: 'x' }, { enqueue: 'y' }, { enqueue: 'z' }, { next: 60_000 }],
      [
        [['1', '2'], undefined],
        [['3', '4'], 60_100],
      ],
    ],
    [
      'nothing left to send: no wake-up',
      queued(lines(2)),
      [{ next: 0 }, { next: 10 }],
      [
        [['1', '2'], undefined],
        [[], undefined],
      ],
    ],
    [
      'a line on the wire is not sent twice',
      queued(['a']),
      [{ next: 0 }, { enqueue: 'b' }, { next: 1_000 }],
      [
        [['1'], undefined],
        [['2'], undefined],
      ],
    ],
  ])('next: %s', (_what, start, steps, expected) => {
    expect(drive(start, steps).nexts).toEqual(expected);
  });

  it.each<[string, Outcome, string[], string[]]>([
    ['a delivered line leaves the queue', 'delivered', ['b'], ['2']],
    ['a refused line leaves the queue', 'refused', ['b'], ['2']],
    ['a line refused for the rate goes back to its place, off the wire', 'rate_limited', ['a', 'b'], ['2']],
  ])('settle: %s', (_what, outcome, left, inFlight) => {
    const sent = next(queued(['a', 'b']), 0).outgoing;
    const r = settle(sent, '1', outcome, 0);
    expect(r.line).toMatchObject({ label: '1', text: 'a' });
    expect(r.outgoing.lines.map((l) => l.text)).toEqual(left);
    expect([...r.outgoing.inFlight]).toEqual(inFlight);
  });

  it.each<[string, Outgoing]>([
    ['a label that is none of ours', next(queued(['a']), 0).outgoing],
    ['a label of a line not on the wire (typed, not yet sent)', queued(['a'])],
  ])('settle ignores %s', (_what, o) => {
    const label = o.inFlight.size > 0 ? '7' : '1';
    const r = settle(o, label, 'delivered', 0);
    expect(r).toEqual({ outgoing: o, line: undefined, slowed: false });
  });

  it('after a refusal for the rate: the pace halves, the bucket empties, one line in flight at a time, in order', () => {
    const { outgoing, nexts, slowed } = drive(queued(lines(4)), [
      { next: 0 }, // 1-4 on the wire
      { settle: '1', outcome: 'rate_limited', at: 0 },
      { settle: '2', outcome: 'rate_limited', at: 0 },
      { settle: '3', outcome: 'delivered', at: 20 },
      { settle: '4', outcome: 'delivered', at: 20 },
      { next: 20 }, // empty bucket at 5/s: 1 waits until 200
      { next: 250 }, // 1 goes, alone
      { next: 400 }, // 2 waits for 1's answer, not for the clock
      { settle: '1', outcome: 'delivered', at: 450 },
      { next: 450 },
    ]);
    expect(slowed).toEqual([true, false, false, false, false]);
    expect(pace(outgoing)).toBe(5);
    expect(nexts).toEqual([
      [['1', '2', '3', '4'], undefined],
      [[], 200],
      [['1'], undefined],
      [[], undefined],
      [['2'], undefined],
    ]);
  });

  it('halves once per burst of refusals, down to the minimum pace', () => {
    let o = next(queued(lines(30), { rate: 8, burst: 8, minRate: 1 }), 0).outgoing;
    const halved: boolean[] = [];
    for (let i = 1; i <= 8; i++) {
      const r = settle(o, String(i), 'rate_limited', i * 10);
      halved.push(r.slowed);
      o = r.outgoing;
    }
    expect(halved).toEqual([true, false, false, false, false, false, false, false]);
    expect(pace(o)).toBe(4);
    for (let s = 1; s <= 10; s++) {
      const sent = next(o, s * 1_000);
      o = settle(sent.outgoing, sent.send[0]!.label, 'rate_limited', s * 1_000).outgoing;
    }
    expect(pace(o)).toBe(1);
  });

  it('halves again for a line sent at the slower pace and refused anyway, however soon after the last halving', () => {
    // A server whose own delays bunch our lines refuses one sent at the new pace 300 ms after the
    // first halving: that is a new over-send, and the pace must go down again, or every line of
    // the next second may be refused too and the server counts it a flood.
    const { outgoing, slowed, nexts } = drive(queued(lines(4)), [
      { next: 0 }, // 1-4 on the wire
      { settle: '1', outcome: 'rate_limited', at: 100 }, // halves to 5/s
      { settle: '2', outcome: 'rate_limited', at: 101 }, // same burst: once
      { settle: '3', outcome: 'delivered', at: 110 },
      { settle: '4', outcome: 'delivered', at: 110 },
      { next: 320 }, // 1 goes again, alone, at 5/s
      { settle: '1', outcome: 'rate_limited', at: 400 }, // sent after the halving: halves again
    ]);
    expect(nexts.map(([sent]) => sent)).toEqual([['1', '2', '3', '4'], ['1']]);
    expect(slowed).toEqual([true, false, false, false, true]);
    expect(pace(outgoing)).toBe(2.5);
  });

  it('on a drop, everything on the wire goes back to the queue in order; a new connection sends it all again at the full pace', () => {
    const { outgoing, nexts } = drive(queued(lines(3)), [
      { next: 0 },
      { settle: '2', outcome: 'delivered', at: 0 },
      { settle: '1', outcome: 'rate_limited', at: 0 }, // slower, one at a time
      'disconnect',
      { enqueue: 'typed offline' },
      { next: 5_000 },
      'connect',
      { next: 5_000 },
    ]);
    expect(nexts).toEqual([
      [['1', '2', '3'], undefined],
      [[], undefined],
      [['1', '3', '4'], undefined],
    ]);
    expect(outgoing.lines.map((l) => l.text)).toEqual(['line 1', 'line 3', 'typed offline']);
    expect(pace(outgoing)).toBe(10);
    expect(outgoing.oneAtATime).toBe(false);
  });

  it('an answer from before the drop settles nothing afterwards: the line waits to go again', () => {
    const dropped = disconnect(next(queued(['a']), 0).outgoing);
    expect(settle(dropped, '1', 'delivered', 0).line).toBeUndefined();
    expect(dropped.lines.map((l) => l.text)).toEqual(['a']);
  });
});
