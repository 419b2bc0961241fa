/**
 * @module
 * Raw terminal input → events, as a pure parser (no blessed, no timers): printable text, named
 * keys with modifiers, mouse wheel, and pastes. We read keys ourselves rather than through blessed
 * because blessed splits emoji into lone surrogate halves and cannot tell a paste from typing.
 *
 * A paste is either bracketed (the terminal wraps it in ESC[200~ … ESC[201~, which we ask for) or,
 * for terminals that do not bracket, a single read that holds a line break and other text with no
 * escape sequence: a person typing does not produce that, a paste does.
 */

export type KeyName =
  | 'enter'
  | 'tab'
  | 'backspace'
  | 'delete'
  | 'insert'
  | 'escape'
  | 'up'
  | 'down'
  | 'left'
  | 'right'
  | 'home'
  | 'end'
  | 'pageup'
  | 'pagedown'
  | `f${number}`
  /** A Ctrl-letter or Alt-letter combination: the letter. */
  | `char:${string}`;

export type InputEvent =
  | { type: 'text'; text: string }
  | { type: 'paste'; text: string }
  | { type: 'key'; name: KeyName; ctrl: boolean; meta: boolean; shift: boolean }
  | { type: 'wheel'; direction: 'up' | 'down' };

const PASTE_END = '\x1b[201~';

function key(name: KeyName, mods: { ctrl?: boolean; meta?: boolean; shift?: boolean } = {}): InputEvent {
  return { type: 'key', name, ctrl: mods.ctrl ?? false, meta: mods.meta ?? false, shift: mods.shift ?? false };
}

/** xterm modifier parameter: 1 + shift·1 + alt·2 + ctrl·4. */
function modifiers(param: string | undefined): { ctrl: boolean; meta: boolean; shift: boolean } {
  const m = Math.max(0, Number(param ?? '1') - 1);
  return { shift: (m & 1) !== 0, meta: (m & 2) !== 0, ctrl: (m & 4) !== 0 };
}

const CSI_LETTER: Record<string, KeyName> = {
  A: 'up',
  B: 'down',
  C: 'right',
  D: 'left',
  H: 'home',
  F: 'end',
  P: 'f1',
  Q: 'f2',
  R: 'f3',
  S: 'f4',
};
const CSI_TILDE: Record<string, KeyName> = {
  '1': 'home',
  '2': 'insert',
  '3': 'delete',
  '4': 'end',
  '5': 'pageup',
  '6': 'pagedown',
  '7': 'home',
  '8': 'end',
  '11': 'f1',
  '12': 'f2',
  '13': 'f3',
  '14': 'f4',
  '15': 'f5',
  '17': 'f6',
  '18': 'f7',
  '19': 'f8',
  '20': 'f9',
  '21': 'f10',
  '23': 'f11',
  '24': 'f12',
};

/** One control character as a key. */
function controlKey(ch: string): InputEvent | undefined {
  const code = ch.charCodeAt(0);
  if (ch === '\r' || ch === '\n') return key('enter');
  if (ch === '\t') return key('tab');
  if (code === 0x7f || code === 0x08) return key('backspace');
  if (code >= 1 && code <= 26) return key(`char:${String.fromCharCode(code + 96)}`, { ctrl: true });
  return undefined;
}

export class InputParser {
  /** An escape sequence cut off at the end of the last read. */
  private partial = '';
  /** Text of a bracketed paste still being received. */
  private pasting: string | undefined;

  push(chunk: string): InputEvent[] {
    let data = this.partial + chunk;
    this.partial = '';
    const out: InputEvent[] = [];
    if (
      this.pasting === undefined &&
      !data.includes('\x1b') &&
      /[\r\n]/.test(data) &&
      /[^\r\n]/.test(data) &&
      // eslint-disable-next-line no-control-regex
      !/[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(data)
    ) {
      return [{ type: 'paste', text: data }];
    }
    let text = '';
    const flush = (): void => {
      if (text !== '') out.push({ type: 'text', text });
      text = '';
    };
    while (data.length > 0) {
      if (this.pasting !== undefined) {
        const end = data.indexOf(PASTE_END);
        if (end < 0) {
          // Keep a possible start of the end marker for the next read.
          const keep = longestMarkerPrefix(data, PASTE_END);
          this.pasting += data.slice(0, data.length - keep);
          this.partial = data.slice(data.length - keep);
          return out;
        }
        out.push({ type: 'paste', text: this.pasting + data.slice(0, end) });
        this.pasting = undefined;
        data = data.slice(end + PASTE_END.length);
        continue;
      }
      const ch = data[0]!;
      if (ch === '\x1b') {
        flush();
        const parsed = parseEscape(data);
        if (parsed === 'incomplete') {
          this.partial = data;
          return out;
        }
        data = data.slice(parsed.length);
        if (parsed.paste) this.pasting = '';
        else if (parsed.event) out.push(parsed.event);
        continue;
      }
      const code = ch.charCodeAt(0);
      if (code < 0x20 || code === 0x7f) {
        flush();
        const k = controlKey(ch);
        if (k) out.push(k);
        data = data.slice(1);
        continue;
      }
      text += ch;
      data = data.slice(1);
    }
    flush();
    return out;
  }
}

function longestMarkerPrefix(data: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, data.length); n > 0; n--) if (data.endsWith(marker.slice(0, n))) return n;
  return 0;
}

