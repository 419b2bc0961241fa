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
const beforeFlush = new Set<() => void>();

/**
 * Run `hook` before any corked byte is handed to a socket (the shared flush, the deferred flush,
 * an early flush, an end): the store commits the turn's messages there, so nothing leaves before
 * it is durable. Returns the function that removes it.
 */
export function onBeforeFlush(hook: () => void): () => void {
  beforeFlush.add(hook);
  return () => beforeFlush.delete(hook);
}

function runBeforeFlush(): void {
  for (const hook of beforeFlush) hook();
}

function flushAll(): void {
  flushScheduled = false;
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
  private held: Buffer[] = [];
  private heldBytes = 0;

  private readonly flushAt: number;

  constructor(
    private readonly socket: OutboxSocket,
    private readonly maxSendq: number,
    private readonly onOverflow: () => void,
  ) {
    this.flushAt = Math.min(EARLY_FLUSH_BYTES, maxSendq / 4);
  }

  /** Unsent bytes held for this socket. */
  get queued(): number {
    return this.socket.writableLength + this.heldBytes;
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
    if (!this.writable) return false;
    const queued = this.queued;
    if (queued > this.maxSendq) {
      this.overflowed = true;
      this.onOverflow();
      return false;
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
      this.release();
    }
    if (this.cork === 'deferred') {
      this.held.push(bytes);
      this.heldBytes += bytes.length;
    } else this.socket.write(bytes);
    // Held and corked bytes count as queued although the kernel would take them at once; hand a
    // large burst over early so that the sendq bound measures the reader, not our batching.
    // The socket is corked here, so what it holds grew by exactly these bytes (release only moved some).
    if (queued + bytes.length >= this.flushAt) this.uncork();
    return true;
  }

  /** Give the held deferred bytes to the (corked) socket as one chunk, ahead of anything after them. */
  private release(): void {
    if (this.held.length === 0) return;
    const chunk = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    // A socket destroyed meanwhile takes nothing more (as it would have dropped them itself).
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(chunk);
  }

  /** @internal Called by the shared flush. */
  uncork(): void {
    if (this.cork === 'none') return;
    if (this.cork === 'deferred') {
      deferred.delete(this);
      this.release();
    }
    this.cork = 'none';
    // The shared flush ran the hooks already; an early flush or an end runs them here.
    if (flushScheduled) runBeforeFlush();
    if (!this.socket.destroyed) this.socket.uncork();
  }

  /** Write what is queued now and end the socket once it has been flushed. */
  end(): void {
    this.uncork();
    if (!this.socket.destroyed) this.socket.end();
  }
}
