/**
 * @module
 * Framing: a 4-byte big-endian length, then that many bytes of payload.
 *
 * FrameDecoder is a two-state machine (HEADER → BODY) that knows nothing about sockets: push() any
 * chunking of the stream and it hands each complete payload to its consumer. The declared length is
 * checked against maxFrame as soon as the 4 header bytes are in, before a single body byte is kept,
 * so a peer can never make it buffer more than maxFrame + 4 bytes.
 */
import { FrameError } from './errors.js';
import { MAX_FRAME } from './messages.js';

export const HEADER_BYTES = 4;

/** Prefix a payload with its length. One allocation, one copy. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

/** Held chunks beyond this many are joined into one (see compact()). */
const MAX_CHUNKS = 64;

export class FrameDecoder {
  /** Unconsumed input: chunks[0] from offset `head` on, then the other chunks whole. */
  private readonly chunks: Buffer[] = [];
  private head = 0;
  private buffered = 0;
  /** -1 while reading a header (state HEADER), else the body length being waited for (state BODY). */
  private bodyLength = -1;
  private stopped = false;
  private paused = false;

  constructor(
    private readonly onPayload: (payload: Buffer) => void,
    private readonly maxFrame: number = MAX_FRAME,
  ) {}

  /** Bytes held waiting for the rest of a frame; never above maxFrame + 4. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Feed bytes. Calls onPayload for every complete frame, in order. Throws FrameError on a zero or
   * oversized declared length; the decoder is then stopped and ignores further input. A consumer
   * may call stop() from inside onPayload to drop the rest of the chunk, or pause() to hold it.
   */
  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.chunks.length > MAX_CHUNKS) this.compact();
    this.run();
  }

  /**
   * Join the newest small chunks into one. A peer that sends a frame a byte at a time would
   * otherwise make us hold one small Buffer per byte, each costing far more than its byte. Like a
   * binary counter's carry, only a run of chunks no bigger than what follows them is joined, so
   * each byte is copied O(log n) times rather than once per join (chunks[0] and `head` stay).
   */
  private compact(): void {
    let i = this.chunks.length - 1;
    let bytes = this.chunks[i]!.length;
    while (i > 1 && this.chunks[i - 1]!.length <= bytes) bytes += this.chunks[--i]!.length;
    this.chunks.push(Buffer.concat(this.chunks.splice(i), bytes));
  }

  /**
   * Stop handing out payloads after the current one; input keeps being buffered (the caller is
   * expected to stop reading its socket too). Used for backpressure by the server.
   */
  pause(): void {
    this.paused = true;
  }

  /** Hand out what was held back by pause(), then carry on normally. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.run();
  }

  private run(): void {
    while (!this.stopped && !this.paused) {
      if (this.bodyLength < 0) {
        if (this.buffered < HEADER_BYTES) return;
        const length = this.readHeader();
        if (length === 0) {
          this.stop();
          throw new FrameError('bad_frame', 'frame length 0: a frame carries at least one byte');
        }
        if (length > this.maxFrame) {
          this.stop();
          throw new FrameError('frame_too_large', `frame of ${length} bytes is over the limit of ${this.maxFrame}`);
        }
        this.bodyLength = length;
      }
      if (this.buffered < this.bodyLength) return;
      const payload = this.consume(this.bodyLength);
      this.bodyLength = -1;
      this.onPayload(payload);
    }
  }

  /** Drop buffered input and ignore everything pushed from now on. */
  stop(): void {
    this.stopped = true;
    this.chunks.length = 0;
    this.head = 0;
    this.buffered = 0;
  }

  /** The 4 header bytes, read in place when they sit in one chunk (the common case). */
  private readHeader(): number {
    const first = this.chunks[0]!;
    if (first.length - this.head >= HEADER_BYTES) {
      const n = first.readUInt32BE(this.head);
      this.skip(HEADER_BYTES);
      return n;
    }
    return this.consume(HEADER_BYTES).readUInt32BE(0);
  }

  /** Advance past n bytes of chunks[0], which holds at least that many. */
  private skip(n: number): void {
    this.buffered -= n;
    this.head += n;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  /**
   * Take n buffered bytes: a zero-copy view when they sit in one chunk, else one copy. The offset
   * `head` saves re-slicing the rest of the chunk for every frame: one view per payload, no more.
   */
  private consume(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) {
      const out = this.head === 0 && n === first.length ? first : first.subarray(this.head, this.head + n);
      this.skip(n);
      return out;
    }
    this.buffered -= n;
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const take = Math.min(chunk.length - this.head, n - filled);
      chunk.copy(out, filled, this.head, this.head + take);
      filled += take;
      this.head += take;
      if (this.head === chunk.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    return out;
  }
}
