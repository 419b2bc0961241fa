/**
 * @module
 * Line mode, for pipes and scripts (stdin or stdout is not a terminal): each input line is run as
 * if typed (slash commands work), each event is printed as one plain line.
 *
 * What is printed follows the input's order (`/who` then `/frob` prints the list, then the error):
 * the server answers a connection's requests in order, so only an answer made here could overtake
 * one still to come from the server. Lines to say (and `/me`, `/msg`) go on at the pacer's pace
 * without waiting; any other line (a command, which may be answered here) runs only once the
 * server has answered everything sent before it (echo, reply or refusal). At the end of input it
 * waits until the server has answered everything, then logs out, so that
 * `printf 'hi\n' | chat-client --name bot host:port` delivers its line before exiting. It exits 1
 * if any line was refused (by the client or the server) or could not be delivered.
 */
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { isValidName, MAX_TEXT_BYTES, textProblem } from '../protocol/internal.js';
import type { ChatApp, Frontend } from './app.js';
import { compareNames, plainLine, storedMark } from './format.js';
import type { ChatLine } from './line.js';
import type { ChatState } from './state.js';
import { cleanInput } from './width.js';
import { focusedWindow, lineTag, type Shown, type Windows } from './windows.js';

export interface LineModeOptions {
  /** After end of input, how long to wait for undelivered lines (while reconnecting) before giving up, ms. */
  deliveryTimeoutMs?: number;
}

/** Input lines read ahead of the one running: above this many, stop reading until they are down to the low mark. */
const QUEUE_HIGH = 256;
const QUEUE_LOW = 64;

class LinePrinter implements Frontend {
  private windows: Windows | undefined;

  constructor(private readonly out: Writable) {}

  /**
   * Each line once, even where windows.ts shows it in two windows (a connection change), named by
   * the first: a room's line (said, or a join, leave, topic) starts with its room ("[#rust] alice: hi").
   */
  show(shown: readonly Shown[], windows: Windows): void {
    this.windows = windows;
    const seen = new Set<ChatLine>();
    let out = '';
    for (const s of shown) {
      if (!('line' in s)) {
        out += `-- ${s.day}\n`;
        continue;
      }
      if (seen.has(s.line)) continue;
      seen.add(s.line);
      // Answers to commands and errors are about what was typed, not about a room: they go untagged.
      const tag = s.line.kind === 'info' || s.line.kind === 'error' ? '' : lineTag(windows, s.window);
      // A line from the store (history, a catch-up, a search result) says so, with its date and time.
      out += `${tag}${storedMark(s.line)}${plainLine(s.line)}\n`;
    }
    this.out.write(out);
  }

  update(_state: ChatState, windows: Windows): void {
    this.windows = windows;
  }

  clear(): void {}

  /** Every printed line is already whole in the output. */
  urls(): void {}

