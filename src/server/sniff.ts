/**
 * @module
 * The first byte a client sends decides its mode for the whole connection, with no timing guess:
 * a frame's first byte is the top byte of a length below 16 MiB, so always 0x00; a person typing
 * never sends 0x00 first.
 */
export type Mode = 'pending' | 'framed' | 'text';

export function modeOf(firstByte: number): 'framed' | 'text' {
  return firstByte === 0x00 ? 'framed' : 'text';
}
