/**
 * @module
 * Outbox: the only writer to a session's socket.
 *
 * Contract (after Ergo's socket.Write): write() never blocks and never reorders. The bytes not yet
 * taken by the kernel (the socket's writableLength, which includes what is corked) are what the
 * reader owes: when more than maxSendq is already pending, a write is not made and onOverflow is
 * called once, so the session can drop the slow reader. The bound is on what is pending before
 * the write, not after it, so a single reply bigger than maxSendq (the `users` of a busy room)
 * still reaches a reader that is keeping up; pending bytes stay below maxSendq plus one write.
 * Nothing else buffers output in user space.
 *
 * Coalescing: the first write to an outbox in an event-loop turn corks its socket; one setImmediate
 * for the whole process uncorks every corked socket, so all frames for one socket in one turn go
 * out as one writev.
 *
 * Deferred writes (presence: `joined`/`left` to a room's other members) may wait up to
 * DEFER_MS: while an outbox holds only deferred bytes it keeps them itself, until one process-wide
 * timer hands every such outbox's bytes over, so a join storm's hundreds of notices per member
 * leave in one write(2) instead of one each (n²/2 system calls for n arrivals). They are held as a
 * list of Buffers and handed to the socket as ONE chunk: a chunk written to a Node stream costs a
 * buffered-request object, its accounting and an iovec, which per notice was most of the storm's
 * JavaScript and garbage. The first ordinary write moves the outbox to the end-of-turn flush,
 * with what it had deferred handed over before it: bytes are never reordered, only held, so
 * nothing a member reads changes but when.
 */

/** A corked burst this large is written out without waiting for the end of the turn. */
const EARLY_FLUSH_BYTES = 64 * 1024;

/** The longest a deferred write waits for company. */
export const DEFER_MS = 100;

/** The part of a socket the Outbox uses (a net.Socket or tls.TLSSocket; a fake in unit tests). */
export interface OutboxSocket {
  readonly writableLength: number;
  readonly writable: boolean;
  readonly destroyed: boolean;
  cork(): void;
  uncork(): void;
  write(bytes: Uint8Array): boolean;
  end(): void;
}

const corked: Outbox[] = [];
let flushScheduled = false;
/** Invariant: exactly the outboxes corked with deferred bytes only (state 'deferred'). */
const deferred = new Set<Outbox>();
let deferTimer: NodeJS.Timeout | undefined;
const beforeFlush = new Set<() => void | Promise<unknown>>();

/**
 * Held output, for an asynchronous store (PostgreSQL): while a hook that holds is registered,
 * write() keeps bytes in the outbox, each chunk tagged with the flush that will commit it (the
 * next one to start); a flush's hooks answer with promises, and once they and every earlier flush
 * have settled, every outbox writes out its chunks up to that flush. So a client never has a
 * message the store does not, bytes never reorder, and a busy socket is never starved by the
 * next turn's writes. Invariant: `holders` counts registered holding hooks; `started` counts
 * flushes begun; a chunk is written once every flush up to its tag has settled.
 */
let holders = 0;
let started = 0;
let releasing: Promise<void> = Promise.resolve();
const holding = new Set<Outbox>();

/**
 * Run `hook` before any corked byte is handed to a socket (the shared flush, the deferred flush,
 * an early flush, an end): the store commits the turn's messages there, so nothing leaves before
 * it is durable. `holds`: the hook answers with a promise, and the flush's bytes wait for it to
 * settle (resolved or rejected; see "Held output"). Returns the function that removes it.
 */
export function onBeforeFlush(hook: () => void | Promise<unknown>, holds = false): () => void {
  beforeFlush.add(hook);
  if (holds) holders++;
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    beforeFlush.delete(hook);
    if (holds && --holders === 0) for (const outbox of holding) outbox.release(Infinity);
  };
}

/** Run every hook; the promises of those that answer with one go into `waits`. */
function runBeforeFlush(waits?: Promise<unknown>[]): void {
  for (const hook of beforeFlush) {
    const r = hook();
    if (r instanceof Promise) waits?.push(r.catch(() => {}));
  }
}

/** A flush of held output: its bytes go once its commits and every earlier flush have settled. */
function flushHeld(): void {
  const flush = ++started;
  const waits: Promise<unknown>[] = [];
  runBeforeFlush(waits);
  releasing = Promise.all([releasing, ...waits]).then(() => {
    for (const outbox of [...holding]) outbox.release(flush);
  });
}

function flushAll(): void {
  flushScheduled = false;
  if (holders > 0) {
    flushHeld();
    return;
  }
  runBeforeFlush();
  // Uncorking may run callbacks that write again; those cork anew and schedule the next flush.
  const batch = corked.splice(0);
  for (const outbox of batch) outbox.uncork();
}

function flushDeferred(): void {
  deferTimer = undefined;
  runBeforeFlush();
  const batch = [...deferred];
  deferred.clear();
  for (const outbox of batch) outbox.uncork();
}

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flushAll);
}

/** none: not corked; now: flushed at the end of the turn; deferred: flushed by the defer timer. */
type CorkState = 'none' | 'now' | 'deferred';

