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
 */

/** A corked burst this large is written out without waiting for the end of the turn. */
const EARLY_FLUSH_BYTES = 64 * 1024;

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
const beforeFlush = new Set<() => void>();

/**
 * Run `hook` before any corked byte is handed to a socket (the shared flush, an early flush, an
 * end): the store commits the turn's messages there, so nothing leaves before it is durable.
 * Returns the function that removes it.
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

export class Outbox {
  private isCorked = false;
  private overflowed = false;

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
    return this.socket.writableLength;
  }

  get writable(): boolean {
    return !this.overflowed && this.socket.writable && !this.socket.destroyed;
  }

  /** Queue bytes; false when not written (socket closing, or more than maxSendq already pending). */
  write(bytes: Buffer): boolean {
    if (!this.writable) return false;
    if (this.socket.writableLength > this.maxSendq) {
      this.overflowed = true;
      this.onOverflow();
      return false;
    }
    if (!this.isCorked) {
      this.isCorked = true;
      this.socket.cork();
      corked.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushAll);
      }
    }
    this.socket.write(bytes);
    // Corked bytes count in writableLength although the kernel would take them at once; hand a
    // large burst over early so that the sendq bound measures the reader, not our batching.
    if (this.socket.writableLength >= this.flushAt) this.uncork();
    return true;
  }

  /** @internal Called by the shared flush. */
  uncork(): void {
    if (!this.isCorked) return;
    this.isCorked = false;
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
