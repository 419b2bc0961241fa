/**
 * @module
 * The full-screen front end: it owns the input line (editor + completion), the pane's memory
 * (scrollback) and the view choices (user list shown, paste waiting for a yes), turns input events
 * into those and into the app's commands, and composes frames for the screen. The connection and
 * the chat state stay in app.ts; blessed stays in screen.ts.
 */
import { foldName } from '../../protocol/internal.js';
import { OLDER_PAGE, type ChatApp, type Frontend } from '../app.js';
import { COMMAND_NAMES, keepInHistory } from '../commands.js';
import { Completer, completionNames } from '../complete.js';
import { LineEditor } from '../editor.js';
import { findUrls, styleLine } from '../format.js';
import type { ChatLine } from '../line.js';
import { wrap, type Row } from '../scrollback.js';
import type { PendingSend } from '../outgoing.js';
import type { ChatState } from '../state.js';
import { cleanInput, sanitize, strWidth } from '../width.js';
import { focusedWindow, focusNumber, START_OF_HISTORY, type Shown, type Window, type Windows } from '../windows.js';
import type { InputEvent } from './input.js';
import { areas, statusText, type Size } from './layout.js';
import { Panes } from './panes.js';
import { TerminalScreen, type TerminalInput, type TerminalOutput } from './screen.js';
import { BELL, composeWindows, MIN_ROWS_FOR_WINDOWS, terminalTitle, titleSequence } from './windowbar.js';

/** Pastes of more lines than this ask before sending. */
export const PASTE_ASK_ABOVE = 5;
/** Show the user list at start-up on terminals at least this wide. */
const USERS_MIN_COLS = 80;
const WHEEL_ROWS = 3;
/** /goto fetches at most this many pages back, of JUMP_PAGE lines, to find its line. */
const JUMP_PAGES = 20;
const JUMP_PAGE = 200;
/** Links remembered for /urls, the newest. */
export const URLS_KEPT = 50;

export interface TuiOptions {
  input: TerminalInput;
  output: TerminalOutput;
  /** Ask the terminal to report the mouse (for the wheel); off, the terminal's own selection works (default on). */
  mouse?: boolean;
  /** Ring the terminal bell on a mention or private message in a window not focused (default on). */
  bell?: boolean;
  /** Times with seconds ("14:05:09"). */
  seconds?: boolean;
}

/** The rows the title line and the window bar take, where the terminal has room for them. */
function chromeRows(size: Size): number {
  return size.rows >= MIN_ROWS_FOR_WINDOWS ? 2 : 0;
}

/** Is a pending line one of this window's? A /msg shows wherever it was typed (its echo goes to the partner's window). */
function pendingIn(p: PendingSend, w: Window): boolean {
  if (p.kind === 'msg') return true;
  return w.kind === 'room' && p.room !== undefined && w.key === foldName(p.room);
}

function pendingLine(p: PendingSend, me: string): ChatLine {
  const spoken = { ts: p.ts, text: p.text, from: me, own: true, pending: true };
  if (p.kind === 'msg') return { ...spoken, kind: 'private', to: p.to };
  return { ...spoken, kind: p.kind === 'me' ? 'action' : 'message' };
}

export class Tui implements Frontend {
  private readonly editor = new LineEditor();
  private readonly completer = new Completer();
  private readonly panes: Panes;
  private readonly screen: TerminalScreen;
  private state: ChatState;
  private windows: Windows;
  private readonly bell: boolean;
  private readonly seconds: boolean;
  /** The terminal title last set, so that it is only sent when it changes. */
  private title = '';
  private usersVisible: boolean;
  /** A multi-line paste waiting for y/n. */
  private confirm: string[] | undefined;
  private renderQueued = false;
  /** Links in the lines shown since the last /clear, oldest first, each once (bounded by URLS_KEPT). */
  private links: string[] = [];
  /** Re-renders the status bar once a second while a reconnect attempt is counted down. */
  private countdown: NodeJS.Timeout | undefined;
  private closed = false;
  /** Windows whose oldest page the server has sent ("start of history"): PageUp asks no more. */
  private readonly historyStart = new Set<number>();
  /** A /goto whose line is older than the window holds: pages are fetched back until it is there (bounded). */
  private jump: { window: number; id: number; pages: number } | undefined;

