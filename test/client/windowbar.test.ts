import { describe, expect, it } from 'vitest';
import { clockTime } from '../../src/client/format.js';
import type { ChatLine } from '../../src/client/line.js';
import type { Row } from '../../src/client/scrollback.js';
import { Panes } from '../../src/client/tui/panes.js';
import {
  BAR_STYLES,
  composeWindows,
  dayLine,
  ellipsis,
  terminalTitle,
  titleLine,
  titleSequence,
  titleText,
  windowBar,
} from '../../src/client/tui/windowbar.js';
import { strWidth } from '../../src/client/width.js';
import {
  applyWindows,
  close,
  find,
  fixedOffset,
  focus,
  initialWindows,
  query,
  type WindowMessage,
  type Windows,
} from '../../src/client/windows.js';

const ME = 'alice';
const T0 = Date.UTC(2026, 11, 1, 12);
const text = (row: Row): string => row.map((s) => s.text).join('');

function feed(ws: Windows, message: WindowMessage, line: ChatLine): Windows {
  return applyWindows(ws, { type: 'server', message, lines: [line], me: ME }, fixedOffset(0)).windows;
}

/** server, [#main], #rust (message), bob (private), #go (join only), #lua (nothing new). */
function sample(): Windows {
  let ws = applyWindows(initialWindows(), {
    type: 'server',
    message: {
      type: 'welcome',
      rooms: ['#main', '#rust', '#go', '#lua'].map((room) => ({ room, topic: room === '#main' ? 'General chat' : '', users: [ME] })),
    },
    lines: [],
    me: ME,
  }).windows;
  ws = feed(ws, { type: 'message', id: 1, ts: T0, room: '#rust', from: 'carol' }, { kind: 'message', ts: T0, from: 'carol', text: 'hi' });
  ws = feed(ws, { type: 'private', id: 2, ts: T0, from: 'bob', to: ME }, { kind: 'private', ts: T0, from: 'bob', to: ME, text: 'psst' });
  ws = feed(ws, { type: 'joined', ts: T0, room: '#go', name: 'dave' }, { kind: 'system', ts: T0, text: 'dave has joined #go' });
  return ws;
}

describe('window bar', () => {
  it('lists every window by number with its name and its mark, wide enough', () => {
    const row = windowBar(sample(), 80);
    expect(text(row).trimEnd()).toBe('[1:server] [2:#main] [3:#rust*] [4:#go+] [5:#lua] [6:bob!]');
    expect(strWidth(text(row))).toBe(80);
  });

  it('styles each window by its level, the focused one in reverse', () => {
    const row = windowBar(sample(), 80);
    const style = (t: string) => row.find((s) => s.text === t)!.style;
    expect(style('[2:#main]')).toEqual(BAR_STYLES.focused);
    expect(style('[1:server]')).toEqual(BAR_STYLES.none);
    expect(style('[3:#rust*]')).toEqual(BAR_STYLES.message);
    expect(style('[4:#go+]')).toEqual(BAR_STYLES.activity);
    expect(style('[6:bob!]')).toEqual(BAR_STYLES.mention);
    expect(new Set([BAR_STYLES.none, BAR_STYLES.activity, BAR_STYLES.message, BAR_STYLES.mention, BAR_STYLES.focused]).size).toBe(5);
  });

  it.each<[number, string]>([
    [58, '[1:server] [2:#main] [3:#rust*] [4:#go+] [5:#lua] [6:bob!]'],
    [57, '[1] [2:#main] [3:#rust*] [4:#go+] [5] [6:bob!]'], // the quiet windows lose their names first
    [46, '[1] [2:#main] [3:#rust*] [4:#go+] [5] [6:bob!]'],
    [45, '[1] [2:#main] [3*] [4+] [5] [6!]'], // then every name but the focused one's
    [32, '[1] [2:#main] [3*] [4+] [5] [6!]'],
    [31, '[1] [2] [3*] [4+] [5] [6!]'], // then that too
    [26, '[1] [2] [3*] [4+] [5] [6!]'],
    [25, '… [2] [3*] [4+] … [6!]'], // then the quiet windows themselves
    [22, '… [2] [3*] [4+] … [6!]'],
    [21, '… [2] [3*] [4+]…'], // and at last the whole items that fit, then "…"
    [8, '… [2]…'],
    [3, '…'],
    [1, '…'],
  ])('fits %i columns', (width, expected) => {
    const row = windowBar(sample(), width);
    expect(text(row).trimEnd()).toBe(expected);
    expect(strWidth(text(row))).toBe(width);
  });

  it('draws nothing in no columns', () => {
    expect(windowBar(sample(), 0)).toEqual([]);
  });

  it('the focused window shows no mark; focusing one clears its mark', () => {
    const ws = sample();
    const bob = find(ws, 'private', 'bob')!;
    expect(text(windowBar(focus(ws, bob.id), 80)).trimEnd()).toBe('[1:server] [2:#main] [3:#rust*] [4:#go+] [5:#lua] [6:bob]');
  });

  it('numbers follow closing: the windows after a closed one move down', () => {
    const r = close(sample(), 3);
    expect(r.ok && text(windowBar(r.windows, 80)).trimEnd()).toBe('[1:server] [2:#main] [3:#go+] [4:#lua] [5:bob!]');
  });

  it('cuts a long name by display width, and never lets a control character through', () => {
    let ws = query(initialWindows(), '小明小明小明小明小明小明');
    ws = { ...ws, list: ws.list.map((w, i) => (i === 0 ? { ...w, name: 'evil\x1b]2;pwned\x07' } : w)) };
    expect(text(windowBar(ws, 80)).trimEnd()).toBe('[1:evil]2;pwned] [2:小明小明小明小…]');
  });
});

