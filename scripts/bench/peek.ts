/**
 * @module
 * A zero-allocation look into a framechat payload (one MessagePack map): which `type` it is and
 * where its `text` and `to` strings sit. The load generator reads hundreds of thousands of
 * messages a second; decoding each into an object would make the generator, not the server, the
 * thing measured. Anything unusual (welcome, errors) is decoded in full by the project's codec.
 */

/**
 * Message and Renamed carry benchmark stamps; Control needs a full decode (welcome, room, pong,
 * ping, error, bye, notice); Ignore is everything else (joined/left notices to large rooms).
 */
export const Kind = { Ignore: 0, Message: 1, Renamed: 2, Control: 3 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface Peek {
  kind: Kind;
  /** Byte span of the `text` value (Message), or of `to` (Renamed). */
  start: number;
  end: number;
}

const TYPE = bytesOf('type');
const TEXT = bytesOf('text');
const TO = bytesOf('to');
const MESSAGE = bytesOf('message');
const RENAMED = bytesOf('renamed');
const CONTROL = ['welcome', 'room', 'pong', 'ping', 'error', 'bye', 'notice'].map(bytesOf);

function bytesOf(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function equals(p: Uint8Array, start: number, end: number, want: Uint8Array): boolean {
  if (end - start !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (p[start + i] !== want[i]) return false;
  return true;
}

/** readStr() leaves the span of the string it read here: [strStart, strEnd). */
let strStart = 0;
let strEnd = 0;
function readStr(p: Uint8Array, at: number): boolean {
  const b = p[at]!;
  if (b >= 0xa0 && b <= 0xbf) {
    strStart = at + 1;
    strEnd = strStart + (b & 0x1f);
  } else if (b === 0xd9) {
    strStart = at + 2;
    strEnd = strStart + p[at + 1]!;
  } else if (b === 0xda) {
    strStart = at + 3;
    strEnd = strStart + ((p[at + 1]! << 8) | p[at + 2]!);
  } else {
    return false;
  }
  return true;
}

/** Offset just past the value at `at`. Covers every MessagePack type. */
function skip(p: Uint8Array, at: number): number {
  const b = p[at]!;
  if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return at + 1;
  if (b >= 0xa0 && b <= 0xbf) return at + 1 + (b & 0x1f);
  if (b >= 0x80 && b <= 0x8f) return skipItems(p, at + 1, (b & 0x0f) * 2);
  if (b >= 0x90 && b <= 0x9f) return skipItems(p, at + 1, b & 0x0f);
  switch (b) {
    case 0xcc:
    case 0xd0:
      return at + 2;
    case 0xcd:
    case 0xd1:
      return at + 3;
    case 0xca:
    case 0xce:
    case 0xd2:
      return at + 5;
    case 0xcb:
    case 0xcf:
    case 0xd3:
      return at + 9;
    case 0xd9:
    case 0xc4:
      return at + 2 + p[at + 1]!;
    case 0xda:
    case 0xc5:
      return at + 3 + u16(p, at + 1);
    case 0xdb:
    case 0xc6:
      return at + 5 + u32(p, at + 1);
    case 0xdc:
      return skipItems(p, at + 3, u16(p, at + 1));
    case 0xdd:
      return skipItems(p, at + 5, u32(p, at + 1));
    case 0xde:
      return skipItems(p, at + 3, u16(p, at + 1) * 2);
    case 0xdf:
      return skipItems(p, at + 5, u32(p, at + 1) * 2);
    case 0xd4:
      return at + 3;
    case 0xd5:
      return at + 4;
    case 0xd6:
      return at + 6;
    case 0xd7:
      return at + 10;
    case 0xd8:
      return at + 18;
    case 0xc7:
      return at + 3 + p[at + 1]!;
    case 0xc8:
      return at + 4 + u16(p, at + 1);
    case 0xc9:
      return at + 6 + u32(p, at + 1);
    default:
      return p.length; // 0xc1 is never used: treat as the end
  }
}

function u16(p: Uint8Array, o: number): number {
  return (p[o]! << 8) | p[o + 1]!;
}

function u32(p: Uint8Array, o: number): number {
  return p[o]! * 0x1000000 + ((p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!);
}

function skipItems(p: Uint8Array, at: number, n: number): number {
  for (let i = 0; i < n && at < p.length; i++) at = skip(p, at);
  return at;
}

/**
 * Fill `out` from the payload at bytes[start..end) (offsets in `out` are into `bytes`). Anything
 * that is not a map with a string `type` is Control.
 */
export function peek(payload: Uint8Array, start: number, end: number, out: Peek): Peek {
  out.kind = Kind.Control;
  out.start = out.end = -1;
  const b = payload[start]!;
  let n = 0;
  let at = start;
  if (b >= 0x80 && b <= 0x8f) {
    n = b & 0x0f;
    at += 1;
  } else if (b === 0xde) {
    n = (payload[start + 1]! << 8) | payload[start + 2]!;
    at += 3;
  } else {
    return out;
  }
  let kind: Kind = Kind.Control;
  let textStart = -1,
    textEnd = -1,
    toStart = -1,
    toEnd = -1;
  for (let i = 0; i < n && at < end; i++) {
    if (!readStr(payload, at)) return out;
    const keyStart = strStart;
    const keyEnd = strEnd;
    at = keyEnd;
    // Most keys are none of the three: rule them out by length and first letter before comparing.
    const keyLength = keyEnd - keyStart;
    if ((keyLength !== 4 && keyLength !== 2) || payload[keyStart] !== 0x74 /* t */) {
      at = skip(payload, at);
      continue;
    }
    if (equals(payload, keyStart, keyEnd, TYPE) && readStr(payload, at)) {
      if (equals(payload, strStart, strEnd, MESSAGE)) kind = Kind.Message;
      else if (equals(payload, strStart, strEnd, RENAMED)) kind = Kind.Renamed;
      else {
        if (!CONTROL.some((c) => equals(payload, strStart, strEnd, c))) out.kind = Kind.Ignore;
        return out;
      }
    } else if (equals(payload, keyStart, keyEnd, TEXT) && readStr(payload, at)) {
      textStart = strStart;
      textEnd = strEnd;
    } else if (equals(payload, keyStart, keyEnd, TO) && readStr(payload, at)) {
      toStart = strStart;
      toEnd = strEnd;
    }
    at = skip(payload, at);
  }
  if (kind === Kind.Message && textStart >= 0) {
    out.kind = kind;
    out.start = textStart;
    out.end = textEnd;
  } else if (kind === Kind.Renamed && toStart >= 0) {
    out.kind = kind;
    out.start = toStart;
    out.end = toEnd;
  }
  return out;
}
