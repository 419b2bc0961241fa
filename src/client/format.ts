/**
 * @module
 * ChatLine → styled segments (for the screen) or one plain line (for line mode). Styles are named,
 * not terminal codes: tui/screen.ts maps them to colours, so this module stays pure.
 *
 * Levels, from loud to quiet: a mention of our name (bold, highlighted), our own lines (bold name),
 * other people's lines (name in its own colour), info, and system lines (dimmed).
 */
import { compareNames, foldName } from '../protocol/internal.js';
import type { ChatLine, SpokenLine } from './line.js';
import { sanitize, strWidth } from './width.js';

export interface Style {
  /** A colour as "#rrggbb", or undefined for the terminal's default. */
  fg?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

export interface Segment {
  text: string;
  style: Style;
}

export interface StyledLine {
  segments: Segment[];
  /** Cells to indent continuation rows by, so that wrapped text lines up under the first row's text. */
  indent: number;
  /** The message id of a line from the server: what an older page is asked before, and what /goto finds. */
  id?: number;
}

/**
 * Name colours: readable on dark and light backgrounds, distinct from the error red and the
 * mention yellow. The index is a hash of the folded name, so a name keeps its colour everywhere
 * and across sessions.
 */
export const NAME_COLOURS = [
  '#5fafff',
  '#5fd75f',
  '#d787d7',
  '#00afaf',
  '#ff875f',
  '#87afff',
  '#afaf00',
  '#d7875f',
  '#5fafaf',
  '#af87ff',
  '#87af5f',
  '#ff5faf',
] as const;

const STYLES = {
  time: { dim: true },
  text: {},
  own: { bold: true },
  mention: { fg: '#ffd700', bold: true },
  system: { dim: true },
  info: {},
  error: { fg: '#ff5f5f' },
  pending: { dim: true },
} as const satisfies Record<string, Style>;

/** FNV-1a over the folded name: stable across runs and platforms, cheap, well spread. */
export function nameColour(name: string): string {
  let hash = 0x811c9dc5;
  for (const ch of foldName(name)) {
    hash ^= ch.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return NAME_COLOURS[hash % NAME_COLOURS.length]!;
}

/** The one order names are listed in, shared with the server (src/protocol/names.ts). */
export { compareNames };

/** Does `text` mention `name` as a word (case-insensitively)? */
export function mentions(text: string, name: string): boolean {
  if (name === '') return false;
  const folded = foldName(text);
  const needle = foldName(name);
  let at = folded.indexOf(needle);
  while (at >= 0) {
    const before = at === 0 ? '' : folded[at - 1]!;
    if (!isNameChar(before) && !continuesName(folded, at + needle.length)) return true;
    at = folded.indexOf(needle, at + 1);
  }
  return false;
}

function isNameChar(ch: string): boolean {
  return ch !== '' && /[\p{L}\p{M}\p{N}_.-]/u.test(ch);
}

/**
 * Does the name go on at `i`? "." and "-" are name characters ("al.ice"), but a run of them that
 * no letter or digit follows is punctuation: "thanks alice." and "ok alice..." end the name.
 */
function continuesName(text: string, i: number): boolean {
  let j = i;
  while (text[j] === '.' || text[j] === '-') j++;
  return /^[\p{L}\p{M}\p{N}_]/u.test(text.slice(j, j + 2));
}

/** http(s) links, without the punctuation that usually follows one in a sentence. */
const URL_RE = /\bhttps?:\/\/[^\s<>"]+/giu;

/** The links in `text`, with their start and end (UTF-16 offsets), in order. */
export function findUrls(text: string): { url: string; start: number; end: number }[] {
  const out: { url: string; start: number; end: number }[] = [];
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0];
    // A closing bracket belongs to the link only if the link opened one ("…/Foo_(bar)").
    while (/[.,;:!?'’)\]]$/.test(url) && !(/[)\]]$/.test(url) && count(url, url.endsWith(')') ? '(' : '[') >= count(url, url.at(-1)!)))
      url = url.slice(0, -1);
    if (/^https?:\/\/./i.test(url)) out.push({ url, start: m.index, end: m.index + url.length });
  }
  return out;
}

function count(text: string, ch: string): number {
  return text.split(ch).length - 1;
}

/** "14:05" in local time, "14:05:09" with `seconds`. */
export function clockTime(ts: number, seconds = false): string {
  const d = new Date(ts);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}${seconds ? `:${two(d.getSeconds())}` : ''}`;
}

/** "2026-12-01" in local time. */
export function dateText(ts: number): string {
  const d = new Date(ts);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

/**
 * The time stamp of a line: "14:05"; a line from the store (history, a search result) has its date
 * in front when it is not from today ("2026-11-30 14:05"), and a search result always has it.
 */
export function stampText(line: ChatLine, seconds = false, now = Date.now()): string {
  const time = clockTime(line.ts, seconds);
  const spoken = 'history' in line && line.history === true;
  const dated = spoken && (('result' in line && line.result !== undefined) || dateText(line.ts) !== dateText(now));
  return dated ? `${dateText(line.ts)} ${time}` : time;
}

/** "[history 2026-12-01 14:05] " or "[3] #main 2026-12-01 14:05 ": what line mode puts before a line from the store. */
export function storedMark(line: ChatLine): string {
  if (!('history' in line) || line.history !== true) return '';
  const stamp = `${dateText(line.ts)} ${clockTime(line.ts)}`;
  return line.result ? `[${line.result.n}] ${line.result.room} ${stamp} ` : `[history ${stamp}] `;
}

/** The speaker part and body of a line, without time stamp; shared by the styled and plain forms. */
function parts(line: ChatLine): { who: Segment[]; body: string } {
  const text = sanitize(line.text);
  switch (line.kind) {
    case 'message':
      return { who: [speaker(line, line.from), { text: ': ', style: {} }], body: text };
    case 'action':
      return { who: [{ text: '* ', style: {} }, speaker(line, line.from), { text: ' ', style: {} }], body: text };
    case 'private':
      return line.own
        ? {
            who: [
              { text: '-> *', style: {} },
              { text: line.to, style: { fg: nameColour(line.to) } },
              { text: '* ', style: {} },
            ],
            body: text,
          }
        : { who: [{ text: '*', style: {} }, speaker(line, line.from), { text: '* ', style: {} }], body: text };
    case 'system':
      return { who: [{ text: '-- ', style: STYLES.system }], body: text };
    case 'info':
      return { who: [{ text: '-- ', style: {} }], body: text };
    case 'error':
      return { who: [{ text: '!! ', style: STYLES.error }], body: text };
  }
}

function speaker(line: SpokenLine, name: string): Segment {
  return { text: name, style: line.own ? { fg: nameColour(name), ...STYLES.own } : { fg: nameColour(name) } };
}

const pending = (line: ChatLine): boolean => 'pending' in line && line.pending === true;

function bodyStyle(line: ChatLine): Style {
  if (pending(line)) return STYLES.pending;
  if ('mention' in line && line.mention) return STYLES.mention;
  switch (line.kind) {
    case 'system':
      return STYLES.system;
    case 'error':
      return STYLES.error;
    case 'info':
      return STYLES.info;
    default:
      return STYLES.text;
  }
}

export const PENDING_MARK = ' (pending)';

/**
 * The styled form the pane draws: "14:05 alice: hello". History (from the store, not live) is
 * dimmed all through and dated when not from today; a search result starts with its number and room.
 */
export function styleLine(line: ChatLine, opts: { seconds?: boolean; now?: number } = {}): StyledLine {
  const time: Segment = { text: `${stampText(line, opts.seconds, opts.now)} `, style: STYLES.time };
  const { who, body } = parts(line);
  const style = bodyStyle(line);
  const result = 'result' in line ? line.result : undefined;
  const head: Segment[] = result
    ? [
        { text: `${result.n}. `, style: { bold: true } },
        { text: `${result.room} `, style: {} },
      ]
    : [];
  let segments: Segment[] = [
    ...head,
    time,
    ...who.map((s) => (pending(line) ? { text: s.text, style: STYLES.pending } : s)),
    { text: body, style },
  ];
  if (pending(line)) segments.push({ text: PENDING_MARK, style: STYLES.pending });
  if ('history' in line && line.history === true && !result)
    segments = segments.map((s) => ({ text: s.text, style: { ...s.style, dim: true } }));
  const indent = [...head, time, ...who].reduce((n, s) => n + strWidth(s.text), 0);
  return { segments, indent, ...('id' in line && line.id !== undefined ? { id: line.id } : {}) };
}

/** The plain form line mode prints: "alice: hello", "* alice waves", "-- bob joined #main". */
export function plainLine(line: ChatLine): string {
  const { who, body } = parts(line);
  return who.map((s) => s.text).join('') + body + (pending(line) ? PENDING_MARK : '');
}
