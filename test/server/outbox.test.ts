/**
 * Outbox against a fake of the socket interface it writes to (OutboxSocket): coalescing by
 * corking, order, the sendq bound measured before the write, and closing. The real-socket
 * behaviour (a slow reader dropped with sendq_exceeded) is tested in hardening.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { DEFER_MS, Outbox, type OutboxSocket } from '../../src/server/outbox.js';

/**
 * Keeps what net.Socket keeps: corks nest, writes while corked are held, and writableLength is
 * every byte not yet taken by the peer. `reading: false` is a peer that takes nothing.
 */
class FakeSocket implements OutboxSocket {
  writable = true;
  destroyed = false;
  reading = true;
  writableLength = 0;
  /** cork, uncork, end, and each handover to the kernel as `send N` (N bytes in one writev). */
  readonly calls: string[] = [];
  /** Bytes in the order they were handed over. */
  readonly sent: Buffer[] = [];
  /** write() calls: each is a chunk Node's stream keeps and accounts for until the kernel takes it. */
  writes = 0;
  private corks = 0;
  private held: Buffer[] = [];

  cork(): void {
    this.corks++;
    this.calls.push('cork');
  }

  uncork(): void {
    this.calls.push('uncork');
    if (this.corks > 0 && --this.corks === 0) this.handOver();
  }

  write(chunk: Uint8Array): boolean {
    this.writes++;
    const bytes = Buffer.from(chunk);
    this.held.push(bytes);
    this.writableLength += bytes.length;
    if (this.corks === 0) this.handOver();
    return true;
  }

  end(): void {
    this.writable = false;
    this.calls.push('end');
  }