  /** There is no side panel to toggle: print the list instead. */
  toggleUsers(): void {
    const w = this.windows && focusedWindow(this.windows);
    if (w?.kind === 'room') this.out.write(`-- ${w.name} (${w.members.length}): ${[...w.members].sort(compareNames).join(', ')}\n`);
    else if (w) this.out.write(`-- ${w.name} is not a room window\n`);
  }
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Text cut into pieces of at most `max` UTF-8 bytes, between grapheme clusters (never inside a
 * character, an emoji sequence or a letter with its marks), after the last space of a piece when
 * that keeps the piece at least half full (the space is dropped).
 */
export function splitText(text: string, max = MAX_TEXT_BYTES): string[] {
  const pieces: string[] = [];
  let piece = '';
  let size = 0;
  for (const { segment } of graphemes.segment(text)) {
    const n = bytes(segment);
    if (size + n > max && piece !== '') {
      const space = piece.lastIndexOf(' ');
      if (space > 0 && bytes(piece.slice(0, space)) >= max / 2) {
        pieces.push(piece.slice(0, space));
        piece = piece.slice(space + 1);
      } else {
        pieces.push(piece);
        piece = '';
      }
      size = bytes(piece);
    }
    piece += segment;
    size += n;
  }
  if (piece !== '' || pieces.length === 0) pieces.push(piece);
  return pieces;
}

/**
 * One input line as the lines to run: escape sequences and control characters removed (as a paste
 * on the full screen), and text over the limit (said, `/me` or `/msg`) split into several lines of
 * the same kind. Other commands are left as they are.
 */
export function prepareLine(raw: string): string[] {
  const line = cleanInput(raw);
  const me = /^(\/me\s)(.*)$/is.exec(line);
  const msg = /^(\/msg\s+\S+\s+)(.*)$/is.exec(line);
  const [prefix, text] = me
    ? [me[1]!, me[2]!]
    : msg
      ? [msg[1]!, msg[2]!]
      : line.startsWith('//')
        ? ['', line.slice(1)]
        : line.startsWith('/')
          ? [undefined, line]
          : ['', line];
  if (prefix === undefined || bytes(text) <= MAX_TEXT_BYTES) return [line];
  return splitText(text).map((piece) => (prefix === '' && piece.startsWith('/') ? `/${piece}` : prefix + piece));
}

/** A line that only the server answers (with its echo or a refusal): it need not wait for earlier answers. */
function serverAnswers(line: string): boolean {
  const said = /^\/me\s(.*)$/is.exec(line)?.[1] ?? (line.startsWith('//') ? line.slice(1) : line.startsWith('/') ? undefined : line);
  const msg = /^\/msg\s+(\S+)\s+(.*\S.*)$/is.exec(line);
  if (msg) return isValidName(msg[1]) && textProblem(msg[2]!) === null;
  return said !== undefined && said.trim() !== '' && textProblem(said) === null;
}

/** Run until /quit or end of input; resolves with the exit code. */
export async function runLineMode(app: ChatApp, input: Readable, output: Writable, opts: LineModeOptions = {}): Promise<number> {
  app.setFrontend(new LinePrinter(output));
  const timeout = opts.deliveryTimeoutMs ?? 30_000;
  const rl = readline.createInterface({ input, crlfDelay: Infinity, terminal: false });
  const queue: string[] = [];
  const inputEnded = new AbortController();
  const stopped = new AbortController();
  let wake: (() => void) | undefined;
  const nudge = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  rl.on('line', (line) => {
    queue.push(line.replace(/\r$/, ''));
    if (queue.length >= QUEUE_HIGH) rl.pause();
    nudge();
  });
  rl.once('close', () => {
    inputEnded.abort();
    nudge();
  });
  void app.done.then(() => {
    stopped.abort();
    nudge();
  });

  /**
   * Wait until the server has answered what we sent. While input is open there is no limit (a
   * long outage just holds the next lines back); once it has ended, give up when nothing has been
   * delivered for `timeout` (a long file at the client's pace is progress, not a stall).
   */
  const settle = async (): Promise<boolean> => {
    if (!inputEnded.signal.aborted && (await app.whenSettled(Infinity, AbortSignal.any([inputEnded.signal, stopped.signal])))) return true;
    return !stopped.signal.aborted && app.whenSettled(timeout, stopped.signal);
  };

  const drive = async (): Promise<boolean> => {
    while (!stopped.signal.aborted) {
      const line = queue.shift();
      if (line === undefined) {
        if (inputEnded.signal.aborted) break;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (queue.length <= QUEUE_LOW) rl.resume();
      for (const piece of prepareLine(line)) {
        if (!serverAnswers(piece) && !(await settle())) return stopped.signal.aborted;
        // As app.submit() does, but in line mode, so that /help lists what works here and not the screen's keys.
        app.submit(piece, 'line');
      }
    }
    return stopped.signal.aborted || settle();
  };

  void drive().then((delivered) => {
    if (stopped.signal.aborted) return; // /quit or a signal ended it
    if (!delivered) {
      const n = app.state.outgoing.lines.length + queue.length;
      process.stderr.write(`chat-client: ${n} ${n === 1 ? 'line was' : 'lines were'} not delivered (${app.state.status})\n`);
    }
    app.quit(undefined, delivered ? 0 : 1);
  });
  const code = await app.done;
  rl.close();
  const refused = app.state.refused;
  if (refused > 0) process.stderr.write(`chat-client: ${refused} ${refused === 1 ? 'line was' : 'lines were'} refused\n`);
  return code === 0 && refused > 0 ? 1 : code;
}
