/**
 * @module
 * `--log-dir DIR`: each room and private window written to a plain-text file, as irssi's autolog
 * does. app.ts hands over what it shows (the Shown list with the windows it belongs to) and
 * nothing else; this module owns the files.
 *
 * Layout: DIR/<host>_<port>/<#room>.log and DIR/<host>_<port>/<name>.log, each part through
 * fileSafe(). The server and search windows are not logged.
 *
 * Format, local time: "2026-12-01 14:05:09 [1234] <alice> hello" for a message with id 1234,
 * "… [1235] * alice waves" for an action, "2026-12-01 14:05:10 -!- bob joined #rust" for a system
 * line; "--- Log opened 2026-12-01 14:05:00", "--- Day changed Wednesday 2 December 2026",
 * "--- Log closed 2026-12-01 18:00:00". Answers to our own commands (info, errors) are not logged.
 *
 * Each message once: live lines are always written (windows.ts shows each once per run); a line
 * from the server's history (on join, a catch-up) only when its id is above the highest id the
 * file already holds, read from the file's tail when it is opened. So a restart of the client or
 * the server, or a re-join, does not write the history again. Older pages (PageUp) go above what
 * is shown and are never written: the log stays in order.
 *
 * Writes go through one append stream per file (buffered by Node, never waited on by the UI);
 * a file's first lines wait in memory while its tail is read. A write that fails is said once
 * (onProblem) and that file is given up; the chat goes on.
 */
