/**
 * @module
 * One Scrollback per window, keyed by the window's id (windows.ts never reuses one, and keeps it
 * across renumbering and renames): what the full screen keeps of each window's lines. The model
 * says where each line goes (Shown); this only stores them, styled, and forgets closed windows.
 */
import { styleLine, type StyledLine } from '../format.js';
import { Scrollback } from '../scrollback.js';
import type { Shown, Windows } from '../windows.js';
import { dayLine } from './windowbar.js';

export class Panes {
  private readonly panes = new Map<number, Scrollback>();

  constructor(
    private readonly capacity = 5_000,
    private readonly style: { seconds?: boolean } = {},
  ) {}

  /** The window's scrollback, made on first use. */
  pane(id: number): Scrollback {
    let sb = this.panes.get(id);
    if (!sb) {
      sb = new Scrollback(this.capacity);
      this.panes.set(id, sb);
    }
    return sb;
  }

  /** New lines go below; an older page (`top`) goes above, in order. */
  show(shown: readonly Shown[]): void {
    const above = new Map<number, StyledLine[]>();
    for (const s of shown) {
      const styled = 'line' in s ? styleLine(s.line, this.style) : dayLine(s.day);
      if (s.top) above.set(s.window, [...(above.get(s.window) ?? []), styled]);
      else this.pane(s.window).push(styled);
    }
    for (const [id, lines] of above) this.pane(id).prepend(lines);
  }

  /** Drop the lines of windows that are closed. */
  prune(ws: Windows): void {
    const open = new Set(ws.list.map((w) => w.id));
    for (const id of [...this.panes.keys()]) if (!open.has(id)) this.panes.delete(id);
  }

  get count(): number {
    return this.panes.size;
  }
}
