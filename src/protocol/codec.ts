/**
 * @module
 * The only msgpackr import. The wire is standard MessagePack: `useRecords: false` turns off
 * msgpackr's own record extension (on by default in `new Packr()`), so any MessagePack library can
 * read our frames, and `variableMapSize` writes the smallest map header (fixmap for our messages).
 * One Packr and one Unpackr are reused for every message.
 *
 * `int64AsType: 'number'`: other libraries write integers above 2^32 (a millisecond timestamp,
 * say) as MessagePack int64/uint64, which msgpackr would otherwise read as a BigInt that no
 * validator accepts as a number. Every field of ours fits in 2^53, where a number is exact.
 */
import { Packr, Unpackr } from 'msgpackr';
import { ProtocolError } from './errors.js';
import { encodeFrame } from './frame.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/**
 * msgpackr writes a JS number outside the 32-bit range as float64, even a whole one, so a `ts`
 * would reach a Go or Rust client as a float where it expects an int64. Whole numbers up to 2^53
 * are handed to msgpackr as BigInt instead, which it writes as MessagePack int64. Only top-level
 * fields are looked at: nested numbers in our messages (room head counts) are small.
 */
function wideIntsAsBigInt(message: object): object {
  let copy: Record<string, unknown> | undefined;
  for (const key in message) {
    const value = (message as Record<string, unknown>)[key];
    if (typeof value === 'number' && (value > 0xffff_ffff || value < -0x8000_0000) && Number.isSafeInteger(value)) {
      copy ??= { ...message };
      copy[key] = BigInt(value);
    }
  }
  return copy ?? message;
}

/** Encode one message map as a complete frame (header + payload). */
export function encode(message: object): Buffer {
  return encodeFrame(packr.pack(wideIntsAsBigInt(message)));
}

/** Encode a message map as a bare MessagePack payload (no frame header). */
export function encodePayload(message: object): Buffer {
  return packr.pack(wideIntsAsBigInt(message));
}

/**
 * Decode one frame payload into a plain value. Anything msgpackr cannot read completely (truncated
 * data, trailing bytes, an unknown extension) is a payload error: ProtocolError('bad_frame').
 * The caller validates the shape (validate.ts).
 */
export function decode(payload: Uint8Array): unknown {
  try {
    return unpackr.unpack(payload);
  } catch (err) {
    throw new ProtocolError('bad_frame', `payload is not one MessagePack value: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
}
