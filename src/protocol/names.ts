/**
 * @module
 * Names and rooms: what is valid and how two names compare. Shared by the server's name map and
 * the client's completion, so both fold names the same way.
 */
import { MAX_NAME_CHARS } from './messages.js';

/** A mark may follow a letter (Hindi needs them) but cannot stand first, alone on nothing. */
const NAME_RE = /^[\p{L}\p{N}_.-][\p{L}\p{M}\p{N}_.-]*$/u;
/**
 * Invisible characters that pass as letters or marks (U+3164 HANGUL FILLER, U+034F COMBINING
 * GRAPHEME JOINER, variation selectors): they would let "alice" and "alice\u034f" be two people.
 */
const INVISIBLE_RE = /\p{Default_Ignorable_Code_Point}/u;

/**
 * The key under which a name is unique, folded as PRECIS folds nicknames (RFC 8265/8266): NFKC
 * (fullwidth "ａ" and mathematical "𝐚" become "a"), then lower case with the Greek final sigma
 * folded to σ (lower-casing picks ς or σ by position, so "ΟΔΥΣΣΕΥΣ" and "οδυσσευσ" would not
 * clash), then NFC again: lower-casing can leave a letter and a mark that now compose ("J̌" is
 * "J" + U+030C, and "j" + U+030C is "ǰ"), and without the last NFC "J̌ane" and "ǰane" differ.
 */
export function foldName(name: string): string {
  return lowerCase(name.normalize('NFKC')).normalize('NFC');
}

/** Unicode default lower case (no locale), with ς counted as σ. */
export function lowerCase(s: string): string {
  return s.toLowerCase().replace(/ς/g, 'σ');
}

/** Length in characters (code points) after NFC, as PROTOCOL.md counts it. */
function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function isValidForm(s: string): boolean {
  const n = charCount(s);
  return n >= 1 && n <= MAX_NAME_CHARS && NAME_RE.test(s) && !INVISIBLE_RE.test(s);
}

/**
 * A name is valid when both the name as given (after NFC) and its folded form are: folding can
 * lengthen a name ("İ" lower-cases to "i" + U+0307, so 32 × "İ" folds to 64 characters) or turn
 * a letter into something no name may hold (NFKC makes "ﷺ" a phrase with spaces), and the
 * folded form is the key the server keeps.
 */
export function isValidName(name: unknown): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_CHARS * 4) return false;
  return isValidForm(name.normalize('NFC')) && isValidForm(foldName(name));
}

export function isValidRoom(room: unknown): room is string {
  return typeof room === 'string' && room.startsWith('#') && isValidName(room.slice(1));
}

/** Accept "general" as well as "#general" from people typing. */
export function normalizeRoom(room: string): string {
  return room.startsWith('#') ? room : `#${room}`;
}

const NAME_ORDER = new Intl.Collator('en', { numeric: true });

/**
 * The one order names and rooms are listed in, by the server (who, look, rooms, text mode) and
 * by the client (user list, completion): case-insensitive (folded as names are compared) and
 * natural, so user2 comes before user10; names that fold alike are ordered by code unit, so the
 * order is total and a sorted list can be searched by halves.
 */
export function compareNames(a: string, b: string): number {
  return NAME_ORDER.compare(foldName(a), foldName(b)) || (a < b ? -1 : a > b ? 1 : 0);
}