  constructor(
    private readonly app: ChatApp,
    io: TuiOptions,
  ) {
    this.state = app.state;
    this.windows = app.windows;
    this.bell = io.bell ?? true;
    this.seconds = io.seconds ?? false;
    this.panes = new Panes(5_000, { seconds: this.seconds });
    this.screen = new TerminalScreen(
      io.input,
      io.output,
      {
        input: (events) => this.handle(events),
        resize: () => this.render(),
      },
      { mouse: io.mouse ?? true },
    );
    this.usersVisible = this.screen.size.cols >= USERS_MIN_COLS;
    this.render();
  }

  // ---- Frontend -----------------------------------------------------------------------------

  /** The focused window's lines. */
  private get scrollback() {
    return this.panes.pane(this.windows.focused);
  }

  show(shown: readonly Shown[], windows: Windows, bell: boolean): void {
    this.windows = windows;
    this.panes.show(shown);
    for (const s of shown) if ('day' in s && s.top && s.day === START_OF_HISTORY) this.historyStart.add(s.window);
    if (this.jump && shown.some((s) => s.top && s.window === this.jump!.window)) this.reveal(this.jump.window, this.jump.id);
    const seen = new Set<ChatLine>();
    for (const s of shown) {
      // A line shown in two windows (a connection change) is one line: its links and its refused text count once.
      if (!('line' in s) || seen.has(s.line)) continue;
      const line = s.line;
      seen.add(line);
      for (const { url } of findUrls(sanitize(line.text))) this.links = [...this.links.filter((u) => u !== url), url].slice(-URLS_KEPT);
      if (line.kind === 'error' && line.unsent !== undefined) this.giveBack(line.unsent, s.window);
    }
    if (bell && this.bell && !this.closed) this.screen.signal(BELL);
    this.schedule();
  }

  private style(line: ChatLine) {
    return styleLine(line, { seconds: this.seconds });
  }

  /** /urls: the links, numbered, each starting a line of its own, so that it copies whole. */
  urls(): void {
    const note = (text: string): void => this.scrollback.push(this.style({ kind: 'info', ts: Date.now(), text }));
    if (this.links.length === 0) note('No links in the pane');
    else {
      note(`Links in the pane, oldest first (${this.links.length}):`);
      this.links.forEach((url, i) =>
        this.scrollback.push({
          segments: [
            { text: `${i + 1} `, style: { dim: true } },
            { text: url, style: {} },
          ],
          indent: 0,
        }),
      );
    }
    this.scrollback.scrollToBottom();
    this.schedule();
  }

  /**
   * /goto: show message `id` in window `window`, highlighted. A line older than the window holds
   * is fetched: a page back at a time (the same pages as PageUp, so nothing is shown twice or out
   * of order), at most JUMP_PAGES of them and never past the scrollback's capacity.
   */
  reveal(window: number, id: number): void {
    const pane = this.panes.pane(window);
    const a = this.area();
    if (pane.reveal(id, a.paneWidth, a.paneHeight)) {
      this.jump = undefined;
      return this.schedule();
    }
    const pages = this.jump?.window === window && this.jump.id === id ? this.jump.pages : 0;
    const oldest = pane.oldestId();
    const note = (text: string): void => {
      this.jump = undefined;
      this.app.info(text);
    };
    if (oldest !== undefined && id > oldest)
      return note('That message is not in this window (it was cleared or went before the window was opened)');
    if (this.historyStart.has(window)) return note('That message is no longer in the history');
    if (pages >= JUMP_PAGES || pane.room === 0) return note(`That message is further back than this window keeps (${pane.capacity} lines)`);
    this.jump = { window, id, pages: pages + 1 };
    if (!this.app.older(window, oldest, Math.min(pane.room, JUMP_PAGE))) note('Cannot fetch that message now (not connected?)');
  }

