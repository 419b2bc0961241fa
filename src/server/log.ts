/**
 * @module
 * Structured logging: one logfmt line per event on stderr (`ts=… level=info event=login name=alice`).
 * Lines are queued and written once per event-loop turn, so logging never blocks the hot path with
 * a synchronous write (stderr to a pipe or file is synchronous in Node on Linux).
 * Passwords are never passed to the logger; `password` keys are redacted as a second guard.
 */
import type { LogLevel } from './config.js';

const LEVELS: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
export type LogFields = Record<string, string | number | boolean | undefined | null>;

/**
 * A logfmt value, safe for a terminal: bare when it is one plain word, else JSON-quoted. JSON
 * escapes C0 controls but not DEL nor the C1 range (U+0080-U+009F, where CSI U+009B lives), so
 * those are escaped here: a name or a `hello.client` holding ESC/OSC sequences must not drive the
 * operator's terminal.
 */
function quote(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[^\s"=\\\u0000-\u001f\u007f-\u009f]+$/.test(value)) return value;
  return JSON.stringify(value).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export class Logger {
  private lines: string[] = [];
  private scheduled = false;
  private readonly threshold: number;

  constructor(
    level: LogLevel,
    private readonly sink: (text: string) => void = (text) => process.stderr.write(text),
  ) {
    this.threshold = LEVELS[level];
  }

  enabled(level: LogLevel): boolean {
    return LEVELS[level] <= this.threshold;
  }

  log(level: LogLevel, event: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    let line = `ts=${new Date().toISOString()} level=${level} event=${event}`;
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined || value === null) continue;
      line += ` ${key}=${/pass/i.test(key) ? '[redacted]' : quote(String(value))}`;
    }
    this.lines.push(line + '\n');
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  error(event: string, fields?: LogFields): void {
    this.log('error', event, fields);
  }
  warn(event: string, fields?: LogFields): void {
    this.log('warn', event, fields);
  }
  info(event: string, fields?: LogFields): void {
    this.log('info', event, fields);
  }
  debug(event: string, fields?: LogFields): void {
    this.log('debug', event, fields);
  }

  /** Write everything queued (also called at shutdown). */
  flush(): void {
    this.scheduled = false;
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    this.sink(text);
  }
}
