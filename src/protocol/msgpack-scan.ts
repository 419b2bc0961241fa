/**
 * @module
 * A structural check of one MessagePack payload, run before msgpackr sees a byte of it.
 *
 * msgpackr's Unpackr understands more than standard MessagePack: its own extensions (structured
 * clone "id"/"pointer" 0x69/0x70, which let a value refer to an earlier one so that each level
 * doubles the decoded size, bundled strings 0x62 that move the read position, records, Set, Error,
 * RegExp, typed arrays, dates), and on trailing bytes it builds its error message with
 * JSON.stringify of the decoded value. A 600-byte payload could so make it expand a value to
 * gigabytes. The contract allows no extension types, so this scan refuses every ext and fixext
 * before decoding, along with everything else a message can never be: more than one value
 * (trailing bytes), nesting deeper than MAX_DEPTH, a container whose declared size cannot fit in
 * the bytes left, a map key that is not a string or an integer.
 *
 * Cost: one pass over the bytes, no allocation; every declared length is checked against the
 * bytes that remain before it is believed, so the work is linear in the payload's size. Once a
 * payload has passed, msgpackr's decode of it is linear too (no extension can run).
 */

/** Deeper than any message of ours (welcome's rooms list is 3 levels). */
export const MAX_DEPTH = 16;

/** Why a payload was refused; null when it is one well-formed standard MessagePack value. */
export function scanPayload(bytes: Uint8Array): string | null {
  const scanner = new Scanner(bytes);
  const problem = scanner.value(0);
  if (problem !== null) return problem;
  if (scanner.pos !== bytes.length) return `${bytes.length - scanner.pos} bytes after the end of the value`;
  return null;
}

class Scanner {
  pos = 0;

  constructor(private readonly b: Uint8Array) {}

  private get left(): number {
    return this.b.length - this.pos;
  }

  /** Read an n-byte big-endian unsigned length at pos, or -1 if the bytes are not there. */
  private uint(n: 1 | 2 | 4): number {
    if (this.left < n) return -1;
    const b = this.b;
    const p = this.pos;
    this.pos += n;
    if (n === 1) return b[p]!;
    if (n === 2) return (b[p]! << 8) | b[p + 1]!;
    return b[p]! * 0x100_0000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  private skip(n: number): string | null {
    if (n < 0 || n > this.left) return 'truncated value';
    this.pos += n;
    return null;
  }

  /** Check one value starting at pos and move past it. */
  value(depth: number, isKey = false): string | null {
    if (this.left < 1) return 'truncated value';
    const t = this.b[this.pos++]!;
    if (t <= 0x7f || t >= 0xe0) return null; // positive / negative fixint
    if (t >= 0xa0 && t <= 0xbf) return this.skip(t & 0x1f); // fixstr
    if (isKey && !isKeyType(t)) return 'a map key that is not a string or an integer';
    if (t >= 0x80 && t <= 0x8f) return this.map(t & 0x0f, depth);
    if (t >= 0x90 && t <= 0x9f) return this.array(t & 0x0f, depth);
    switch (t) {
      case 0xc0: // nil
      case 0xc2: // false
      case 0xc3: // true
        return null;
      case 0xc4: // bin 8/16/32
      case 0xd9: // str 8
        return this.skip(this.uint(1));
      case 0xc5:
      case 0xda:
        return this.skip(this.uint(2));
      case 0xc6:
      case 0xdb:
        return this.skip(this.uint(4));
      case 0xca: // float 32
        return this.skip(4);
      case 0xcb: // float 64
        return this.skip(8);
      case 0xcc:
      case 0xd0:
        return this.skip(1);
      case 0xcd:
      case 0xd1:
        return this.skip(2);
      case 0xce:
      case 0xd2:
        return this.skip(4);
      case 0xcf:
      case 0xd3:
        return this.skip(8);
      case 0xdc:
        return this.array(this.uint(2), depth);
      case 0xdd:
        return this.array(this.uint(4), depth);
      case 0xde:
        return this.map(this.uint(2), depth);
      case 0xdf:
        return this.map(this.uint(4), depth);
      case 0xc1:
        return 'the never-used byte 0xc1';
      default:
        // 0xc7-0xc9 ext 8/16/32, 0xd4-0xd8 fixext 1/2/4/8/16
        return `an extension type (0x${t.toString(16)}): the protocol allows none`;
    }
  }

  private array(count: number, depth: number): string | null {
    // Every element takes at least one byte: a count beyond the bytes left is a lie.
    if (count < 0 || count > this.left) return 'truncated array';
    if (depth >= MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`;
    for (let i = 0; i < count; i++) {
      const problem = this.value(depth + 1);
      if (problem !== null) return problem;
    }
    return null;
  }

  private map(count: number, depth: number): string | null {
    if (count < 0 || count * 2 > this.left) return 'truncated map';
    if (depth >= MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`;
    for (let i = 0; i < count; i++) {
      const problem = this.value(depth + 1, true) ?? this.value(depth + 1);
      if (problem !== null) return problem;
    }
    return null;
  }
}

/** Strings and integers (fixint and fixstr are handled before this is asked). */
function isKeyType(t: number): boolean {
  return t === 0xd9 || t === 0xda || t === 0xdb || (t >= 0xcc && t <= 0xd3);
}