  /**
   * A line the server refused comes back: into the input line if nothing is being typed there,
   * and always into the history, so that it can be edited and sent again. The hint goes under
   * the refusal, in `window`.
   */
  private giveBack(unsent: string, window: number): void {
    this.editor.remember(unsent);
    const free = this.editor.text === '' && !this.confirm;
    if (free) this.editor.set(unsent);
    const hint = free ? 'It is back in the input line: Enter sends it again' : 'Up brings it back to the input line';
    this.panes.pane(window).push(this.style({ kind: 'info', ts: Date.now(), text: hint }));
  }

  update(state: ChatState, windows: Windows): void {
    this.state = state;
    if (windows !== this.windows) {
      this.windows = windows;
      this.panes.prune(windows);
    }
    // Count down to the next reconnect attempt in the status bar, once a second.
    if (state.status === 'reconnecting' && state.retry && !this.closed)
      this.countdown ??= setInterval(() => this.schedule(), 1_000).unref();
    else if (this.countdown) {
      clearInterval(this.countdown);
      this.countdown = undefined;
    }
    this.schedule();
  }

  clear(): void {
    this.scrollback.clear();
    this.historyStart.delete(this.windows.focused);
    this.links = [];
    this.schedule();
  }

  /** F2 and /users. Where the list cannot fit, say so rather than do nothing visible; it shows once the terminal is wide enough. */
  toggleUsers(): void {
    const w = focusedWindow(this.windows);
    const fits = areas(this.screen.size, w.members, w.name).usersWidth > 0;
    if (!fits) this.app.info('Too narrow for the user list; /look lists the room');
    this.usersVisible = !fits || !this.usersVisible;
    this.schedule();
  }

  // ---- input --------------------------------------------------------------------------------

  handle(events: InputEvent[]): void {
    for (const event of events) this.handleOne(event);
    this.render();
  }

  private handleOne(event: InputEvent): void {
    if (this.confirm) return this.answerPaste(event);
    if (event.type === 'key' && event.name === 'tab' && !event.shift) return this.complete();
    this.completer.reset();
    switch (event.type) {
      case 'text':
        return this.editor.insert(sanitize(event.text));
      case 'paste':
        return this.paste(event.text);
      case 'wheel':
        return this.scroll(event.direction === 'up' ? WHEEL_ROWS : -WHEEL_ROWS);
      case 'key':
        return this.key(event);
    }
  }

  private key(k: Extract<InputEvent, { type: 'key' }>): void {
    const e = this.editor;
    const word = k.ctrl || k.meta;
    // Alt-1 … Alt-9, Alt-0: window 1 … 10 (nothing where there is no such window).
    const digit = k.meta && !k.ctrl ? /^char:([0-9])$/.exec(k.name) : null;
    if (digit) {
      const n = digit[1] === '0' ? 10 : Number(digit[1]);
      if (focusNumber(this.windows, n).ok) this.app.window(n);
      return;
    }
    switch (k.name) {
      case 'enter':
        return this.send(e.submit(keepInHistory));
      case 'left':
        return word ? e.wordLeft() : e.left();
      case 'right':
        return word ? e.wordRight() : e.right();
      case 'up':
        return k.shift ? this.scroll(1) : e.historyUp();
      case 'down':
        return k.shift ? this.scroll(-1) : e.historyDown();
      case 'home':
        return e.home();
      case 'end':
        return e.end();
      case 'backspace':
        return k.meta ? e.killWordBack() : e.backspace();
      case 'delete':
        return e.deleteForward();
      case 'pageup':
        this.scroll(this.pageRows());
        return this.fetchOlder();
      case 'pagedown':
        return this.scroll(-this.pageRows());
      case 'f2':
        return this.toggleUsers();
      default:
        break;
    }
    if (k.ctrl) {
      const actions: Record<string, () => void> = {
        'char:a': () => e.home(),
        'char:e': () => e.end(),
        'char:b': () => e.left(),
        'char:f': () => e.right(),
        'char:d': () => e.deleteForward(),
        'char:u': () => e.killToStart(),
        'char:k': () => e.killToEnd(),
        'char:w': () => e.killWordBack(),
        'char:y': () => e.yank(),
        'char:p': () => this.app.focusStep(-1),
        'char:n': () => this.app.focusStep(1),
        'char:l': () => this.screen.redraw(),
        'char:c': () => this.app.quit(),
      };
      actions[k.name]?.();
    } else if (k.meta) {
      if (k.name === 'char:b') e.wordLeft();
      else if (k.name === 'char:f') e.wordRight();
      else if (k.name === 'char:a') this.app.focusActive();
    }
  }

