/**
 * @module
 * What the screen shows of the windows, as styled rows (pure: no blessed): the window bar
 * (`[1:server] [2:#main] [3:#rust*] [4:bob!]`, irssi's activity list and WeeChat's hotlist in
 * one), the title line at the top (`#rust — topic`), the day-change line in a pane, the terminal
 * title (`framechat (3) — #main`), and a frame with the title line and the bar around layout.ts's.
 *
 * Marks after a window's name, quiet to loud: none, `+` (joins, leaves, topic), `*` (something
 * said), `!` (a mention of us or a private message). Each level has its own style too, so a
 * terminal without colour still shows the mark and one with colour shows both.
 */
import type { Segment, Style, StyledLine } from '../format.js';
import type { Row } from '../scrollback.js';
import { sanitize, splitAtWidth, strWidth } from '../width.js';
import { focusedWindow, unreadTotal, type Activity, type Window, type Windows } from '../windows.js';
import { compose, fit, STATUS_STYLE, type Frame, type FrameInput } from './layout.js';

export const ACTIVITY_MARK: Record<Activity, string> = { none: '', activity: '+', message: '*', mention: '!' };

export const BAR_STYLES = {
  focused: { inverse: true, bold: true },
  none: { dim: true },
  activity: { fg: '#00afaf' },
  message: { bold: true },
  mention: { fg: '#ffd700', bold: true },
  more: { dim: true },
} as const satisfies Record<Activity | 'focused' | 'more', Style>;

/** A name longer than this (in cells) is cut with "…" in the bar, whatever the width. */
export const BAR_NAME_MAX = 16;

/** `text` cut to `width` cells, ending in "…" when it had to be cut. */
export function ellipsis(text: string, width: number): string {
  if (strWidth(text) <= width) return text;
  if (width <= 0) return '';
  return `${splitAtWidth(text, width - 1)[0]}…`;
}

interface Item {
  number: number;
  window: Window;
  focused: boolean;
}

/** How an item is drawn at one stage of fitting: with its name, without it, or not at all. */
type Shape = 'name' | 'number' | 'hidden';

function itemText(it: Item, shape: Shape): string {
  const mark = it.focused ? '' : ACTIVITY_MARK[it.window.activity];
  return shape === 'name' ? `[${it.number}:${ellipsis(sanitize(it.window.name), BAR_NAME_MAX)}${mark}]` : `[${it.number}${mark}]`;
}

function itemStyle(it: Item): Style {
  return it.focused ? BAR_STYLES.focused : BAR_STYLES[it.window.activity];
}

/**
 * The stages a narrow terminal goes through, each giving up more: first the names of windows
 * with nothing new, then every name but the focused one's, then that too, then the quiet windows
 * themselves (a "…" stands where they were). Numbers and marks of windows with news stay longest.
 */
const STAGES: ((it: Item) => Shape)[] = [
  () => 'name',
  (it) => (it.focused || it.window.activity !== 'none' ? 'name' : 'number'),
  (it) => (it.focused ? 'name' : 'number'),
  () => 'number',
  (it) => (it.focused || it.window.activity !== 'none' ? 'number' : 'hidden'),
];

function build(items: readonly Item[], shapeOf: (it: Item) => Shape): Segment[] {
  const out: Segment[] = [];
  let hiding = false;
  for (const it of items) {
    const shape = shapeOf(it);
    if (shape === 'hidden') {
      if (!hiding) out.push(...(out.length > 0 ? [{ text: ' ', style: {} }] : []), { text: '…', style: BAR_STYLES.more });
      hiding = true;
      continue;
    }
    hiding = false;
    if (out.length > 0) out.push({ text: ' ', style: {} });
    out.push({ text: itemText(it, shape), style: itemStyle(it) });
  }
  return out;
}

const rowWidth = (row: readonly Segment[]): number => row.reduce((n, s) => n + strWidth(s.text), 0);

/** The window bar, exactly `width` cells wide. */
export function windowBar(ws: Windows, width: number): Row {
  if (width <= 0) return [];
  const items = ws.list.map((window, i) => ({ number: i + 1, window, focused: window.id === ws.focused }));
  for (const stage of STAGES) {
    const row = build(items, stage);
    if (rowWidth(row) <= width) return fit(row, width);
  }
  // Even the numbers of the windows with news do not fit: the whole items that fit, then "…".
  const kept: Segment[] = [];
  let used = 0;
  for (const seg of build(items, STAGES[STAGES.length - 1]!)) {
    if (used + strWidth(seg.text) > width - 1) break;
    kept.push(seg);
    used += strWidth(seg.text);
  }
  while (kept.at(-1)?.text === ' ' || kept.at(-1)?.text === '…') kept.pop(); // one "…" at the end is enough
  return fit([...kept, { text: '…', style: BAR_STYLES.more }], width);
}

/** The title line's text for a window: `#rust — topic`, `#rust (not joined) — topic`, `bob — private`, the server's name. */
export function titleText(w: Window): string {
  const name = sanitize(w.name);
  if (w.kind === 'private') return `${name} — private conversation`;
  if (w.kind === 'server') return `${name} — server notices`;
  const head = w.joined ? name : `${name} (not joined)`;
  const topic = sanitize(w.topic).trim();
  return topic === '' ? head : `${head} — ${topic}`;
}

/** The title line at the top of the screen, exactly `width` cells wide, cut with "…" by display width. */
export function titleLine(w: Window, width: number): Row {
  if (width <= 0) return [];
  return fit([{ text: ellipsis(` ${titleText(w)}`, width), style: STATUS_STYLE }], width, STATUS_STYLE);
}

/** A day-change line in the pane: "── Tuesday 1 December 2026 ──". */
export function dayLine(day: string): StyledLine {
  return { segments: [{ text: `── ${day} ──`, style: { dim: true } }], indent: 0 };
}

/** The terminal's title: the unread mentions and private messages, then the focused window. */
export function terminalTitle(ws: Windows, app = 'framechat'): string {
  const n = unreadTotal(ws);
  const name = sanitize(focusedWindow(ws).name);
  return `${app}${n > 0 ? ` (${n})` : ''} — ${name}`;
}

/** The escape sequence that sets the terminal title (OSC 2); control characters in `text` never reach the terminal. */
export function titleSequence(text: string): string {
  return `\x1b]2;${sanitize(text)}\x07`;
}

export const BELL = '\x07';

/** Below this many rows the title line and the window bar give way: the conversation needs the rows more. */
export const MIN_ROWS_FOR_WINDOWS = 6;

/**
 * layout.ts's frame with the title line on top and the window bar above the status bar:
 *
 *     title line
 *     pane (rows - 4) │ users
 *     window bar
 *     status bar
 *     input line
 */
export function composeWindows(f: FrameInput, ws: Windows): Frame {
  const { cols, rows } = f.size;
  if (rows < MIN_ROWS_FOR_WINDOWS) return compose(f);
  const inner = compose({ ...f, size: { cols, rows: rows - 2 } });
  const body = inner.rows.slice(0, -2);
  return {
    rows: [titleLine(focusedWindow(ws), cols), ...body, windowBar(ws, cols), ...inner.rows.slice(-2)],
    cursor: { x: inner.cursor.x, y: inner.cursor.y + 2 },
  };
}
