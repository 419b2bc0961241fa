/**
 * fast-check arbitraries for hostile clients: client messages of every type with random field
 * values, payloads that are almost right (mutated, truncated, wrong types, any MessagePack value),
 * frame pieces with honest and dishonest length headers, and text-mode lines with telnet IAC
 * sequences and over-long lines.
 *
 * Everything is built with the project's own encoder (src/protocol) or, for values our encoder
 * would never produce, with @msgpack/msgpack, so the payloads are what another library would send.
 */
import { encode as msgpackEncode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { encodePayload, MAX_TEXT_BYTES } from '../../src/protocol/internal.js';
import { EXT_SHAPES, mapWith, referenceBomb } from '../helpers/msgpack-bombs.js';

const CLIENT_TYPES = ['hello', 'say', 'msg', 'who', 'look', 'rooms', 'join', 'part', 'topic', 'nick', 'ping', 'pong', 'logout'] as const;

// ---- field values -------------------------------------------------------------------------

/** Values of the wrong type for any field. */
const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
  fc.uint8Array({ maxLength: 8 }),
);

const nameChar = fc.constantFrom(...'abcdefxyzABCXYZ0129_.-'.split(''), '小', '明', 'é', 'ß', 'Ω');
const validName = fc.string({ unit: nameChar, minLength: 1, maxLength: 32 });
/** Names valid, invalid and of the wrong type (spaces, controls, too long, a room, empty). */
export const nameValue = fc.oneof(
  { arbitrary: validName, weight: 6 },
  {
    arbitrary: fc.constantFrom('', 'has space', 'a'.repeat(33), 'tab\there', 'ctl\u0001', '#room', 'e\u0301', 'ALICE', 'alice'),
    weight: 2,
  },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
  { arbitrary: wrongType, weight: 1 },
);

export const roomValue = fc.oneof(
  { arbitrary: validName.map((n) => `#${n}`), weight: 5 },
  { arbitrary: fc.constantFrom('#main', '#MAIN', 'main', '#', '##', '# x', `#${'r'.repeat(33)}`), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 1 },
  { arbitrary: wrongType, weight: 1 },
);

/** Chat texts around every limit: bytes (not characters), controls, tab, empty. */
export const textValue = fc.oneof(
  { arbitrary: fc.string({ minLength: 1, maxLength: 80 }), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 60 }), weight: 3 },
  {
    arbitrary: fc.constantFrom(
      '',
      'tab\tok',
      'line\nbreak',
      'x'.repeat(MAX_TEXT_BYTES),
      'x'.repeat(MAX_TEXT_BYTES + 1),
      'é'.repeat(MAX_TEXT_BYTES / 2),
      'é'.repeat(MAX_TEXT_BYTES / 2 + 1),
      '😀'.repeat(MAX_TEXT_BYTES / 4 + 1),
    ),
    weight: 1,
  },
  { arbitrary: wrongType, weight: 1 },
);

const tokenValue = fc.oneof(fc.string({ maxLength: 70 }), fc.integer(), fc.double(), wrongType);
const shortString = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ maxLength: 300 }), wrongType);
/** Fields no version of the protocol has: must be ignored. */
const extraFields = fc.dictionary(
  fc.constantFrom('x', 'extra', 'id', 'ts', 'from', 'version', '__proto__', 'constructor'),
  fc.anything({ maxDepth: 1 }),
  {
    maxKeys: 2,
  },
);

// ---- messages and payloads ----------------------------------------------------------------