  private send(line: string): void {
    if (line.trim() === '') return;
    this.scrollback.scrollToBottom();
    this.app.submit(line);
  }

  private complete(): void {
    // After "/msg " anyone online we know of (in any of our rooms, or a private partner); elsewhere the focused room's people first.
    const w = focusedWindow(this.windows);
    const msg = /^\/msg\s+\S*$/i.test(this.editor.text.slice(0, this.editor.cursor));
    const users = msg ? this.app.people() : w.kind === 'room' ? w.members : w.kind === 'private' ? [w.name] : [];
    const names = completionNames({ recent: this.state.recent, users, partners: this.state.partners, me: this.state.me });
    const done = this.completer.complete(this.editor.text, this.editor.cursor, { names, commands: COMMAND_NAMES, rooms: this.state.rooms });
    if (done) this.editor.set(done.text, done.cursor);
  }

  /**
   * A paste behaves as typing it would: each line break is an Enter. The first line joins what
   * is already in the input line; text after the last break stays in the input line.
   */
  private paste(raw: string): void {
    // Escape sequences (colours copied from a terminal) go whole, a tab becomes a space and other
    // control characters go, as in the pane: the input line is measured one cell per character,
    // and a raw tab would move the terminal's cursor.
    const parts = raw.split(/\r\n?|\n/).map(cleanInput);
    if (parts.length === 1) return this.editor.insert(parts[0]!);
    this.editor.insert(parts[0]!);
    const lines = [this.editor.submit(keepInHistory), ...parts.slice(1, -1)].filter((l) => l.trim() !== '');
    this.editor.set(parts.at(-1)!);
    if (lines.length > PASTE_ASK_ABOVE) this.confirm = lines;
    else for (const line of lines) this.send(line);
  }

  private answerPaste(event: InputEvent): void {
    const lines = this.confirm!;
    const yes = (event.type === 'text' && /^y/i.test(event.text)) || (event.type === 'key' && event.name === 'enter');
    const no =
      (event.type === 'text' && /^n/i.test(event.text)) || (event.type === 'key' && (event.name === 'escape' || event.name === 'char:c'));
    if (!yes && !no) return;
    this.confirm = undefined;
    if (yes) for (const line of lines) this.send(line);
    else this.app.info(`Paste of ${lines.length} lines not sent`);
  }

  /** The user list to draw: the focused room's members, when shown and the window is a room. */
  private users(): readonly string[] | undefined {
    const w = focusedWindow(this.windows);
    return this.usersVisible && w.kind === 'room' ? w.members : undefined;
  }

  /** The pane's area: layout.ts's, less the title line and the window bar. */
  private area(): ReturnType<typeof areas> {
    const size = this.screen.size;
    const w = focusedWindow(this.windows);
    const a = areas(size, this.users(), w.name);
    return { ...a, paneHeight: Math.max(0, a.paneHeight - chromeRows(size)) };
  }

