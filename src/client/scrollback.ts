/**
 * @module
 * The message pane's memory: a bounded ring of styled logical lines, wrapped to the pane's width by
 * display width (catgirl's buffer.c). Wrapping is cached per width and redone when the width
 * changes, so a resize reflows everything. The scroll position lives here too, so that "scrolled
 * up" and "new lines below" are answered in one place.
 */
import { findUrls, type Segment, type Style, type StyledLine } from './format.js';
import { charWidth } from './width.js';

export type Row = Segment[];

export interface PaneView {
  /** Exactly `height` rows (padded with empty rows at the top when there is little to show). */
  rows: Row[];
  /** The view does not show the newest row. */
  scrolledUp: boolean;
  /** Logical lines that arrived since the user scrolled up. */
  newBelow: number;
}

interface Cell {
  ch: string;
  width: number;
  style: Style;
  /** Which link (by order in the line) the cell is part of. */
  url?: number;
}

/**
 * Wrap one styled line into rows of at most `width` cells, breaking after a space when one is near.
 * A row that continues a link starts at column 0, not under the indent, so that selecting the rows
 * copies the link without spaces inside it.
 */
export function wrap(line: StyledLine, width: number): Row[] {
  const cells: Cell[] = [];
  const at: number[] = []; // UTF-16 offset of each cell in the line's text
  let text = '';
  for (const seg of line.segments) {
    for (const ch of seg.text) {
      const w = charWidth(ch.codePointAt(0)!);
      // Zero-width characters (combining marks, ZWJ) ride with the cell before them.
      if (w === 0 && cells.length > 0) cells[cells.length - 1]!.ch += ch;
      else if (w > 0) {
        cells.push({ ch, width: w, style: seg.style });
        at.push(text.length);
      }
      if (w > 0 || cells.length > 0) text += ch;
    }
  }
  const links = findUrls(text);
  for (let k = 0, c = 0; k < links.length; k++) {
    while (c < cells.length && at[c]! < links[k]!.start) c++;
    for (; c < cells.length && at[c]! < links[k]!.end; c++) cells[c]!.url = k;
  }
  const w = Math.max(width, 2);
  const indent = continuationIndent(line.indent, w);
  const rows: Cell[][] = [];
  let i = 0;
  do {
    const inLink = i > 0 && cells[i]?.url !== undefined && cells[i]!.url === cells[i - 1]!.url;
    const lead = rows.length === 0 || inLink ? 0 : indent;
    const room = w - lead;
    let j = i;
    let used = 0;
    while (j < cells.length && used + cells[j]!.width <= room) used += cells[j++]!.width;
    if (j === i && j < cells.length) j++; // never stall on a character wider than the room
    let end = j;
    let next = j;
    if (j < cells.length) {
      if (cells[j]!.ch === ' ')
        next = j + 1; // the break falls on a space: drop it
      else {
        // Break after the last space of the row (not inside the time/name prefix), if that keeps the row reasonably full.
        const floor = rows.length === 0 ? Math.max(i, line.indent) : i;
        for (let k = j - 1; k >= floor; k--) {
          if (cells[k]!.ch === ' ') {
            if (k + 1 - i >= room / 3) end = next = k + 1;
            break;
          }
        }
      }
    }
    rows.push([...indentCells(lead), ...cells.slice(i, end)]);
    i = next;
  } while (i < cells.length);
  return rows.map(merge);
}

/** Where the time stamp ("HH:MM ") ends: text under it reads as the same line, not a new one. */
const FALLBACK_INDENT = 6;

/**
 * Continuation rows line up under the text. When the prefix (a long name) would leave little room,
 * they go under the end of the time stamp instead, so they still do not look like new lines; only
 * a row too narrow even for that starts them at 0.
 */
function continuationIndent(indent: number, width: number): number {
  if (indent <= width / 2) return indent;
  const fallback = Math.min(indent, FALLBACK_INDENT);
  return fallback <= width / 2 ? fallback : 0;
}

function indentCells(n: number): Cell[] {
  return Array.from({ length: n }, () => ({ ch: ' ', width: 1, style: {} }));
}

/** Adjacent cells with the same style become one segment. */
function merge(cells: Cell[]): Row {
  const out: Segment[] = [];
  for (const c of cells) {
    const last = out[out.length - 1];
    if (last && last.style === c.style) last.text += c.ch;
    else out.push({ text: c.ch, style: c.style });
  }
  return out;
}

export class Scrollback {
  private readonly lines: (StyledLine | undefined)[];
  private start = 0;
  private count = 0;
  private wrapWidth = 0;
  private wrapped: (Row[] | undefined)[];
  /** Rows between the bottom of the view and the newest row; 0 = following the conversation. */
  private offset = 0;
  private unread = 0;
  /** The message id /goto highlighted (drawn inverse), if any. */
  private highlight: number | undefined;