/** A client message map of any type; mostly well-typed fields, sometimes not. */
export const clientMessage: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    // Weighted towards chat, so that most runs say something; logout ends a run, so it is rare.
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          type: fc.constant('hello'),
          name: nameValue,
          password: fc.option(shortString, { nil: undefined }),
          client: fc.option(shortString, { nil: undefined }),
        }),
      },
      {
        weight: 14,
        arbitrary: fc.record({
          type: fc.constant('say'),
          text: textValue,
          action: fc.option(fc.oneof(fc.boolean(), wrongType), { nil: undefined }),
        }),
      },
      { weight: 4, arbitrary: fc.record({ type: fc.constant('msg'), to: nameValue, text: textValue }) },
      { weight: 2, arbitrary: fc.record({ type: fc.constantFrom('who', 'look', 'rooms') }) },
      { weight: 4, arbitrary: fc.record({ type: fc.constant('join'), room: roomValue }) },
      {
        weight: 2,
        arbitrary: fc.record({ type: fc.constant('part'), room: roomValue, reason: fc.option(shortString, { nil: undefined }) }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          type: fc.constant('topic'),
          room: roomValue,
          text: fc.option(fc.oneof(fc.constant(''), textValue), { nil: undefined }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ type: fc.constant('look'), room: roomValue }) },
      {
        weight: 2,
        arbitrary: fc.record({
          type: fc.constant('search'),
          text: textValue,
          room: fc.option(roomValue, { nil: undefined }),
          limit: fc.option(fc.oneof(fc.integer({ min: -5, max: 500 }), wrongType), { nil: undefined }),
        }),
      },
      { weight: 3, arbitrary: fc.record({ type: fc.constant('nick'), name: nameValue }) },
      { weight: 2, arbitrary: fc.record({ type: fc.constantFrom('ping', 'pong'), token: fc.option(tokenValue, { nil: undefined }) }) },
      { weight: 1, arbitrary: fc.record({ type: fc.constant('logout'), reason: fc.option(shortString, { nil: undefined }) }) },
    ),
    fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: extraFields, weight: 1 }),
  )
  .map(([message, extra]) => {
    // Undefined optional fields are left out, as a client library would.
    const out: Record<string, unknown> = extra ? { ...extra } : {};
    for (const [k, v] of Object.entries(message)) if (v !== undefined) out[k] = v;
    out['type'] = message.type;
    return out;
  });

function msgpack(value: unknown): Uint8Array {
  return msgpackEncode(value, { useBigInt64: true });
}

/** Payload bytes that are not a valid client message, or almost are. */
function mutate(payload: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    // Flip a few bytes.
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
      const out = Uint8Array.from(payload);
      for (const [at, xor] of flips) out[at % out.length]! ^= xor;
      return out;
    }),
    // Cut the MessagePack value short (the frame header will be honest about the shorter length).
    fc.nat().map((n) => payload.subarray(0, 1 + (n % Math.max(1, payload.length - 1)))),
    // Trailing bytes after a complete value.
    fc.uint8Array({ minLength: 1, maxLength: 8 }).map((tail) => Uint8Array.from([...payload, ...tail])),
  );
}

/** One frame payload: valid messages, wrong types, any MessagePack value, random bytes, mutations. */
export function payload(maxFrame: number): fc.Arbitrary<Uint8Array> {
  const valid = clientMessage.map((m) => new Uint8Array(encodePayload(m)));
  return fc.oneof(
    { arbitrary: valid, weight: 24 },
    { arbitrary: valid.chain(mutate), weight: 3 },
    {
      // A map with a known or unknown type and fields of any value.
      arbitrary: fc
        .record({
          type: fc.oneof(fc.constantFrom(...CLIENT_TYPES), fc.string({ maxLength: 40 }), wrongType),
          fields: fc.dictionary(fc.string({ maxLength: 8 }), fc.anything({ maxDepth: 2 }), { maxKeys: 4 }),
        })
        .map(({ type, fields }) => msgpack({ ...fields, type })),
      weight: 2,
    },
    { arbitrary: fc.anything({ maxDepth: 3, withMap: true, withBigInt: true, withNullPrototype: true }).map(msgpack), weight: 2 },
    { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }), weight: 1 },
    // msgpackr's own extensions (the structured-clone bomb among them) and every ext shape: the
    // contract allows no extension, so each is a bad_frame, decoded in time linear in its bytes.
    { arbitrary: fc.integer({ min: 1, max: 30 }).map((levels) => new Uint8Array(referenceBomb(levels))), weight: 1 },
    { arbitrary: fc.constantFrom(...EXT_SHAPES).map((shape) => new Uint8Array(mapWith(shape.bytes))), weight: 1 },
    // Right at the frame limit: maxFrame is allowed, maxFrame + 1 is a framing error.
    { arbitrary: fc.integer({ min: maxFrame - 1, max: maxFrame + 1 }).map((n) => new Uint8Array(n).fill(0xc1)), weight: 1 },
  );
}