describe('title line and terminal title', () => {
  it.each<[string, (ws: Windows) => Windows, string]>([
    ['a room with a topic', (ws) => ws, '#main — General chat'],
    ['a room without one', (ws) => focus(ws, find(ws, 'room', '#rust')!.id), '#rust'],
    ['a private window', (ws) => focus(ws, find(ws, 'private', 'bob')!.id), 'bob — private conversation'],
    ['the server window', (ws) => focus(ws, 1), 'server — server notices'],
    [
      'a room we left',
      (ws) => feed(ws, { type: 'left', ts: T0, room: '#main', name: ME, reason: 'part' }, { kind: 'system', ts: T0, text: 'left' }),
      '#main (not joined) — General chat',
    ],
  ])('title of %s', (_what, prepare, expected) => {
    const ws = prepare(sample());
    expect(titleText(ws.list.find((w) => w.id === ws.focused)!)).toBe(expected);
  });

  it.each<[number, string]>([
    [30, ' #main — General chat         '],
    [15, ' #main — Gener…'],
    [2, ' …'],
  ])('the title line fits %i columns', (width, expected) => {
    const ws = sample();
    const row = titleLine(
      ws.list.find((w) => w.id === ws.focused)!,
      width,
    );
    expect(text(row)).toBe(expected);
  });

  it('cuts a CJK topic by display width, sanitized', () => {
    let ws = sample();
    ws = feed(
      ws,
      { type: 'topic', room: '#main', text: '你好\t世界\x1b[31m你好世界', by: 'bob', ts: T0 },
      { kind: 'system', ts: T0, text: 't' },
    );
    const row = titleLine(
      ws.list.find((w) => w.id === ws.focused)!,
      20,
    );
    expect(text(row)).toBe(' #main — 你好 世界[…');
    expect(strWidth(text(row))).toBe(20);
  });

  it.each<[string, (ws: Windows) => Windows, string]>([
    ['mentions and private messages waiting', (ws) => ws, 'framechat (1) — #main'],
    ['nothing waiting', (ws) => focus(ws, find(ws, 'private', 'bob')!.id), 'framechat — bob'],
  ])('terminal title with %s', (_what, prepare, expected) => {
    expect(terminalTitle(prepare(sample()))).toBe(expected);
  });

  it('the title escape cannot carry a control character of its own', () => {
    expect(titleSequence('framechat — a\x07b\x1bc\x9c')).toBe('\x1b]2;framechat — abc\x07');
  });

  it('ellipsis cuts by cells', () => {
    expect(ellipsis('abcdef', 4)).toBe('abc…');
    expect(ellipsis('你好世界', 5)).toBe('你好…');
    expect(ellipsis('abc', 3)).toBe('abc');
    expect(ellipsis('abc', 0)).toBe('');
  });
});

describe('frame with windows', () => {
  const input = (rows: number) => ({
    size: { cols: 40, rows },
    pane: [[{ text: 'bob: hi', style: {} }]],
    users: undefined,
    room: '#main',
    status: ' status',
    prompt: '#main> ',
    input: { text: 'ab', cursor: 2 },
  });

  it('puts the title line on top and the window bar above the status bar', () => {
    const frame = composeWindows(input(7), sample());
    expect(frame.rows.map(text).map((r) => r.trimEnd())).toEqual([
      ' #main — General chat',
      'bob: hi',
      '',
      '',
      '[1] [2:#main] [3*] [4+] [5] [6!]',
      ' status',
      '#main> ab',
    ]);
    expect(frame.rows).toHaveLength(7);
    expect(frame.rows.every((r) => strWidth(text(r)) === 40)).toBe(true);
    expect(frame.cursor).toEqual({ x: 9, y: 6 });
  });

  it('leaves them out on a terminal too short for them', () => {
    const frame = composeWindows(input(5), sample());
    expect(frame.rows.map(text).map((r) => r.trimEnd())).toEqual(['bob: hi', '', '', ' status', '#main> ab']);
    expect(frame.cursor).toEqual({ x: 9, y: 4 });
  });
});

describe('panes', () => {
  it('keeps one scrollback per window, day lines included, and forgets closed windows', () => {
    let ws = sample();
    const rust = find(ws, 'room', '#rust')!;
    const panes = new Panes(100);
    const next = applyWindows(
      ws,
      {
        type: 'server',
        message: { type: 'message', id: 5, ts: T0 + 86_400_000, room: '#rust', from: 'carol' },
        lines: [{ kind: 'message', ts: T0 + 86_400_000, from: 'carol', text: 'tomorrow' }],
        me: ME,
      },
      fixedOffset(0),
    );
    panes.show(next.shown);
    ws = next.windows;
    const rows = panes.pane(rust.id).view(40, 2).rows.map(text);
    expect(rows).toEqual(['── Wednesday 2 December 2026 ──', `${clockTime(T0 + 86_400_000)} carol: tomorrow`]);
    expect(panes.count).toBe(1);
    panes.pane(find(ws, 'private', 'bob')!.id);
    const r = close(ws, 3);
    if (!r.ok) throw new Error('close failed');
    panes.prune(r.windows);
    expect(panes.count).toBe(1);
  });

  it('a day line is dimmed and not indented', () => {
    expect(dayLine('Tuesday 1 December 2026')).toEqual({
      segments: [{ text: '── Tuesday 1 December 2026 ──', style: { dim: true } }],
      indent: 0,
    });
  });
});
