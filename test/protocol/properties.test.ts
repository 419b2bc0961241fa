/**
 * Properties of the wire layer that must hold for every input, checked with fast-check.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decode,
  encode,
  encodePayload,
  FrameDecoder,
  FrameError,
  parseClientMessage,
  ProtocolError,
  textProblem,
} from '../../src/protocol/internal.js';

/** Message-like maps: a string type plus fields of the kinds our messages carry. */
const field = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.integer(),
  fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 5 }),
);
// msgpackr renames a "__proto__" key on decode (a guard against prototype pollution).
const key = fc.string({ maxLength: 12 }).filter((k) => k !== '__proto__');
const message = fc
  .tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.dictionary(key, field, { maxKeys: 6 }))
  .map(([type, fields]) => ({ ...fields, type }));

/** Split `bytes` at the given cut points (any numbers; taken modulo the length). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    parts.push(bytes.subarray(start, p));
    start = p;
  }
  parts.push(bytes.subarray(start));
  return parts;
}

/** Feed chunks to a decoder and run every payload through decode + validation, as the server does. */
function serverSide(chunks: Uint8Array[], maxFrame: number): void {
  const decoder = new FrameDecoder((payload) => {
    try {
      parseClientMessage(decode(payload));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
    }
  }, maxFrame);
  for (const chunk of chunks) decoder.push(Buffer.from(chunk));
}

function isTypedError(err: unknown): boolean {
  return err instanceof FrameError || err instanceof ProtocolError;
}

describe('wire properties', () => {
  it('any split of any sequence of frames decodes to the same messages', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (messages, cuts) => {
        const stream = Buffer.concat(messages.map((m) => encode(m)));
        const decoded: unknown[] = [];
        const decoder = new FrameDecoder((p) => decoded.push(decode(p)));
        for (const part of split(stream, cuts)) decoder.push(part);
        expect(decoded).toEqual(messages);
        expect(decoder.bufferedBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes only ever yield FrameError or ProtocolError', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }), fc.integer({ min: 1, max: 512 }), (chunks, maxFrame) => {
        try {
          serverSide(chunks, maxFrame);
        } catch (err) {
          expect(isTypedError(err)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('random payloads in well-formed frames only ever yield ProtocolError', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { maxLength: 5 }), (payloads) => {
        const frames = payloads.map((p) => {
          const frame = Buffer.alloc(4 + p.length);
          frame.writeUInt32BE(p.length, 0);
          frame.set(p, 4);
          return frame;
        });
        // No FrameError is possible here: every length is in range, so the stream stays in sync.
        serverSide(frames, 1024);
      }),
      { numRuns: 1000 },
    );
  });

  it('valid messages with bytes flipped only ever yield typed errors', () => {
    const base = fc.constantFrom<object>(
      { type: 'hello', name: 'alice', password: 'pw', client: 'x' },
      { type: 'say', text: 'hello world', action: true },
      { type: 'msg', to: 'bob', text: 'psst' },
      { type: 'join', room: '#rust' },
      { type: 'ping', token: 123456 },
    );
    fc.assert(
      fc.property(base, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (m, flips) => {
        const payload = Buffer.from(encodePayload(m));
        for (const [at, value] of flips) payload[at % payload.length] = value;
        try {
          parseClientMessage(decode(payload));
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('text is accepted exactly when it is 1..4096 UTF-8 bytes with no control character but tab', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', minLength: 1000, maxLength: 1500 }),
      fc.string({ unit: fc.constantFrom('a', '字', '😀', '\t'), minLength: 1020, maxLength: 4100 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        const bytes = Buffer.byteLength(t, 'utf8');
        // eslint-disable-next-line no-control-regex
        const hasControl = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/.test(t);
        const expected = t.length === 0 || (bytes <= 4096 && hasControl) ? 'bad_text' : bytes > 4096 ? 'text_too_long' : undefined;
        expect(textProblem(t)?.code).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});
