/**
 * Terminals for screen tests, so that assertions are about what a person sees:
 * - VirtualTerminal: an in-process xterm (@xterm/headless, Unicode 11 widths like a modern
 *   terminal) fed by blessed through an output stream; keys go in through an input stream.
 * - TmuxTerminal: the built binary running in a real tmux on a private socket, driven with
 *   send-keys and read with capture-pane.
 * Both are stopped after each test. waitFor() polls the screen (bounded) instead of sleeping.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { PassThrough, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import xterm from '@xterm/headless';
import { afterEach } from 'vitest';

const run = promisify(execFile);
const cleanups = new Set<() => Promise<void> | void>();
afterEach(async () => {
  for (const c of [...cleanups]) await c();
  cleanups.clear();
});

/** Poll `read` until `test` accepts it, for at most `timeoutMs`; fails with the last screen. */
async function poll<T>(
  read: () => Promise<T> | T,
  test: (value: T) => boolean,
  what: string,
  show: (value: T) => string,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!test(last)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen was:\n${show(last)}`);
    await new Promise((r) => setTimeout(r, 25));
    last = await read();
  }
  return last;
}

type Pattern = string | RegExp | ((screen: string[]) => boolean);

function matcher(pattern: Pattern): (screen: string[]) => boolean {
  if (typeof pattern === 'function') return pattern;
  if (typeof pattern === 'string') return (screen) => screen.some((l) => l.includes(pattern));
  return (screen) => pattern.test(screen.join('\n'));
}

const frame = (screen: string[]): string => screen.map((l) => `|${l}|`).join('\n');

/** An in-process terminal: blessed writes into `output`, the test types into `input`. */
export class VirtualTerminal {
  readonly term: xterm.Terminal;
  readonly input = new PassThrough();
  readonly output: Writable & { columns: number; rows: number; isTTY: boolean };
  private writes = Promise.resolve();

  constructor(cols = 100, rows = 30) {
    this.term = new xterm.Terminal({ cols, rows, allowProposedApi: true, scrollback: 0 });
    this.term.loadAddon(new Unicode11Addon());
    this.term.unicode.activeVersion = '11';
    const out = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.writes = new Promise<void>((resolve) => this.term.write(chunk, resolve));
        done();
      },
    });
    this.output = Object.assign(out, { columns: cols, rows, isTTY: true });
    cleanups.add(() => this.term.dispose());
  }

  /** Every screen row as text (wide characters once, as a person reads them). */
  async screen(): Promise<string[]> {
    await this.writes;
    const buffer = this.term.buffer.active;
    const rows: string[] = [];
    for (let y = 0; y < this.term.rows; y++)
      rows.push((buffer.getLine(buffer.viewportY + y)?.translateToString(true, 0, this.term.cols) ?? '').trimEnd());
    return rows;
  }

  /** The cell at column x of row y (0-based): its characters, width and attributes. */
  async cell(x: number, y: number): Promise<{ chars: string; width: number; bold: boolean; fg: number; fgDefault: boolean }> {
    await this.writes;
    const buffer = this.term.buffer.active;
    const c = buffer.getLine(buffer.viewportY + y)!.getCell(x)!;
    return { chars: c.getChars(), width: c.getWidth(), bold: c.isBold() !== 0, fg: c.getFgColor(), fgDefault: c.isFgDefault() };
  }

  /** The terminal column where `text` starts on row y, counting cells (a wide character is 2). */
  async columnOf(text: string, y: number): Promise<number> {
    await this.writes;
    const line = this.term.buffer.active.getLine(this.term.buffer.active.viewportY + y)!;
    for (let x = 0; x < this.term.cols; x++) {
      let s = '';
      for (let k = x; k < this.term.cols && s.length < text.length; k++) {
        const cell = line.getCell(k)!;
        s += cell.getChars() || (cell.getWidth() > 0 ? ' ' : ''); // a blank cell reads as a space
      }
      if (s.startsWith(text) && line.getCell(x)!.getWidth() > 0) return x;
    }
    return -1;
  }

  async cursor(): Promise<{ x: number; y: number }> {
    await this.writes;
    return { x: this.term.buffer.active.cursorX, y: this.term.buffer.active.cursorY };
  }

  /** Type: each call is one read on the client's side. */
  type(data: string): void {
    this.input.write(data);
  }

  /** Wait until the cursor is at (x, y). */
  async waitForCursor(x: number, y: number, timeoutMs = 5_000): Promise<void> {
    await poll(
      () => this.cursor(),
      (c) => c.x === x && c.y === y,
      `the cursor at ${x},${y}`,
      (c) => JSON.stringify(c),
      timeoutMs,
    );
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
    this.output.columns = cols;
    this.output.rows = rows;
    this.output.emit('resize');
  }

  waitFor(pattern: Pattern, timeoutMs = 5_000): Promise<string[]> {
    return poll(() => this.screen(), matcher(pattern), String(pattern), frame, timeoutMs);
  }
}

let tmuxCount = 0;

/** The terminal modes an application can leave behind; all off/visible once it has exited cleanly. */
export interface PaneModes {
  alternateScreen: boolean;
  mouse: boolean;
  cursorVisible: boolean;
}

/**
 * A command in a real tmux, on a private socket, at a fixed size: the built chat-client, run as a
 * person would run it from a shell. Keys go in with send-keys, the screen comes out of capture-pane.
 */
export class TmuxTerminal {
  /** Where tmux made its socket; tmux leaves the file behind after kill-server. */
  private socketPath = '';

  private constructor(private readonly socket: string) {}

  /**
   * Run `command` in a new tmux session. After the command exits, its exit status is printed as
   * "[exit N]" and the pane stays, so tests can see both the status and what was left on screen.
   */
  static async start(command: string[], opts: { cols?: number; rows?: number } = {}): Promise<TmuxTerminal> {
    const socket = `framechat-test-${process.pid}-${++tmuxCount}`;
    const t = new TmuxTerminal(socket);
    cleanups.add(() => t.kill());
    const shell = `${command.map(quote).join(' ')}; echo "[exit $?]"; sleep 600`;
    await t.tmux([
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-x',
      String(opts.cols ?? 100),
      '-y',
      String(opts.rows ?? 30),
      'sh',
      '-c',
      shell,
    ]);
    t.socketPath = await t.format('#{socket_path}');
    return t;
  }

  private async tmux(args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-u', '-L', this.socket, ...args], {
      env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TERM: 'xterm-256color' },
    });
    return stdout;
  }

  /** Keys by tmux name: "Enter", "C-c", "Up", "Home", "PageUp", "Tab"... */
  async keys(...keys: string[]): Promise<void> {
    await this.tmux(['send-keys', '-t', '0', ...keys]);
  }

  /** Type text, each character as a key press. */
  async text(text: string): Promise<void> {
    await this.tmux(['send-keys', '-t', '0', '-l', text]);
  }

  /** Paste as a terminal does: bracketed when the application asked for it (line breaks as CR). */
  async paste(text: string): Promise<void> {
    await this.tmux(['set-buffer', '-b', 'test', text]);
    await this.tmux(['paste-buffer', '-p', '-d', '-b', 'test', '-t', '0']);
  }

  /**
   * Every screen row as text (a wide character once, as a person reads it). With `trailing`,
   * spaces the application wrote at the end of a row are kept (an inverse status bar, say).
   */
  async screen(opts: { trailing?: boolean } = {}): Promise<string[]> {
    const out = await this.tmux(['capture-pane', '-p', ...(opts.trailing ? ['-N'] : []), '-t', '0']);
    const rows = out.replace(/\n$/, '').split('\n');
    return opts.trailing ? rows : rows.map((l) => l.trimEnd());
  }

  private async format(format: string): Promise<string> {
    return (await this.tmux(['display-message', '-p', '-t', '0', format])).trim();
  }

  async cursor(): Promise<{ x: number; y: number }> {
    const [x, y] = (await this.format('#{cursor_x} #{cursor_y}')).split(' ').map(Number);
    return { x: x!, y: y! };
  }

  /** The terminal title the application last set (OSC 2); tmux starts it as the host's name. */
  title(): Promise<string> {
    return this.format('#{pane_title}');
  }

  /**
   * Whether the application has rung the bell. The session is never attached, so tmux keeps the
   * window's bell flag from the first bell on (monitor-bell is on by default).
   */
  async rang(): Promise<boolean> {
    return (await this.format('#{window_bell_flag}')) === '1';
  }

  async modes(): Promise<PaneModes> {
    const [alt, mouse, cursor] = (await this.format('#{alternate_on} #{mouse_any_flag} #{cursor_flag}')).split(' ');
    return { alternateScreen: alt === '1', mouse: mouse === '1', cursorVisible: cursor === '1' };
  }

  /** The pane's terminal device: what is written to it appears on the screen, as from any other program. */
  tty(): Promise<string> {
    return this.format('#{pane_tty}');
  }

  /** The process id of the command (the child of the pane's shell). */
  async commandPid(): Promise<number> {
    const shell = await this.format('#{pane_pid}');
    const children = (await readFile(`/proc/${shell}/task/${shell}/children`, 'utf8')).trim().split(/\s+/);
    if (children.length !== 1 || children[0] === '')
      throw new Error(`expected one process under the pane's shell, found ${JSON.stringify(children)}`);
    return Number(children[0]);
  }

  async resize(cols: number, rows: number): Promise<void> {
    await this.tmux(['resize-window', '-t', '0', '-x', String(cols), '-y', String(rows)]);
  }

  waitFor(pattern: Pattern, timeoutMs = 15_000): Promise<string[]> {
    return poll(() => this.screen(), matcher(pattern), String(pattern), frame, timeoutMs);
  }

  async waitForCursor(x: number, y: number, timeoutMs = 15_000): Promise<void> {
    await poll(
      () => this.cursor(),
      (c) => c.x === x && c.y === y,
      `the cursor at ${x},${y}`,
      (c) => JSON.stringify(c),
      timeoutMs,
    );
  }

  async kill(): Promise<void> {
    await this.tmux(['kill-server']).catch(() => undefined);
    if (this.socketPath !== '') await rm(this.socketPath, { force: true });
  }
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The built chat-client as a child process with pipes (line mode), its output collected. */
export class ClientProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (t: string) => {
      this.stdout += t;
      for (const l of [...this.listeners]) l();
    });
    child.stderr.on('data', (t: string) => (this.stderr += t));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    cleanups.add(() => {
      child.kill('SIGKILL');
    });
  }

  static start(args: string[], env: Record<string, string> = {}): ClientProcess {
    const child = spawn(process.execPath, ['bin/chat-client.js', ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
    return new ClientProcess(child);
  }

  /** Resolves once stdout matches; fails with what was printed. */
  output(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = pattern.exec(this.stdout);
        if (!m) return;
        this.listeners.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(
          new Error(`timed out waiting for ${pattern}; stdout: ${JSON.stringify(this.stdout)}; stderr: ${JSON.stringify(this.stderr)}`),
        );
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  /** Resolves with the exit code, failing if the process does not exit in time. */
  async exitCode(timeoutMs = 10_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`chat-client did not exit within ${timeoutMs} ms; stdout: ${JSON.stringify(this.stdout)}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