  private handOver(): void {
    if (this.held.length === 0) return;
    const bytes = Buffer.concat(this.held.splice(0));
    this.sent.push(bytes);
    this.calls.push(`send ${bytes.length}`);
    if (this.reading) this.writableLength -= bytes.length;
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function outbox(maxSendq = 1024 * 1024): { socket: FakeSocket; box: Outbox; overflows: () => number } {
  const socket = new FakeSocket();
  let overflows = 0;
  const box = new Outbox(socket, maxSendq, () => overflows++);
  return { socket, box, overflows: () => overflows };
}

const bytes = (n: number, fill = 0x61): Buffer => Buffer.alloc(n, fill);

describe('Outbox coalescing', () => {
  it.each([1, 2, 10, 100])('hands %i writes made in one turn to the socket as one write, in order', async (count) => {
    const { socket, box } = outbox();
    for (let i = 0; i < count; i++) expect(box.write(Buffer.from([i]))).toBe(true);
    expect(socket.sent).toEqual([]);
    await nextTurn();
    expect(socket.calls).toEqual(['cork', 'uncork', `send ${count}`]);
    expect([...socket.sent[0]!]).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it('corks anew in the next turn', async () => {
    const { socket, box } = outbox();
    box.write(bytes(1));
    await nextTurn();
    box.write(bytes(2));
    await nextTurn();
    expect(socket.calls).toEqual(['cork', 'uncork', 'send 1', 'cork', 'uncork', 'send 2']);
  });

  it('flushes every outbox written in a turn with one shared flush', async () => {
    const boxes = [outbox(), outbox(), outbox()];
    for (const { box } of boxes) box.write(bytes(3));
    await nextTurn();
    for (const { socket } of boxes) expect(socket.calls).toEqual(['cork', 'uncork', 'send 3']);
  });

  it.each([
    // [maxSendq, write size, writes, handovers before the turn ends]: early at min(64 KiB, maxSendq / 4)
    [1024 * 1024, 16 * 1024, 3, 0],
    [1024 * 1024, 16 * 1024, 4, 1],
    [1024 * 1024, 16 * 1024, 9, 2],
    [4096, 512, 1, 0],
    [4096, 512, 2, 1],
    [4096, 512, 4, 2],
  ])(
    'with maxSendq %i, hands %i-byte writes over early once a corked burst reaches the mark (%i writes → %i early)',
    async (maxSendq, size, writes, early) => {
      const { socket, box } = outbox(maxSendq);
      for (let i = 0; i < writes; i++) box.write(bytes(size));
      expect(socket.sent).toHaveLength(early);
      await nextTurn();
      expect(Buffer.concat(socket.sent).length).toBe(size * writes);
    },
  );
});

describe('Outbox sendq bound', () => {
  it.each([
    // [pending before the write, maxSendq, written?]
    [0, 1000, true],
    [1000, 1000, true],
    [1001, 1000, false],
  ])('with %i bytes pending and maxSendq %i, writes: %s', (pending, maxSendq, written) => {
    const { socket, box, overflows } = outbox(maxSendq);
    socket.reading = false;
    socket.writableLength = pending;
    expect(box.write(bytes(10))).toBe(written);
    expect(overflows()).toBe(written ? 0 : 1);
    expect(box.queued).toBe(written ? pending + 10 : pending);
  });

  it('lets one write bigger than maxSendq through to a reader that is keeping up', async () => {
    const { socket, box, overflows } = outbox(1000);
    expect(box.write(bytes(50_000))).toBe(true);
    await nextTurn();
    expect(socket.sent.map((b) => b.length)).toEqual([50_000]);
    expect(overflows()).toBe(0);
  });

  it('calls onOverflow once and writes nothing more after it', async () => {
    const { socket, box, overflows } = outbox(1000);
    socket.reading = false;
    const results = Array.from({ length: 10 }, () => box.write(bytes(400)));
    // 0, 400, 800 pending: written; 1200 pending: over.
    expect(results).toEqual([true, true, true, ...Array(7).fill(false)]);
    expect(overflows()).toBe(1);
    expect(box.writable).toBe(false);
    await nextTurn();
    expect(Buffer.concat(socket.sent).length).toBe(1200);
  });
});

describe('Outbox closing', () => {
  it.each([
    ['destroyed', (s: FakeSocket) => (s.destroyed = true)],
    ['no longer writable', (s: FakeSocket) => (s.writable = false)],
  ])('writes nothing to a socket that is %s', (_what, close) => {
    const { socket, box, overflows } = outbox();
    close(socket);
    expect(box.writable).toBe(false);
    expect(box.write(bytes(5))).toBe(false);
    expect(socket.calls).toEqual([]);
    expect(overflows()).toBe(0);
  });

  it('end() hands over what is corked, then ends the socket', () => {
    const { socket, box } = outbox();
    box.write(bytes(7));
    box.end();
    expect(socket.calls).toEqual(['cork', 'uncork', 'send 7', 'end']);
  });

  it('end() leaves a destroyed socket alone, and the turn-end flush does not uncork it', async () => {
    const { socket, box } = outbox();
    box.write(bytes(7));
    socket.destroyed = true;
    box.end();
    await nextTurn();
    expect(socket.calls).toEqual(['cork']);
  });
});

describe('Outbox deferred writes (presence)', () => {
  const afterDefer = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, DEFER_MS + 20));

  it('holds deferred writes made in many turns and hands them over as one write, in order', async () => {
    const { socket, box } = outbox();
    for (let i = 0; i < 5; i++) {
      box.write(Buffer.from([i]), true);
      await nextTurn();
    }
    expect(socket.sent).toEqual([]);
    await afterDefer();
    expect(socket.calls).toEqual(['cork', 'uncork', 'send 5']);
    expect([...socket.sent[0]!]).toEqual([0, 1, 2, 3, 4]);
  });

  it('sends what was deferred ahead of an ordinary write, at the end of that turn', async () => {
    const { socket, box } = outbox();
    box.write(Buffer.from([1]), true);
    await nextTurn();
    box.write(Buffer.from([2]), true);
    box.write(Buffer.from([3]));
    box.write(Buffer.from([4]), true);
    await nextTurn();
    expect(socket.calls).toEqual(['cork', 'uncork', 'send 4']);
    expect([...socket.sent[0]!]).toEqual([1, 2, 3, 4]);
    await afterDefer();
    expect(socket.calls).toEqual(['cork', 'uncork', 'send 4']);
  });

  it('flushes every deferred outbox with one shared timer, and end() does not wait for it', async () => {
    const boxes = [outbox(), outbox(), outbox()];
    for (const { box } of boxes) box.write(bytes(2), true);
    boxes[2]!.box.end();
    expect(boxes[2]!.socket.calls).toEqual(['cork', 'uncork', 'send 2', 'end']);
    await afterDefer();
    for (const { socket } of boxes.slice(0, 2)) expect(socket.calls).toEqual(['cork', 'uncork', 'send 2']);
  });

  it('gives the socket a window of deferred writes as one chunk, not one chunk per write', async () => {
    const { socket, box } = outbox();
    for (let i = 0; i < 100; i++) box.write(Buffer.from([i]), true);
    await afterDefer();
    // Counted, not timed: a join storm's per-notice cost was a stream chunk per notice per member.
    expect(socket.writes).toBe(1);
    expect([...socket.sent[0]!]).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('gives deferred writes to the socket as one chunk ahead of an ordinary write in the same turn', async () => {
    const { socket, box } = outbox();
    for (let i = 0; i < 10; i++) box.write(Buffer.from([i]), true);
    box.write(Buffer.from([10]));
    box.write(Buffer.from([11]), true);
    await nextTurn();
    expect(socket.writes).toBe(3);
    expect([...socket.sent[0]!]).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('counts held deferred bytes as queued (what the sendq bound and read pausing look at)', () => {
    const { socket, box } = outbox(1000);
    // Below flushAt (maxSendq / 4), so nothing is handed over yet.
    for (let i = 0; i < 2; i++) box.write(bytes(100), true);
    expect(socket.sent).toEqual([]);
    expect(box.queued).toBe(200);
  });

  it('hands a large deferred burst over early, as it does an ordinary one', () => {
    const { socket, box } = outbox(4096);
    for (let i = 0; i < 2; i++) box.write(bytes(512), true);
    expect(socket.sent.map((b) => b.length)).toEqual([1024]);
  });
});