// ---- frames -------------------------------------------------------------------------------

/**
 * A piece of a framed byte stream. `frame` has an honest header; `zero` and `oversized` are framing
 * errors the server must refuse from the header alone; `skewed` lies about its length and `garbage`
 * is raw bytes, after which the stream is out of sync; `truncated` is a frame whose body never
 * fully arrives (only ever the last piece).
 */
export type Piece =
  | { kind: 'frame'; payload: Uint8Array }
  | { kind: 'zero' }
  | { kind: 'oversized'; length: number; body: Uint8Array }
  | { kind: 'skewed'; payload: Uint8Array; declared: number }
  | { kind: 'garbage'; bytes: Uint8Array }
  | { kind: 'truncated'; payload: Uint8Array; keep: number };

function header(length: number): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, length);
  return h;
}

export function pieceBytes(piece: Piece): Uint8Array[] {
  switch (piece.kind) {
    case 'frame':
      return [header(piece.payload.length), piece.payload];
    case 'zero':
      return [header(0)];
    case 'oversized':
      return [header(piece.length), piece.body];
    case 'skewed':
      return [header(piece.declared), piece.payload];
    case 'garbage':
      return [piece.bytes];
    case 'truncated':
      return [header(piece.payload.length), piece.payload.subarray(0, piece.keep)];
  }
}

/** Framing errors and desyncs, rarer than honest frames. */
function breakage(maxFrame: number): fc.Arbitrary<Piece> {
  return fc.oneof(
    fc.constant<Piece>({ kind: 'zero' }),
    fc
      .tuple(
        fc.oneof(fc.integer({ min: maxFrame + 1, max: 0x00ff_ffff }), fc.integer({ min: maxFrame + 1, max: 0xffff_ffff })),
        fc.uint8Array({ maxLength: 16 }),
      )
      .map(([length, body]): Piece => ({ kind: 'oversized', length, body })),
    fc
      .tuple(
        payload(maxFrame),
        fc.integer({ min: -8, max: 8 }).filter((d) => d !== 0),
      )
      .map(([p, d]): Piece => ({ kind: 'skewed', payload: p, declared: Math.max(1, Math.min(maxFrame, p.length + d)) })),
    fc.uint8Array({ minLength: 1, maxLength: 32 }).map((bytes): Piece => ({ kind: 'garbage', bytes })),
  );
}

const login = validName.map((name): Piece => ({ kind: 'frame', payload: new Uint8Array(encodePayload({ type: 'hello', name })) }));

/**
 * A framed stream: usually a login first (so that most frames reach the handlers), then honest
 * frames with now and then a broken piece, and sometimes a truncated frame at the end. The first
 * byte is always 0x00, so the server reads it in framed mode.
 */
export function framedStream(maxFrame: number, maxPieces = 24): fc.Arbitrary<Piece[]> {
  const frame = payload(maxFrame).map((p): Piece => ({ kind: 'frame', payload: p }));
  const truncated = payload(maxFrame)
    .filter((p) => p.length <= maxFrame)
    .chain((p) => fc.nat(Math.max(0, p.length - 1)).map((keep): Piece => ({ kind: 'truncated', payload: p, keep })));
  return fc
    .tuple(
      // fc.option's freq is the odds of nil: 1 in 4 streams start without a login.
      fc.option(login, { freq: 4, nil: undefined }),
      fc.array(fc.oneof({ arbitrary: frame, weight: 30 }, { arbitrary: breakage(maxFrame), weight: 1 }), {
        minLength: 1,
        maxLength: maxPieces,
      }),
      fc.oneof({ arbitrary: fc.constant(undefined), weight: 5 }, { arbitrary: truncated, weight: 1 }),
    )
    .map(([login, pieces, last]) => {
      const out = [...(login ? [login] : []), ...pieces, ...(last ? [last] : [])];
      const first = out[0]!;
      // A declared length of 16 MiB or more starts with a non-zero byte, which means text mode.
      if (first.kind === 'oversized' && first.length > 0x00ff_ffff) out[0] = { ...first, length: 0x00ff_ffff };
      if (first.kind === 'garbage') out[0] = { ...first, bytes: Uint8Array.from([0, ...first.bytes]) };
      return out;
    });
}

