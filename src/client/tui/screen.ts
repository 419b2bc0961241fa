/**
 * @module
 * The only module that imports blessed. We use blessed for what it does well — terminfo, the
 * alternate screen, a cell buffer diffed against what the terminal shows (smartCSR), resize
 * events, and putting the terminal back on exit — and paint that cell buffer ourselves from
 * layout.ts's rows, because blessed's own text layout measures emoji as one cell.
 *
 * Keys are read from the input stream here (raw mode) and parsed by input.ts; blessed is given a
 * silent stream so that it never reads the keyboard itself.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import blessed from 'blessed';
import type { Style } from '../format.js';
import { charWidth } from '../width.js';
import { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON, InputParser, MOUSE_OFF, MOUSE_ON, type InputEvent } from './input.js';
import type { Frame, Size } from './layout.js';

/** A terminal's input: a TTY stdin, or any stream in tests. */
export type TerminalInput = Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
/** A terminal's output: a TTY stdout, or any stream with columns/rows that emits 'resize'. */
export type TerminalOutput = Writable & { columns?: number; rows?: number };

export interface ScreenHandlers {
  input(events: InputEvent[]): void;
  resize(): void;
}

type Cell = [number, string];
type BlessedUnicode = { charWidth: (str: string | number, i?: number) => number; codePointAt: (str: string, i: number) => number };

// blessed decides from charWidth whether a cell holds a double-width character (and so whether
// the next cell is covered). Its table predates emoji; ours is what we lay out with.
const unicode = (blessed as unknown as { unicode: BlessedUnicode }).unicode;
unicode.charWidth = (str: string | number, i = 0): number => {
  const cp = typeof str === 'number' ? str : str === '' ? 0x20 : unicode.codePointAt(str, i);
  return cp === 0 ? 0 : charWidth(cp) === 2 ? 2 : 1;
};

// blessed.colors.match() answers from a cache that blessed fills, while building its 8-colour
// fallback table, with the nearest of the first 8 colours for every xterm-256 palette entry. Our
// colours are palette entries, so without this every name colour would come out as one of 8
// (and the grey of system lines as the yellow of mentions). Start from an empty cache.
(blessed as unknown as { colors: { _cache: Record<number, number> } }).colors._cache = {};

const DEFAULT = 0x1ff;
const DIM_FG = '#808080';

export class TerminalScreen {
  private readonly screen: blessed.Widgets.Screen;
  private readonly parser = new InputParser();
  /** Attribute numbers by style key; bounded by the few distinct styles format.ts makes. */
  private readonly attrs = new Map<string, number>();
  private destroyed = false;
  private readonly onData = (chunk: string | Buffer): void => {
    const events = this.parser.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    if (events.length > 0) this.handlers.input(events);
  };

  constructor(
    private readonly input: TerminalInput,
    private readonly output: TerminalOutput,
    private readonly handlers: ScreenHandlers,
    private readonly opts: { mouse: boolean } = { mouse: true },
  ) {
    const silent = new PassThrough();
    this.screen = blessed.screen({
      input: silent,
      output,
      smartCSR: true,
      fullUnicode: true,
      forceUnicode: true,
      terminal: 'xterm-256color',
      warnings: false,
      autoPadding: false,
      dockBorders: false,
      resizeTimeout: 0,
    } as unknown as blessed.Widgets.IScreenOptions);
    // We write UTF-8 box drawing as is: blessed would switch to the VT100 line-drawing set (ACS)
    // for "│", which tmux's capture and some terminals show as "x".
    (this.screen as unknown as { tput: { brokenACS: boolean } }).tput.brokenACS = true;
    this.screen.on('resize', () => this.handlers.resize());
    output.write(BRACKETED_PASTE_ON + (opts.mouse ? MOUSE_ON : ''));
    if (input.isTTY && input.setRawMode) input.setRawMode(true);
    input.setEncoding?.('utf8');
    input.on('data', this.onData);
    input.resume();
  }

  get size(): Size {
    return { cols: this.screen.cols, rows: this.screen.rows };
  }

  /** Paint a frame into blessed's buffer and let blessed send the difference. */
  paint(frame: Frame): void {
    if (this.destroyed) return;
    const lines = (this.screen as unknown as { lines: (Cell[] & { dirty: boolean })[] }).lines;
    const { cols, rows } = this.size;
    for (let y = 0; y < rows && y < lines.length; y++) {
      const line = lines[y]!;
      let x = 0;
      for (const seg of frame.rows[y] ?? []) {
        const attr = this.attr(seg.style);
        for (const ch of seg.text) {
          const cp = ch.codePointAt(0)!;
          // A control character would act on the terminal (a tab moves the cursor), never draw.
          if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
          const w = charWidth(cp);
          if (w === 0) {
            if (x > 0) line[x - 1]![1] += ch;
            continue;
          }
          if (x + w > cols) break;
          line[x] = [attr, ch];
          if (w === 2) line[x + 1] = [attr, ''];
          x += w;
        }
      }
      for (; x < cols; x++) line[x] = [this.attr({}), ' '];
      line.dirty = true;
    }
    this.screen.render();
    const program = this.screen.program;
    program.cup(frame.cursor.y, frame.cursor.x);
    program.showCursor();
  }

  /** Bytes for the terminal itself, outside the frame: the bell, a title sequence (the caller makes them safe). */
  signal(bytes: string): void {
    if (!this.destroyed) this.output.write(bytes);
  }

  /** Ctrl-L: forget what the terminal shows and send everything again. */
  redraw(): void {
    (this.screen as unknown as { realloc(): void }).realloc();
  }

  /** Put the terminal back as we found it. Safe to call more than once. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.input.off('data', this.onData);
    if (this.input.isTTY && this.input.setRawMode) this.input.setRawMode(false);
    this.input.pause();
    this.output.write((this.opts.mouse ? MOUSE_OFF : '') + BRACKETED_PASTE_OFF);
    this.screen.destroy();
  }

  private attr(style: Style): number {
    const key = `${style.fg ?? ''}|${style.bold ? 1 : 0}|${style.dim ? 1 : 0}|${style.inverse ? 1 : 0}`;
    let a = this.attrs.get(key);
    if (a === undefined) {
      const fgColour = style.fg ?? (style.dim ? DIM_FG : undefined);
      const fg = fgColour === undefined ? DEFAULT : (blessed as unknown as { colors: { match(c: string): number } }).colors.match(fgColour);
      const flags = (style.bold ? 1 : 0) | (style.inverse ? 8 : 0);
      a = (flags << 18) | (fg << 9) | DEFAULT;
      this.attrs.set(key, a);
    }
    return a;
  }
}
