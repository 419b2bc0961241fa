/**
 * @module
 * Names and rooms: what is valid and how two names compare. Shared by the server's name map and
 * the client's completion, so both fold names the same way.
 */
import { MAX_NAME_CHARS } from './messages.js';

const NAME_RE = /^[\p{L}\p{M}\p{N}_.-]+$/u;

/** The key under which a name is unique: NFC, then case-folded. */
export function foldName(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

/** Length in characters (code points) after NFC, as PROTOCOL.md counts it. */
function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function isValidName(name: unknown): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_CHARS * 4) return false;
  const nfc = name.normalize('NFC');
  const n = charCount(nfc);
  return n >= 1 && n <= MAX_NAME_CHARS && NAME_RE.test(nfc);
}

export function isValidRoom(room: unknown): room is string {
  return typeof room === 'string' && room.startsWith('#') && isValidName(room.slice(1));
}

/** Accept "general" as well as "#general" from people typing. */
export function normalizeRoom(room: string): string {
  return room.startsWith('#') ? room : `#${room}`;
}