  private pageRows(): number {
    return Math.max(1, this.area().paneHeight - 1);
  }

  /**
   * PageUp that reaches the top of a room window asks the server for the page before its oldest
   * line (one page in flight per window: app.older). It stops at the start of the history, and
   * when the scrollback is full: a page beyond its capacity would push out the lines it joins.
   */
  private fetchOlder(): void {
    const id = this.windows.focused;
    const w = focusedWindow(this.windows);
    const a = this.area();
    if (w.kind !== 'room' || this.historyStart.has(id) || !this.scrollback.atTop(a.paneWidth, a.paneHeight)) return;
    if (this.scrollback.room === 0) {
      this.app.info(`The scrollback is full (${this.scrollback.capacity} lines): older history is not fetched; /clear makes room`);
      return;
    }
    this.app.older(id, this.scrollback.oldestId(), Math.min(this.scrollback.room, OLDER_PAGE));
  }

  private scroll(rows: number): void {
    const a = this.area();
    this.scrollback.scroll(rows, a.paneWidth, a.paneHeight - this.pendingRows(a.paneWidth, a.paneHeight).length);
  }

  // ---- output -------------------------------------------------------------------------------

  private schedule(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    setImmediate(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  /** Our unsent lines, drawn under the scrollback (at most half the pane). */
  private pendingRows(width: number, height: number): Row[] {
    const w = focusedWindow(this.windows);
    const rows = this.state.outgoing.lines
      .filter((p) => pendingIn(p, w))
      .flatMap((p) => wrap(this.style(pendingLine(p, this.state.me)), width));
    return rows.slice(-Math.floor(height / 2));
  }

  render(): void {
    if (this.closed) return;
    const size = this.screen.size;
    const w = focusedWindow(this.windows);
    const users = this.users();
    const a = this.area();
    const pending = a.paneHeight > 0 ? this.pendingRows(a.paneWidth, a.paneHeight) : [];
    const view = this.scrollback.view(a.paneWidth, a.paneHeight - pending.length);
    const prompt = this.confirm ? `Send ${this.confirm.length} pasted lines? (y/n) ` : `${sanitize(w.name)}> `;
    const input = this.confirm ? { text: '', cursor: 0 } : this.editor.view(Math.max(2, size.cols - strWidth(prompt) - 1));
    const frame = composeWindows(
      {
        size,
        pane: [...view.rows, ...pending],
        users,
        usersStale: this.state.status !== 'online',
        room: w.name,
        status: statusText(this.state, w, view),
        prompt,
        input,
      },
      this.windows,
    );
    this.screen.paint(frame);
    const title = terminalTitle(this.windows);
    if (title !== this.title) {
      this.title = title;
      this.screen.signal(titleSequence(title));
    }
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.countdown);
    this.screen.destroy();
  }
}

export interface RunTuiOptions extends TuiOptions {
  /** Quit on SIGTERM/SIGHUP and restore the terminal on an uncaught error (the real process only). */
  processHandlers?: boolean;
}

/** Run the full screen until the app is done; the terminal is restored on every way out. */
export async function runTui(app: ChatApp, opts: RunTuiOptions): Promise<number> {
  const tui = new Tui(app, opts);
  const quit = (): void => app.quit();
  const crash = (err: unknown): void => {
    tui.destroy();
    process.stderr.write(`chat-client: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  };
  if (opts.processHandlers) {
    for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(signal, quit);
    process.on('uncaughtException', crash);
    process.on('unhandledRejection', crash);
  }
  try {
    app.setFrontend(tui);
    return await app.done;
  } finally {
    tui.destroy();
    if (opts.processHandlers) {
      for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.off(signal, quit);
      process.off('uncaughtException', crash);
      process.off('unhandledRejection', crash);
    }
  }
}
