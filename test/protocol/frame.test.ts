import { describe, expect, it } from 'vitest';
import { encode, encodeFrame, FrameDecoder, FrameError, HEADER_BYTES, MAX_FRAME } from '../../src/protocol/internal.js';

/** A decoder that records every payload it hands out (copied: views may share the input). */
function recorder(maxFrame?: number): { decoder: FrameDecoder; payloads: Buffer[] } {
  const payloads: Buffer[] = [];
  const decoder = new FrameDecoder((p) => payloads.push(Buffer.from(p)), maxFrame);
  return { decoder, payloads };
}

/** Payloads of varied lengths and contents: 1 byte up to a few KiB. */
function samplePayloads(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.alloc(1 + ((i * 37) % 3000), i % 251));
}

function header(length: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32BE(length, 0);
  return h;
}

function catchFrameError(fn: () => void): FrameError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FrameError) return err;
    throw err;
  }
  throw new Error('expected a FrameError, nothing was thrown');
}

describe('encodeFrame', () => {
  it('prefixes the payload with its length as a 4-byte big-endian integer', () => {
    const frame = encodeFrame(Buffer.from([0xaa, 0xbb, 0xcc]));
    expect([...frame]).toEqual([0, 0, 0, 3, 0xaa, 0xbb, 0xcc]);
  });

  it('writes lengths above 255 in network byte order', () => {
    const frame = encodeFrame(Buffer.alloc(0x012345));
    expect([...frame.subarray(0, 4)]).toEqual([0x00, 0x01, 0x23, 0x45]);
    expect(frame.length).toBe(0x012345 + 4);
  });
});

