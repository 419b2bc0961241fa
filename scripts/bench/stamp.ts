/**
 * @module
 * What a benchmark chat message carries: its sender, a per-sender sequence number and the time it
 * was due to be sent, as plain digits at the start of the text, padded to a fixed length so every
 * target carries the same bytes. Receivers read the digits straight from the socket bytes.
 *
 * Times are microseconds of the monotonic clock (process.hrtime), which all processes on one
 * machine share, so a receiver in one process can subtract a send time taken in another.
 */

/** Bytes of text in every benchmark message: a typical chat line. */
export const TEXT_BYTES = 64;

export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** "sender seq sentUs" padded with "x" to TEXT_BYTES. */
export function stampText(sender: number, seq: number, sentUs: number): string {
  const head = `${sender} ${seq} ${sentUs} `;
  return head.length >= TEXT_BYTES ? head : head + 'x'.repeat(TEXT_BYTES - head.length);
}

export interface Stamp {
  sender: number;
  seq: number;
  sentUs: number;
}

/**
 * Read the three numbers at bytes[start..end) into `out` without allocating; false when the text
 * is not a benchmark stamp.
 */
export function readStamp(bytes: Uint8Array, start: number, end: number, out: Stamp): boolean {
  let i = start;
  let field = 0;
  let value = 0;
  let digits = 0;
  for (; i < end && field < 3; i++) {
    const c = bytes[i]!;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
    } else if (c === 32 && digits > 0) {
      if (field === 0) out.sender = value;
      else if (field === 1) out.seq = value;
      else out.sentUs = value;
      field++;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return field === 3;
}

/** The decimal number in bytes[start..end), or -1 when there is anything but digits. */
export function readDigits(bytes: Uint8Array, start: number, end: number): number {
  if (end <= start) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}
