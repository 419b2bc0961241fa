import { describe, expect, it } from 'vitest';
import { decode, encode, encodePayload, HEADER_BYTES, ProtocolError } from '../../src/protocol/internal.js';
import { EXT_SHAPES, mapWith, referenceBomb } from '../helpers/msgpack-bombs.js';

function decodeError(bytes: number[]): ProtocolError {
  try {
    decode(Buffer.from(bytes));
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error(`expected ${Buffer.from(bytes).toString('hex')} to be refused`);
}

describe('codec', () => {
  it('round-trips every kind of value a message holds', () => {
    const message = {
      type: 'welcome',
      server: 'test',
      version: 1,
      you: '小明',
      users: ['alice', '小明', 'Zoë'],
      clients: 70_000,
      ts: 1_700_000_000_123,
      negative: -40_000,
      fraction: 0.5,
      action: true,
      missing: null,
      rooms: [{ room: '#main', users: 2 }],
      text: 'x'.repeat(70_000),
    };
    expect(decode(encode(message).subarray(HEADER_BYTES))).toEqual(message);
  });

  it('frames the payload: encode(m) is the length header followed by encodePayload(m)', () => {
    const message = { type: 'say', text: 'hi' };
    const frame = encode(message);
    const payload = encodePayload(message);
    expect(frame.readUInt32BE(0)).toBe(payload.length);
    expect(frame.subarray(HEADER_BYTES)).toEqual(payload);
  });

  it('writes a small message as a plain MessagePack fixmap with fixstr keys', () => {
    const payload = encodePayload({ type: 'who' });
    // 0x81 = map of 1; 0xa4 "type"; 0xa3 "who"
    expect(payload.toString('hex')).toBe('81a474797065a3776' + '86f');
  });

  it('encodes the same message to the same bytes every time (no record extension state)', () => {
    const message = { type: 'message', id: 7, ts: 1, room: '#main', from: 'a', text: 'b' };
    const first = encodePayload(message);
    for (let i = 0; i < 5; i++) expect(encodePayload(message)).toEqual(first);
  });

  it('writes a whole number beyond 32 bits as MessagePack int64, not float64', () => {
    const payload = encodePayload({ ts: 1_700_000_000_000 });
    // 0x81 map of 1, "ts", then 0xd3 int64 0x0000018bcfe56800
    expect(payload.toString('hex')).toBe('81a27473d30000018bcfe56800');
    expect(decode(payload)).toEqual({ ts: 1_700_000_000_000 });
  });

  it('leaves fractions, small integers and numbers beyond 2^53 as they were', () => {
    const message = { half: 1.5e12 + 0.5, small: -7, huge: 2 ** 60 };
    expect(decode(encodePayload(message))).toEqual(message);
    expect(encodePayload({ half: 1.5e12 + 0.5 })[6]).toBe(0xcb);
  });

  it('does not change the message it encodes', () => {
    const message = { type: 'ping', token: 1_700_000_000_000 };
    encode(message);
    expect(message.token).toBe(1_700_000_000_000);
  });

  it('reads a 64-bit integer as a number, so a timestamp token from another library is accepted', () => {
    // uint64 1 795 449 659 533: what Python's msgpack writes for int(time.time() * 1000).
    const token = Buffer.alloc(9);
    token[0] = 0xcf;
    token.writeBigUInt64BE(1_795_449_659_533n, 1);
    const bytes = Buffer.concat([Buffer.from('82a474797065a470696e67a5746f6b656e', 'hex'), token]);
    expect(decode(bytes)).toEqual({ type: 'ping', token: 1_795_449_659_533 });
  });

  it.each([
    ['a truncated map', [0x81, 0xa4, 0x74]],
    ['trailing bytes after one value', [0x80, 0x01]],
    ['a string that claims more bytes than there are', [0xa5, 0x61]],
    ['an unknown extension type', [0xd4, 0x05, 0x01]],
    ['an array claiming 4 billion items', [0xdd, 0xff, 0xff, 0xff, 0xff]],
  ])('refuses %s with ProtocolError bad_frame', (_what, bytes) => {
    const err = decodeError(bytes);
    expect(err.code).toBe('bad_frame');
    expect(err.message).toMatch(/MessagePack/);
  });

  it('refuses a payload nested deeper than the stack with bad_frame, not a crash', () => {
    // 60 000 nested one-element arrays fit in one 64 KiB frame.
    expect(decodeError(new Array(60_000).fill(0x91)).code).toBe('bad_frame');
  });

  it('does not let a "__proto__" key change the prototype of the decoded map', () => {
    const bytes = Buffer.from('81a95f5f70726f746f5f5f81a17801', 'hex'); // {"__proto__": {"x": 1}}
    const value = decode(bytes) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect((value as { x?: unknown }).x).toBeUndefined();
  });

  describe('msgpackr extensions and ext types (none is allowed on the wire)', () => {
    it.each(EXT_SHAPES)('refuses $name inside a message map with bad_frame', ({ bytes }) => {
      const err = decodeError([...mapWith(bytes)]);
      expect(err.code).toBe('bad_frame');
      expect(err.message).toMatch(/extension type/);
    });

    it.each(EXT_SHAPES)('refuses $name as the whole payload', ({ bytes }) => {
      expect(decodeError(bytes).code).toBe('bad_frame');
    });

    it('refuses the structured-clone bomb before decoding it: 30 levels cost what 20 do', () => {
      // Without the scan, each level doubles msgpackr's work (21 levels took over a second,
      // 30 would take minutes); the scan reads each byte once, so both fail at the same place.
      const small = decodeError([...referenceBomb(20)]);
      const large = decodeError([...referenceBomb(30)]);
      expect(small.message).toBe(large.message);
      expect(large.message).toMatch(/extension type \(0xd6\)/);
      expect(referenceBomb(30).length - referenceBomb(20).length).toBe(10 * 19);
    });
  });

  it.each([
    ['a map key that is an array', [0x81, 0x91, 0x01, 0x01]],
    ['a map key that is a map', [0x81, 0x80, 0x01]],
    ['a map claiming more entries than its bytes can hold', [0x8f, 0xa1, 0x61]],
    ['a map16 claiming 65535 entries', [0xde, 0xff, 0xff, 0xa1, 0x61, 0x01]],
    ['the reserved byte 0xc1', [0xc1]],
    ['nesting 17 levels deep', [...new Array<number>(17).fill(0x91), 0x01]],
  ])('refuses %s with bad_frame', (_what, bytes) => {
    expect(decodeError(bytes).code).toBe('bad_frame');
  });

  it('still reads every standard type: bin, floats, 64-bit ints, str8/16, array16, map16, integer keys', () => {
    const bytes = Buffer.from(
      [
        '85', // map of 5
        'a474797065',
        'a3736179', // type: say
        'a162',
        'c403010203', // b: bin 8 [1,2,3]
        'a166',
        'cb3ff8000000000000', // f: 1.5 as float64
        'a169',
        'd3fffffffffffffffe', // i: int64 -2
        '01',
        'dc0002a178da000179', // 1: array16 ["x", str16 "y"]
      ].join(''),
      'hex',
    );
    expect(decode(bytes)).toEqual({ type: 'say', b: Buffer.from([1, 2, 3]), f: 1.5, i: -2, 1: ['x', 'y'] });
  });
});