describe('FrameDecoder', () => {
  it('decodes large frames fed a byte at a time, also when a frame starts inside a chunk', () => {
    const payloads: Buffer[] = [];
    const decoder = new FrameDecoder((p) => payloads.push(Buffer.from(p)));
    const big = encode({ type: 'say', text: 'x'.repeat(5_000) });
    const next = encode({ type: 'say', text: 'y'.repeat(300) });
    // The first chunk holds a whole frame and 3 bytes of the next; the rest comes byte by byte,
    // so the held chunks are joined many times, starting from an offset into the first one.
    decoder.push(Buffer.concat([next, big.subarray(0, 3)]));
    for (let i = 3; i < big.length; i++) decoder.push(big.subarray(i, i + 1));
    for (const b of next) decoder.push(Buffer.from([b]));
    expect(payloads.map((p) => p.length)).toEqual([next.length - 4, big.length - 4, next.length - 4]);
    expect(payloads[1]!.equals(big.subarray(4))).toBe(true);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes a frame fed one byte at a time', () => {
    const { decoder, payloads } = recorder();
    const inputs = samplePayloads(20);
    const stream = Buffer.concat(inputs.map(encodeFrame));
    for (let i = 0; i < stream.length; i++) decoder.push(stream.subarray(i, i + 1));
    expect(payloads).toEqual(inputs);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes thousands of frames that arrive in one chunk, in order', () => {
    const { decoder, payloads } = recorder();
    const inputs = Array.from({ length: 5000 }, (_, i) => Buffer.from(`frame number ${i}`));
    decoder.push(Buffer.concat(inputs.map(encodeFrame)));
    expect(payloads).toHaveLength(5000);
    expect(payloads.map(String)).toEqual(inputs.map(String));
  });

  it('joins a frame split across several writes, including inside the header', () => {
    const { decoder, payloads } = recorder();
    const frame = encodeFrame(Buffer.from('hello, split world'));
    decoder.push(frame.subarray(0, 2));
    decoder.push(frame.subarray(2, 7));
    expect(payloads).toEqual([]);
    expect(decoder.bufferedBytes).toBe(3);
    decoder.push(frame.subarray(7));
    expect(payloads.map(String)).toEqual(['hello, split world']);
  });

  it('hands out a frame that ends mid-chunk and keeps the start of the next one', () => {
    const { decoder, payloads } = recorder();
    const stream = Buffer.concat([encodeFrame(Buffer.from('one')), encodeFrame(Buffer.from('two'))]);
    decoder.push(stream.subarray(0, 9));
    expect(payloads.map(String)).toEqual(['one']);
    expect(decoder.bufferedBytes).toBe(2);
    decoder.push(stream.subarray(9));
    expect(payloads.map(String)).toEqual(['one', 'two']);
  });

  it('accepts a frame of exactly maxFrame bytes', () => {
    const { decoder, payloads } = recorder(100);
    decoder.push(encodeFrame(Buffer.alloc(100, 7)));
    expect(payloads).toEqual([Buffer.alloc(100, 7)]);
  });

  it('refuses a zero length with FrameError bad_frame', () => {
    const { decoder, payloads } = recorder();
    const err = catchFrameError(() => decoder.push(header(0)));
    expect(err.code).toBe('bad_frame');
    expect(payloads).toEqual([]);
  });

  it('refuses a length of maxFrame + 1 with FrameError frame_too_large', () => {
    const { decoder } = recorder(100);
    expect(catchFrameError(() => decoder.push(header(101))).code).toBe('frame_too_large');
  });

  it('refuses an oversized length from the 4 header bytes alone, before any body arrives', () => {
    const { decoder, payloads } = recorder(MAX_FRAME);
    // The header of a 10 MiB frame, without its body: the decoder must not wait for the body.
    const err = catchFrameError(() => decoder.push(header(10 * 1024 * 1024)));
    expect(err.code).toBe('frame_too_large');
    expect(err.message).toContain(String(MAX_FRAME));
    expect(decoder.bufferedBytes).toBe(0);
    expect(payloads).toEqual([]);
  });

  it('keeps nothing of an oversized frame whose header was split across writes', () => {
    const { decoder } = recorder(MAX_FRAME);
    const h = header(MAX_FRAME + 1);
    decoder.push(h.subarray(0, 3));
    expect(decoder.bufferedBytes).toBe(3);
    expect(catchFrameError(() => decoder.push(h.subarray(3))).code).toBe('frame_too_large');
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('ignores all input once it has refused a frame (the stream is out of sync)', () => {
    const { decoder, payloads } = recorder(100);
    catchFrameError(() => decoder.push(header(1000)));
    decoder.push(encodeFrame(Buffer.from('after')));
    expect(payloads).toEqual([]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('never buffers more than maxFrame + 4 bytes while a large frame trickles in', () => {
    const maxFrame = 8192;
    const { decoder, payloads } = recorder(maxFrame);
    const frame = encodeFrame(Buffer.alloc(maxFrame, 1));
    let peak = 0;
    for (let i = 0; i < frame.length; i += 100) {
      decoder.push(frame.subarray(i, i + 100));
      peak = Math.max(peak, decoder.bufferedBytes);
    }
    expect(payloads).toHaveLength(1);
    expect(peak).toBeLessThanOrEqual(maxFrame + HEADER_BYTES);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('delivers the frames before a bad header and then throws', () => {
    const { decoder, payloads } = recorder(100);
    const stream = Buffer.concat([encodeFrame(Buffer.from('good')), header(0)]);
    expect(catchFrameError(() => decoder.push(stream)).code).toBe('bad_frame');
    expect(payloads.map(String)).toEqual(['good']);
  });

  it('drops the rest of a chunk when the consumer calls stop() from onPayload', () => {
    const seen: string[] = [];
    const decoder: FrameDecoder = new FrameDecoder((p) => {
      seen.push(String(p));
      decoder.stop();
    });
    decoder.push(Buffer.concat([encodeFrame(Buffer.from('a')), encodeFrame(Buffer.from('b'))]));
    expect(seen).toEqual(['a']);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('holds payloads while paused and hands them out in order on resume', () => {
    const seen: string[] = [];
    const decoder: FrameDecoder = new FrameDecoder((p) => {
      seen.push(String(p));
      if (seen.length === 1) decoder.pause();
    });
    decoder.push(Buffer.concat(['a', 'b', 'c'].map((s) => encodeFrame(Buffer.from(s)))));
    expect(seen).toEqual(['a']);
    decoder.resume();
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});