interface Escape {
  length: number;
  event?: InputEvent;
  paste?: boolean;
}

/** Parse the escape sequence at the start of `data` (which starts with ESC). */
function parseEscape(data: string): Escape | 'incomplete' {
  if (data.length === 1) return { length: 1, event: key('escape') };
  const second = data[1]!;
  if (second === '[') return parseCsi(data);
  if (second === 'O') {
    if (data.length < 3) return 'incomplete';
    const name = CSI_LETTER[data[2]!];
    return { length: 3, ...(name ? { event: key(name) } : {}) };
  }
  if (second === '\x1b') {
    // ESC ESC …: Alt with an escape sequence (some terminals) — treat as the sequence with meta.
    const inner = parseEscape(data.slice(1));
    if (inner === 'incomplete') return inner;
    const ev = inner.event && inner.event.type === 'key' ? { ...inner.event, meta: true } : inner.event;
    return { length: inner.length + 1, ...(ev ? { event: ev } : {}) };
  }
  const code = second.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) {
    const k = controlKey(second);
    return { length: 2, ...(k && k.type === 'key' ? { event: { ...k, meta: true } } : {}) };
  }
  // Alt-letter (ESC b, ESC f, …).
  const ch = String.fromCodePoint(data.codePointAt(1)!);
  return { length: 1 + ch.length, event: key(`char:${ch.toLowerCase()}`, { meta: true, shift: ch !== ch.toLowerCase() }) };
}

function parseCsi(data: string): Escape | 'incomplete' {
  if (data.startsWith('\x1b[M')) {
    // X10 mouse: ESC [ M b x y, each a byte + 32.
    if (data.length < 6) return 'incomplete';
    const b = data.charCodeAt(3) - 32;
    return { length: 6, ...((b & 64) !== 0 ? { event: { type: 'wheel', direction: (b & 1) !== 0 ? 'down' : 'up' } } : {}) };
  }
  // ESC [ params (0x30-0x3f)* intermediates (0x20-0x2f)* final (0x40-0x7e); also ESC [ [ letter (Linux console).
  let i = 2;
  if (data[i] === '[') {
    if (data.length < 4) return 'incomplete';
    return { length: 4, ...(data[3]! >= 'A' && data[3]! <= 'E' ? { event: key(`f${data.charCodeAt(3) - 64}`) } : {}) };
  }
  while (i < data.length && data.charCodeAt(i) >= 0x20 && data.charCodeAt(i) <= 0x3f) i++;
  if (i >= data.length) return 'incomplete';
  const final = data[i]!;
  if (data.charCodeAt(i) < 0x40 || data.charCodeAt(i) > 0x7e) return { length: i }; // malformed: drop it
  const params = data.slice(2, i);
  const length = i + 1;
  if (params.startsWith('<')) {
    // SGR mouse: ESC [ < b ; x ; y (M|m). Only the wheel matters to us.
    const b = Number(params.slice(1).split(';')[0]);
    return { length, ...((b & 64) !== 0 && final === 'M' ? { event: { type: 'wheel', direction: (b & 1) !== 0 ? 'down' : 'up' } } : {}) };
  }
  const parts = params.split(';');
  if (final === '~') {
    if (parts[0] === '200') return { length, paste: true };
    if (parts[0] === '201') return { length };
    const name = CSI_TILDE[parts[0] ?? ''];
    return { length, ...(name ? { event: key(name, modifiers(parts[1])) } : {}) };
  }
  if (final === 'Z') return { length, event: key('tab', { shift: true }) };
  const name = CSI_LETTER[final];
  return { length, ...(name ? { event: key(name, modifiers(parts[1])) } : {}) };
}

export const BRACKETED_PASTE_ON = '\x1b[?2004h';
export const BRACKETED_PASTE_OFF = '\x1b[?2004l';
/** Report button presses (incl. the wheel) in SGR form. */
export const MOUSE_ON = '\x1b[?1000h\x1b[?1006h';
export const MOUSE_OFF = '\x1b[?1006l\x1b[?1000l';
