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
import { scanPayload } from './msgpack-scan.js';

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
 * Decode one frame payload into a plain value. The payload is first checked to be exactly one
 * standard MessagePack value with no extension types (msgpack-scan.ts): msgpackr's own extensions
 * can make a few hundred bytes decode to gigabytes, so they never reach it. Anything refused is a
 * payload error: ProtocolError('bad_frame'). The caller validates the shape (validate.ts).
 */
export function decode(payload: Uint8Array): unknown {
  const problem = scanPayload(payload);
  if (problem !== null) throw new ProtocolError('bad_frame', `payload is not one standard MessagePack value: ${problem}`);
  try {
    return unpackr.unpack(payload);
  } catch (err) {
    // Not expected after the scan; the message is cut so that it can never carry a large value.
    const reason = String((err as Error).message).slice(0, 200);
    throw new ProtocolError('bad_frame', `payload is not one MessagePack value: ${reason}`, undefined, { cause: err });
  }
}
