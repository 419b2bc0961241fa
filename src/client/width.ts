/**
 * @module
 * Display width of text in terminal cells, one code point at a time, as wcwidth-based terminals
 * (tmux, xterm with Unicode 11 widths, VTE) draw it: East Asian Wide/Fullwidth (CJK, and emoji with
 * emoji presentation) take 2 cells, combining marks and format characters (ZWJ, variation selectors)
 * take 0, everything else 1. The scrollback, the input line and the screen all measure with this one
 * function, so that what we lay out is what the terminal draws.
 */
import { eastAsianWidth } from 'get-east-asian-width';

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]$/u;

/** Width of one code point: 0, 1 or 2. Control characters count 0 (we never draw them). */
export function charWidth(codePoint: number): 0 | 1 | 2 {
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0)) return 0;
  if (codePoint < 0x300) return 1;
  if (ZERO_WIDTH.test(String.fromCodePoint(codePoint))) return 0;
  return eastAsianWidth(codePoint, { ambiguousAsWide: false });
}

export function strWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += charWidth(ch.codePointAt(0)!);
  return width;
}

/**
 * Split text into its first part that fits in `width` cells and the rest. A wide character that
 * would straddle the edge goes to the rest; zero-width characters stay with the character before.
 */
export function splitAtWidth(text: string, width: number): [head: string, rest: string] {
  let used = 0;
  let index = 0;
  for (const ch of text) {
    const w = charWidth(ch.codePointAt(0)!);
    if (w > 0 && used + w > width) break;
    used += w;
    index += ch.length;
  }
  return [text.slice(0, index), text.slice(index)];
}

/** Replace control characters (other than tab) with nothing and tabs with a space: the pane draws text, never commands. */
export function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\t/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}

/**
 * Terminal escape sequences (colours, cursor moves, titles) as they come in pasted or piped text:
 * CSI (ESC [ … final, or C1 CSI), OSC (ESC ] … BEL or ST), DCS/SOS/PM/APC strings, and two-byte
 * escapes. Each is removed whole, so that "\x1b[31mred\x1b[0m" becomes "red", not "[31mred[0m".
 */
const ESCAPE_RE =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[ -/]*[0-~]/g;

/** Text typed, pasted or piped in, made fit to send: escape sequences removed whole, then sanitize(). */
export function cleanInput(text: string): string {
  return sanitize(text.replace(ESCAPE_RE, ''));
}