/** Where to cut a byte stream into separate writes: the server must not care. */
export const cuts = fc.array(fc.nat(), { maxLength: 6 });

export function splitAt(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map((n) => (bytes.length === 0 ? 0 : n % bytes.length)))].filter((n) => n > 0).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  out.push(bytes.subarray(start));
  return out.filter((c) => c.length > 0);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

// ---- text mode ----------------------------------------------------------------------------

const IAC = 0xff;
/** Complete telnet sequences; the line decoder drops them (IAC IAC is a literal 0xFF). */
const telnet = fc.oneof(
  fc.integer({ min: 251, max: 254 }).chain((verb) => fc.integer({ min: 0, max: 254 }).map((opt) => [IAC, verb, opt])),
  fc.constantFrom([IAC, 241], [IAC, 246], [IAC, 244]),
  fc.uint8Array({ maxLength: 6 }).map((sub) => [IAC, 250, ...[...sub].filter((b) => b !== IAC), IAC, 240]),
);

const lineWord = fc.constantFrom(
  'login',
  '/login',
  'LOGIN',
  'say',
  'me',
  '/me',
  'msg',
  'who',
  '/WHO',
  'look',
  'rooms',
  'join',
  '/join',
  'nick',
  'help',
  '/help',
  '/bogus',
  'hello',
  '',
);
const lineText = fc.oneof(
  fc
    .tuple(
      lineWord,
      fc.array(
        fc.oneof(
          validName,
          fc.string({ maxLength: 12 }),
          roomValue.filter((r): r is string => typeof r === 'string'),
        ),
        { maxLength: 3 },
      ),
    )
    .map(([w, args]) => [w, ...args].join(' ')),
  fc.string({ unit: 'binary', maxLength: 60 }).map((s) => s.replace(/[\n\r]/g, ' ')),
);

/** Longest text-mode line the server takes, in bytes after telnet sequences are dropped. */
export const TEXT_LINE_LIMIT = MAX_TEXT_BYTES + 256;

/**
 * A text-mode line: its bytes on the wire, its content once telnet sequences are dropped, and
 * whether it is over the limit in bytes (then the server must refuse it with one line).
 */
export interface TextLine {
  wire: Uint8Array;
  content: string;
  huge: boolean;
}

export const textLine: fc.Arbitrary<TextLine> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(lineText, fc.array(fc.tuple(fc.nat(), telnet), { maxLength: 2 }), fc.constantFrom('\n', '\r\n'))
      .map(([content, seqs, end]) => {
        let bytes = [...Buffer.from(content, 'utf8')];
        // Insert telnet sequences between content bytes (never inside another sequence): positions
        // are taken in the content, and inserted from the end so that earlier ones stay put.
        const at = seqs.map(([n, seq]) => [n % (bytes.length + 1), seq] as const).sort((a, b) => b[0] - a[0]);
        for (const [i, seq] of at) bytes = [...bytes.slice(0, i), ...seq, ...bytes.slice(i)];
        return { wire: Uint8Array.from([...bytes, ...Buffer.from(end)]), content, huge: false };
      }),
  },
  {
    weight: 1,
    // Long lines, some right at the limit; the limit counts bytes, so some are two bytes a character.
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.integer({ min: TEXT_LINE_LIMIT - 2, max: TEXT_LINE_LIMIT + 2 }),
          fc.integer({ min: TEXT_LINE_LIMIT + 1, max: 3 * TEXT_LINE_LIMIT }),
        ),
        fc.constantFrom('say ', 'x', '/msg a '),
        fc.constantFrom('y', 'é'),
        fc.constantFrom('\n', '\r\n'),
      )
      .map(([bytes, start, fill, end]) => {
        const fillBytes = Buffer.byteLength(fill);
        const content =
          start + fill.repeat(Math.floor((bytes - start.length) / fillBytes)) + 'y'.repeat((bytes - start.length) % fillBytes);
        return { wire: Buffer.from(content + end, 'utf8'), content, huge: Buffer.byteLength(content) > TEXT_LINE_LIMIT };
      }),
  },
);