import { createWriteStream, mkdirSync, accessSync, constants, type WriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { ChatLine } from './line.js';
import { sanitize } from './width.js';
import { byId, dayText, localDay, type Shown, type Windows } from './windows.js';

/** Bytes read from the end of a log to find the highest id in it: many lines, even long ones. */
const TAIL_BYTES = 64 * 1024;
/** Longest file name part we make (bytes): under the 255 of common file systems, with room for ".log". */
const MAX_PART = 200;
/** Windows' reserved device names (with any extension). */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/u;
const ID_RE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[(\d+)\] /;

/**
 * A name as a file name part, safe on every common file system and never outside its folder:
 * letters, marks, digits, "_", "-" (any script) and a room's leading "#" are kept; "." is kept between
 * two kept characters; everything else ("/", "\", ":", "%", a leading, trailing or doubled ".")
 * becomes %XX per UTF-8 byte, so the mapping is one-to-one ("%" is always escaped). Give it the
 * folded name (foldName): names that compare equal share a file, and no two differ only in case.
 * A Windows device name ("con") has its last character escaped; a part longer than MAX_PART bytes
 * is cut and ends with a hash of the whole.
 */
export function fileSafe(name: string, room = false): string {
  const chars = [...name];
  let out = '';
  chars.forEach((ch, i) => {
    const keep =
      /[\p{L}\p{M}\p{N}_-]/u.test(ch) ||
      (ch === '#' && i === 0 && room) ||
      (ch === '.' && i > 0 && i < chars.length - 1 && chars[i - 1] !== '.' && chars[i + 1] !== '.');
    out += keep ? ch : escape(ch);
  });
  if (RESERVED.test(out)) out = out.slice(0, -1) + escape(out.at(-1)!);
  if (out === '') out = '%';
  if (Buffer.byteLength(out) > MAX_PART) {
    let cut = '';
    for (const ch of out) {
      if (Buffer.byteLength(cut + ch) > MAX_PART - 9) break;
      cut += ch;
    }
    out = `${cut}~${hash(name)}`;
  }
  return out;
}

function escape(ch: string): string {
  return [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** FNV-1a, 8 hex digits: enough to tell two long names apart. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** "2026-12-01 14:05:09", local time. */
export function stamp(ts: number): string {
  const d = new Date(ts);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The line as written, without its time stamp; undefined: not logged. */
function body(line: ChatLine): string | undefined {
  const text = sanitize(line.text);
  const id = 'id' in line && line.id !== undefined ? `[${line.id}] ` : '';
  switch (line.kind) {
    case 'message':
    case 'private':
      return `${id}<${sanitize(line.from)}> ${text}`;
    case 'action':
      return `${id}* ${sanitize(line.from)} ${text}`;
    case 'system':
      return `-!- ${text}`;
    default:
      return undefined;
  }
}

/**
 * Make DIR (0700) and check that we may write in it: throws an Error with a message for one line
 * ("permission denied", "not a directory") when not.
 */
export function checkLogDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'EACCES' || e.code === 'EPERM'
        ? 'permission denied'
        : e.code === 'ENOTDIR' || e.code === 'EEXIST'
          ? 'not a directory'
          : e.code === 'EROFS'
            ? 'read-only file system'
            : e.message;
    throw new Error(`--log-dir ${dir}: ${why}`);
  }
}

interface LogFile {
  readonly path: string;
  stream: WriteStream | undefined;
  /** Lines waiting for the tail to be read (undefined once the stream is open). */
  queue: { ts: number; line: ChatLine }[] | undefined;
  /** Highest message id in the file. */
  lastId: number;
  /** Local day of the last line written (for day-change lines). */
  day: number;
  failed: boolean;
  /** Until the tail is read and the stream open. */
  opening: Promise<void>;
}

export class Autolog {
  private readonly files = new Map<string, LogFile>();
  private readonly dir: string;
  /** Said once per file whose writes fail (app.ts shows it in the server window). */
  onProblem: (text: string) => void = () => undefined;

  constructor(
    root: string,
    host: string,
    port: number,
    private readonly now: () => number = Date.now,
  ) {
    this.dir = path.join(root, fileSafe(`${host.toLowerCase()}_${port}`));
  }

  /** The file a window's lines go to (kind and folded key as windows.ts has them). */
  pathOf(kind: 'room' | 'private', key: string): string {
    return path.join(this.dir, `${fileSafe(key, kind === 'room')}.log`);
  }

  /** What app.ts shows, with the windows after it: room and private lines go to their files. */
  log(shown: readonly Shown[], ws: Windows): void {
    for (const s of shown) {
      if (!('line' in s) || s.top) continue;
      const w = byId(ws, s.window);
      if (!w || (w.kind !== 'room' && w.kind !== 'private')) continue;
      if (body(s.line) === undefined) continue;
      const file = this.fileFor(this.pathOf(w.kind, w.key));
      if (file.failed) continue;
      if (file.queue) file.queue.push({ ts: s.line.ts, line: s.line });
      else this.write(file, s.line);
    }
  }

  private fileFor(p: string): LogFile {
    const f = this.files.get(p);
    if (f) return f;
    const file: LogFile = {
      path: p,
      stream: undefined,
      queue: [],
      lastId: 0,
      day: localDay(this.now()),
      failed: false,
      opening: Promise.resolve(),
    };
    file.opening = this.openFile(file);
    this.files.set(p, file);
    return file;
  }

  private async openFile(f: LogFile): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      f.lastId = await lastIdIn(f.path);
      const stream = createWriteStream(f.path, { flags: 'a', mode: 0o600 });
      stream.on('error', (err) => this.fail(f, err));
      f.stream = stream;
      stream.write(`--- Log opened ${stamp(this.now())}\n`);
      const queue = f.queue ?? [];
      f.queue = undefined;
      for (const q of queue) this.write(f, q.line);
    } catch (err) {
      this.fail(f, err as Error);
    }
  }

  private write(f: LogFile, line: ChatLine): void {
    const id = 'id' in line ? line.id : undefined;
    if (id !== undefined) {
      // A line from the store that the file has already: written before this run, or by an earlier one.
      if ('history' in line && line.history === true && id <= f.lastId) return;
      f.lastId = Math.max(f.lastId, id);
    }
    const text = body(line)!;
    const day = localDay(line.ts);
    let out = '';
    if (day !== f.day) out += `--- Day changed ${dayText(line.ts)}\n`;
    f.day = day;
    out += `${stamp(line.ts)} ${text}\n`;
    f.stream?.write(out);
  }

  private fail(f: LogFile, err: Error): void {
    if (f.failed) return;
    f.failed = true;
    f.queue = undefined;
    f.stream?.destroy();
    f.stream = undefined;
    const code = (err as NodeJS.ErrnoException).code;
    this.onProblem(`Cannot write the log ${f.path}: ${code ?? err.message}; this window is not logged any more`);
  }

  /** Write "Log closed" to every open file and close them; resolves once all is on disk (or failed). */
  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => f.opening));
    const closing = [...this.files.values()].map(
      (f) =>
        new Promise<void>((resolve) => {
          const s = f.stream;
          if (!s || f.failed) return resolve();
          s.once('error', () => resolve());
          s.end(`--- Log closed ${stamp(this.now())}\n`, () => resolve());
        }),
    );
    this.files.clear();
    await Promise.all(closing);
  }
}

/** The highest message id in the last TAIL_BYTES of a log (0: no file, or none in it). */
async function lastIdIn(file: string): Promise<number> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - TAIL_BYTES);
    const buf = Buffer.alloc(size - start);
    await handle.read(buf, 0, buf.length, start);
    let max = 0;
    for (const line of buf.toString('utf8').split('\n')) {
      const m = ID_RE.exec(line);
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max;
  } finally {
    await handle.close();
  }
}