  constructor(readonly capacity = 5_000) {
    this.lines = new Array<StyledLine | undefined>(capacity);
    this.wrapped = new Array<Row[] | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(line: StyledLine): void {
    const slot = (this.start + this.count) % this.capacity;
    if (this.count === this.capacity) this.start = (this.start + 1) % this.capacity;
    else this.count++;
    this.lines[slot] = line;
    this.wrapped[slot] = undefined;
    if (this.offset > 0) {
      // Keep the view where the reader left it; the new rows are below.
      this.offset += this.rowsOf(this.count - 1).length;
      this.unread++;
    }
  }

  /**
   * Put an older page above the oldest line, in order (oldest first). The view stays where it is:
   * the offset counts rows from the bottom. When the page does not fit in what is left of the
   * capacity, its newest lines are kept (they join what is shown) and its oldest are dropped;
   * `kept` says how many went in.
   */
  prepend(lines: readonly StyledLine[]): number {
    const kept = lines.slice(Math.max(0, lines.length - (this.capacity - this.count)));
    for (let i = kept.length - 1; i >= 0; i--) {
      this.start = (this.start - 1 + this.capacity) % this.capacity;
      this.lines[this.start] = kept[i]!;
      this.wrapped[this.start] = undefined;
      this.count++;
    }
    return kept.length;
  }

  /** Lines that can still go in without dropping any. */
  get room(): number {
    return this.capacity - this.count;
  }

  /** The id of the oldest line that has one (a message from the server). */
  oldestId(): number | undefined {
    for (let k = 0; k < this.count; k++) {
      const id = this.lines[(this.start + k) % this.capacity]!.id;
      if (id !== undefined) return id;
    }
    return undefined;
  }

  /** Does the view show the oldest row (PageUp can go no further)? */
  atTop(width: number, height: number): boolean {
    this.setWidth(width);
    return this.offset >= Math.max(0, this.totalRows() - height);
  }

  /**
   * /goto: scroll so that the line with message id `id` is in the middle of the view, and draw it
   * highlighted. False when no line has that id.
   */
  reveal(id: number, width: number, height: number): boolean {
    this.setWidth(width);
    let k = this.count - 1;
    let below = 0;
    for (; k >= 0; k--) {
      if (this.lines[(this.start + k) % this.capacity]!.id === id) break;
      below += this.rowsOf(k).length;
    }
    if (k < 0) return false;
    this.highlight = id;
    const rows = this.rowsOf(k).length;
    this.offset = Math.min(Math.max(0, this.totalRows() - height), Math.max(0, below + rows - Math.ceil((height + rows) / 2)));
    if (this.offset === 0) this.unread = 0;
    return true;
  }

  clear(): void {
    this.highlight = undefined;
    this.start = 0;
    this.count = 0;
    this.offset = 0;
    this.unread = 0;
    this.lines.fill(undefined);
    this.wrapped.fill(undefined);
  }

  /** Scroll by `rows` (positive = back in time). Clamped to what there is. */
  scroll(rows: number, width: number, height: number): void {
    this.setWidth(width);
    const max = Math.max(0, this.totalRows() - height);
    this.offset = Math.min(max, Math.max(0, this.offset + rows));
    if (this.offset === 0) this.unread = 0;
  }

  scrollToBottom(): void {
    this.offset = 0;
    this.unread = 0;
  }

  view(width: number, height: number): PaneView {
    this.setWidth(width);
    const total = this.totalRows();
    this.offset = Math.min(this.offset, Math.max(0, total - height));
    if (this.offset === 0) this.unread = 0;
    const rows: Row[] = [];
    // Walk back from the newest line, skipping `offset` rows, collecting `height` rows.
    let skip = this.offset;
    for (let k = this.count - 1; k >= 0 && rows.length < height; k--) {
      const lit = this.highlight !== undefined && this.lines[(this.start + k) % this.capacity]!.id === this.highlight;
      const lineRows = lit
        ? this.rowsOf(k).map((row) => row.map((seg) => ({ text: seg.text, style: { ...seg.style, inverse: true } })))
        : this.rowsOf(k);
      for (let r = lineRows.length - 1; r >= 0 && rows.length < height; r--) {
        if (skip > 0) skip--;
        else rows.push(lineRows[r]!);
      }
    }
    rows.reverse();
    while (rows.length < height) rows.unshift([]);
    return { rows, scrolledUp: this.offset > 0, newBelow: this.unread };
  }

  private setWidth(width: number): void {
    if (width === this.wrapWidth) return;
    if (this.offset > 0 && this.wrapWidth > 0) {
      // Keep the same logical line at the bottom of the view across the reflow.
      const below = this.linesBelow(this.offset);
      this.wrapWidth = width;
      this.wrapped.fill(undefined);
      let rows = 0;
      for (let k = this.count - below; k < this.count; k++) rows += this.rowsOf(k).length;
      this.offset = rows;
    } else {
      this.wrapWidth = width;
      this.wrapped.fill(undefined);
    }
  }

  /** How many whole logical lines lie below a view `offset` rows up from the bottom. */
  private linesBelow(offset: number): number {
    let rows = 0;
    let k = this.count - 1;
    while (k >= 0 && rows + this.rowsOf(k).length <= offset) {
      rows += this.rowsOf(k).length;
      k--;
    }
    return this.count - 1 - k;
  }

  private totalRows(): number {
    let n = 0;
    for (let k = 0; k < this.count; k++) n += this.rowsOf(k).length;
    return n;
  }

  /** Rows of the k-th oldest line at the current width (cached). */
  private rowsOf(k: number): Row[] {
    const slot = (this.start + k) % this.capacity;
    let rows = this.wrapped[slot];
    if (!rows) {
      rows = wrap(this.lines[slot]!, this.wrapWidth || 80);
      this.wrapped[slot] = rows;
    }
    return rows;
  }
}
