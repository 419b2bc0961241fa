/**
 * @module
 * Line mode, for pipes and scripts (stdin or stdout is not a terminal): each input line is run as
 * if typed (slash commands work), each event is printed as one plain line. At the end of input it
 * waits until the server has echoed everything we sent, then logs out, so that
 * `printf 'hi\n' | chat-client --name bot host:port` delivers its line before exiting.
 */
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ChatApp, Frontend } from './app.js';
import { compareNames, plainLine } from './format.js';
import type { ChatLine } from './line.js';
import type { ChatState } from './state.js';

export interface LineModeOptions {
  /** After end of input, how long to wait for undelivered lines (while reconnecting) before giving up, ms. */
  deliveryTimeoutMs?: number;
}

class LinePrinter implements Frontend {
  private state: ChatState | undefined;

  constructor(private readonly out: Writable) {}

  show(lines: ChatLine[]): void {
    this.out.write(lines.map((l) => `${plainLine(l)}\n`).join(''));
  }

  update(state: ChatState): void {
    this.state = state;
  }

  clear(): void {}

  /** There is no side panel to toggle: print the list instead. */
  toggleUsers(): void {
    const s = this.state;
    if (s) this.out.write(`-- ${s.room} (${s.users.length}): ${[...s.users].sort(compareNames).join(', ')}\n`);
  }
}

/** Run until /quit or end of input; resolves with the exit code. */
export async function runLineMode(app: ChatApp, input: Readable, output: Writable, opts: LineModeOptions = {}): Promise<number> {
  app.setFrontend(new LinePrinter(output));
  const rl = readline.createInterface({ input, crlfDelay: Infinity, terminal: false });
  // As app.submit() does, but in line mode, so that /help lists what works here and not the screen's keys.
  rl.on('line', (line) => app.submit(line.replace(/\r$/, ''), 'line'));
  rl.once('close', () => {
    void (async () => {
      // Give up only when nothing has been delivered for this long: a long file at the client's
      // pace is progress, not a stall.
      const delivered = await app.whenDelivered(opts.deliveryTimeoutMs ?? 30_000);
      if (!delivered) {
        const n = app.state.pending.length;
        process.stderr.write(`chat-client: ${n} ${n === 1 ? 'line was' : 'lines were'} not delivered (${app.state.status})\n`);
      }
      app.quit(delivered ? 0 : 1);
    })();
  });
  const code = await app.done;
  rl.close();
  return code;
}