export class Outbox {
  private cork: CorkState = 'none';
  private overflowed = false;
  /** Deferred bytes not yet given to the socket; non-empty only in state 'deferred'. */
  private deferredChunks: Buffer[] = [];
  private deferredBytes = 0;

  private readonly flushAt: number;

  constructor(
    private readonly socket: OutboxSocket,
    private readonly maxSendq: number,
    private readonly onOverflow: () => void,
  ) {
    this.flushAt = Math.min(EARLY_FLUSH_BYTES, maxSendq / 4);
  }

  /** Held output (see "Held output"): chunks, each with the flush that commits it. */
  private held: { flush: number; bytes: Buffer }[] = [];
  private heldBytes = 0;
  private ending = false;

  /** Unsent bytes for this socket: in it, deferred, or held for a commit. */
  get queued(): number {
    return this.socket.writableLength + this.deferredBytes + this.heldBytes;
  }

  get writable(): boolean {
    return !this.overflowed && this.socket.writable && !this.socket.destroyed;
  }

  /**
   * Queue bytes; false when not written (socket closing, or more than maxSendq already pending).
   * `defer`: they may wait up to DEFER_MS for more (presence); anything written after them waits
   * with them or takes them along, never overtakes them.
   */
  write(bytes: Buffer, defer = false): boolean {
    // The hot path of every delivery: the `writable` and `queued` getters written out, and a
    // socket already corked for this turn takes the bytes at once (cost: docs/PERFORMANCE.md).
    const socket = this.socket;
    if (this.overflowed || this.ending || !socket.writable || socket.destroyed) return false;
    const queued = socket.writableLength + this.deferredBytes + this.heldBytes;
    if (queued > this.maxSendq) {
      this.overflowed = true;
      this.onOverflow();
      return false;
    }
    if (this.cork !== 'now' || holders > 0) return this.writeCorking(bytes, defer, queued);
    socket.write(bytes);
    // Held and corked bytes count as queued although the kernel would take them at once; hand a
    // large burst over early so that the sendq bound measures the reader, not our batching.
    // The socket is corked here, so what it holds grew by exactly these bytes.
    if (queued + bytes.length >= this.flushAt) this.uncork();
    return true;
  }

  /** write() when the bytes are held, deferred, or the first of this turn (the socket corks). */
  private writeCorking(bytes: Buffer, defer: boolean, queued: number): boolean {
    if (holders > 0) {
      this.held.push({ flush: started + 1, bytes });
      this.heldBytes += bytes.length;
      holding.add(this);
      scheduleFlush();
      return true;
    }
    if (this.cork === 'none') {
      this.socket.cork();
      if (defer) {
        this.cork = 'deferred';
        deferred.add(this);
        deferTimer ??= setTimeout(flushDeferred, DEFER_MS);
      } else {
        this.cork = 'now';
        corked.push(this);
        scheduleFlush();
      }
    } else if (this.cork === 'deferred' && !defer) {
      this.cork = 'now';
      deferred.delete(this);
      corked.push(this);
      scheduleFlush();
      this.releaseDeferred();
    }
    if (this.cork === 'deferred') {
      this.deferredChunks.push(bytes);
      this.deferredBytes += bytes.length;
    } else this.socket.write(bytes);
    // As in write(); releasing the deferred bytes only moved them into the socket.
    if (queued + bytes.length >= this.flushAt) this.uncork();
    return true;
  }

  /** Give the held deferred bytes to the (corked) socket as one chunk, ahead of anything after them. */
  private releaseDeferred(): void {
    if (this.deferredChunks.length === 0) return;
    const chunk = this.deferredChunks.length === 1 ? this.deferredChunks[0]! : Buffer.concat(this.deferredChunks, this.deferredBytes);
    this.deferredChunks = [];
    this.deferredBytes = 0;
    // A socket destroyed meanwhile takes nothing more (as it would have dropped them itself).
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(chunk);
  }

  /** @internal Called by the shared flush. */
  uncork(): void {
    if (this.cork === 'none') return;
    if (this.cork === 'deferred') {
      deferred.delete(this);
      this.releaseDeferred();
    }
    this.cork = 'none';
    // The shared flush ran the hooks already; an early flush or an end runs them here.
    if (flushScheduled) runBeforeFlush();
    if (!this.socket.destroyed) this.socket.uncork();
  }

  /** @internal Write the held chunks of flushes up to `flush` (their commits have settled). */
  release(flush: number): void {
    let n = 0;
    while (n < this.held.length && this.held[n]!.flush <= flush) n++;
    if (n > 0 && !this.socket.destroyed) {
      this.socket.cork();
      for (let i = 0; i < n; i++) this.socket.write(this.held[i]!.bytes);
      this.socket.uncork();
    }
    for (let i = 0; i < n; i++) this.heldBytes -= this.held[i]!.bytes.length;
    this.held.splice(0, n);
    if (this.held.length > 0) return;
    holding.delete(this);
    if (this.ending && !this.socket.destroyed) this.socket.end();
  }

  /** Write what is queued now and end the socket once it has been flushed (held output: once released). */
  end(): void {
    this.uncork();
    if (this.held.length > 0) {
      this.ending = true;
      return;
    }
    if (!this.socket.destroyed) this.socket.end();
  }
}
