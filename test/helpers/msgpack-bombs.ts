/**
 * Hostile MessagePack payloads built by hand: msgpackr's own extensions and the shapes of every
 * standard ext type. Shared by the codec tests and the fuzz suite.
 */

/** fixext 4 (0xd6) of msgpackr type `type` with a 4-byte big-endian id. */
function fixext4(type: number, id: number): number[] {
  return [0xd6, type, (id >>> 24) & 0xff, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff];
}

function fixstr(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [0xa0 | bytes.length, ...bytes];
}

/**
 * The reference bomb: `{type:"hello", name:"x", x:[v0, v1, ...]}` where v0 is a string and each
 * v(k) is a structured-clone "id" (0x69) wrapping [pointer(k-1), pointer(k-1)] (0x70): each level
 * doubles the decoded size while adding 14 bytes. One trailing byte makes msgpackr describe the
 * decoded value in its error with JSON.stringify, which walks all 2^levels copies.
 */
export function referenceBomb(levels: number): Buffer {
  const values: number[][] = [[...fixext4(0x69, 0), ...fixstr('aaaaaaaaaaaaaaaa')]];
  for (let k = 1; k <= levels; k++) values.push([...fixext4(0x69, k), 0x92, ...fixext4(0x70, k - 1), ...fixext4(0x70, k - 1)]);
  const list = [0xdc, (values.length >> 8) & 0xff, values.length & 0xff, ...values.flat()];
  return Buffer.from([0x83, ...fixstr('type'), ...fixstr('hello'), ...fixstr('name'), ...fixstr('x'), ...fixstr('x'), ...list, 0xc0]);
}

/** `{type:"say", text:"hi", x: <ext>}` with the ext given as its raw bytes. */
export function mapWith(ext: number[]): Buffer {
  return Buffer.from([0x83, ...fixstr('type'), ...fixstr('say'), ...fixstr('text'), ...fixstr('hi'), ...fixstr('x'), ...ext]);
}

/** Every ext shape the MessagePack spec has, with msgpackr's own type codes and a neutral one. */
export const EXT_SHAPES: { name: string; bytes: number[] }[] = [
  { name: 'fixext 1', bytes: [0xd4, 0x01, 0x00] },
  { name: 'fixext 2', bytes: [0xd5, 0x01, 0x00, 0x00] },
  { name: 'fixext 4', bytes: [0xd6, 0x01, 0, 0, 0, 0] },
  { name: 'fixext 8', bytes: [0xd7, 0x01, ...new Array<number>(8).fill(0)] },
  { name: 'fixext 16', bytes: [0xd8, 0x01, ...new Array<number>(16).fill(0)] },
  { name: 'ext 8', bytes: [0xc7, 0x02, 0x01, 0, 0] },
  { name: 'ext 16', bytes: [0xc8, 0x00, 0x02, 0x01, 0, 0] },
  { name: 'ext 32', bytes: [0xc9, 0x00, 0x00, 0x00, 0x02, 0x01, 0, 0] },
  { name: 'timestamp (-1)', bytes: [0xd6, 0xff, 0, 0, 0, 1] },
  { name: 'msgpackr id (0x69)', bytes: [...fixext4(0x69, 0), 0x90] },
  { name: 'msgpackr pointer (0x70)', bytes: fixext4(0x70, 0) },
  { name: 'msgpackr Set (0x73)', bytes: [0xd4, 0x73, 0x00, 0x90] },
  { name: 'msgpackr Error (0x65)', bytes: [0xd4, 0x65, 0x00, 0x93, 0xa1, 0x45, 0xa1, 0x6d, 0xc0] },
  { name: 'msgpackr RegExp (0x78)', bytes: [0xd4, 0x78, 0x00, 0x92, 0xa2, 0x61, 0x2a, 0xa0] },
  { name: 'msgpackr typed array (0x74)', bytes: [0xc7, 0x05, 0x74, 0x01, 0, 0, 0, 0] },
  { name: 'msgpackr bundled strings (0x62)', bytes: [0xd6, 0x62, 0x7f, 0xff, 0xff, 0xff] },
  { name: 'msgpackr BigInt (0x42)', bytes: [0xc7, 0x09, 0x42, 1, 0, 0, 0, 0, 0, 0, 0, 0] },
  { name: 'msgpackr record (0x72)', bytes: [0xd4, 0x72, 0x40, 0x91, 0xa1, 0x61] },
];
