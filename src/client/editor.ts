/**
 * @module
 * The input line as a pure value (catgirl's edit.c): a buffer of characters, a cursor, a history
 * and a kill buffer. Keys are turned into these calls by tui/keys.ts; nothing here knows about a
 * terminal, so every behaviour is tested as a table.
 *
 * The buffer holds code points, so the cursor never lands inside a surrogate pair; widths are
 * measured with width.ts so that CJK and emoji move the cursor by the cells they take.
 */
import { charWidth, strWidth } from './width.js';

export const HISTORY_LIMIT = 500;

export class LineEditor {
  private chars: string[] = [];
  private pos = 0;
  private readonly history: string[] = [];
  /** Index into history while walking it with Up/Down; history.length = the line being edited. */
  private walk = 0;
  /** The unsent line, kept while walking the history. */
  private draft = '';
  private killed = '';

  get text(): string {
    return this.chars.join('');
  }

  /** Cursor position in characters (code points). */
  get cursor(): number {
    return this.pos;
  }

  set(text: string, cursor = Infinity): void {
    this.chars = [...text];
    this.pos = Math.max(0, Math.min(cursor, this.chars.length));
  }

  insert(text: string): void {
    const add = [...text];
    this.chars.splice(this.pos, 0, ...add);
    this.pos += add.length;
  }

  left(): void {
    this.pos = Math.max(0, this.pos - 1);
  }

  right(): void {
    this.pos = Math.min(this.chars.length, this.pos + 1);
  }

  home(): void {
    this.pos = 0;
  }

  end(): void {
    this.pos = this.chars.length;
  }

  wordLeft(): void {
    this.pos = this.wordStart();
  }

  wordRight(): void {
    let p = this.pos;
    while (p < this.chars.length && isSpace(this.chars[p]!)) p++;
    while (p < this.chars.length && !isSpace(this.chars[p]!)) p++;
    this.pos = p;
  }

  backspace(): void {
    if (this.pos === 0) return;
    this.chars.splice(this.pos - 1, 1);
    this.pos--;
  }

  deleteForward(): void {
    this.chars.splice(this.pos, 1);
  }

  /** Ctrl-U: delete from the start of the line to the cursor. */
  killToStart(): void {
    this.kill(0, this.pos);
  }

  /** Ctrl-K: delete from the cursor to the end of the line. */
  killToEnd(): void {
    this.kill(this.pos, this.chars.length);
  }

  /** Ctrl-W: delete the word before the cursor (and the spaces after it), as a shell does. */
  killWordBack(): void {
    this.kill(this.wordStart(), this.pos);
  }

  /** Ctrl-Y: insert the last killed text. */
  yank(): void {
    this.insert(this.killed);
  }

  /** Up: the previous history entry (the line being typed is kept as a draft). */
  historyUp(): void {
    if (this.walk === 0) return;
    if (this.walk === this.history.length) this.draft = this.text;
    this.walk--;
    this.set(this.history[this.walk]!);
  }

  /** Down: the next history entry, and finally the draft again. */
  historyDown(): void {
    if (this.walk >= this.history.length) return;
    this.walk++;
    this.set(this.walk === this.history.length ? this.draft : this.history[this.walk]!);
  }

  /** Put a line in the history without touching the line being typed (a refused line, for Up to bring back). */
  remember(line: string): void {
    if (line.trim() === '' || this.history[this.history.length - 1] === line) return;
    const atEnd = this.walk === this.history.length;
    this.history.push(line);
    if (this.history.length > HISTORY_LIMIT) {
      this.history.shift();
      if (!atEnd) this.walk = Math.max(0, this.walk - 1);
    }
    if (atEnd) this.walk = this.history.length;
  }

  /** Enter: take the line, remember it in the history (not twice in a row, nor when `keep` says no), start afresh. */
  submit(keep: (line: string) => boolean = () => true): string {
    const line = this.text;
    if (line.trim() !== '' && this.history[this.history.length - 1] !== line && keep(line)) {
      this.history.push(line);
      if (this.history.length > HISTORY_LIMIT) this.history.shift();
    }
    this.walk = this.history.length;
    this.draft = '';
    this.set('');
    return line;
  }

  /**
   * What the input line shows in `width` cells: a window on the text that keeps the cursor
   * visible (scrolling horizontally, as readline does), and the cursor's column in it.
   */
  view(width: number): { text: string; cursor: number } {
    const w = Math.max(width, 2);
    const before = this.chars.slice(0, this.pos);
    // Start as far left as possible while the cursor (and the cell it sits on) still fits.
    let start = 0;
    let used = strWidth(before.join(''));
    while (start < before.length && used + 1 > w) used -= charWidth(before[start++]!.codePointAt(0)!);
    let text = '';
    let cells = 0;
    for (let k = start; k < this.chars.length; k++) {
      const cw = charWidth(this.chars[k]!.codePointAt(0)!);
      if (cells + cw > w) break;
      text += this.chars[k]!;
      cells += cw;
    }
    return { text, cursor: used };
  }

  private wordStart(): number {
    let p = this.pos;
    while (p > 0 && isSpace(this.chars[p - 1]!)) p--;
    while (p > 0 && !isSpace(this.chars[p - 1]!)) p--;
    return p;
  }

  private kill(from: number, to: number): void {
    if (to <= from) return;
    this.killed = this.chars.slice(from, to).join('');
    this.chars.splice(from, to - from);
    this.pos = from;
  }
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t';
}
