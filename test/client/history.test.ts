/** The pure parts of history in the client: dedupe and order (windows.ts), older pages (scrollback.ts), the stamps (format.ts). */
import { describe, expect, it } from 'vitest';
import { stampText, storedMark, styleLine, type StyledLine } from '../../src/client/format.js';
import type { ChatLine } from '../../src/client/line.js';
import { Scrollback } from '../../src/client/scrollback.js';
import {
  applyWindows,
  END_OF_HISTORY,
  find,
  fixedOffset,
  initialWindows,
  resume,
  START_OF_HISTORY,
  type Shown,
  type WindowMessage,
  type Windows,
} from '../../src/client/windows.js';

const UTC = fixedOffset(0);
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const line = (id: number, history = true): ChatLine => ({ kind: 'message', ts: T0 + id, from: 'bob', text: `m${id}`, id, history });

function server(ws: Windows, message: WindowMessage, lines: ChatLine[], page?: 'before' | 'after') {
  return applyWindows(ws, { type: 'server', message, lines, me: 'alice', ...(page ? { page } : {}) }, UTC);
}

function history(ws: Windows, ids: number[], more = false, page?: 'before' | 'after') {
  return server(
    ws,
    { type: 'history', room: '#main', messages: ids.map((id) => ({ id })), more },
    ids.map((id) => line(id)),
    page,
  );
}

function live(ws: Windows, id: number) {
  return server(ws, { type: 'message', id, ts: T0 + id, room: '#main', from: 'bob' }, [line(id, false)]);
}

const texts = (shown: Shown[]): string[] => shown.map((s) => ('line' in s ? s.line.text : `── ${s.day}`));

function joined(): Windows {
  return server(initialWindows(), { type: 'welcome', rooms: [{ room: '#main', topic: '', users: ['alice', 'bob'] }] }, []).windows;
}

/** What a reconnect does to the windows (app.ts attach): this connection's lastId starts again, sinceId stays. */
const reconnect = (ws: Windows): Windows => ({ ...ws, list: ws.list.map((w) => ({ ...w, lastId: 0, held: undefined })) });

describe('history in the windows', () => {
  it('puts the divider under the history of a first join, and nothing under an empty one', () => {
    const r = history(joined(), [1, 2]);
    expect(texts(r.shown)).toEqual(['m1', 'm2', `── ${END_OF_HISTORY}`]);
    expect(texts(history(joined(), []).shown)).toEqual([]);
  });

  it('hello.since carries the last id shown, across a reconnect', () => {
    let ws = history(joined(), [1, 2]).windows;
    ws = live(ws, 7).windows;
    ws = reconnect(ws);
    expect(resume(ws).since).toEqual({ '#main': 7 });
  });

  it('a catch-up shows only what is newer than what was shown, with no divider', () => {
    let ws = live(history(joined(), [1, 2]).windows, 5).windows;
    ws = reconnect(ws);
    const r = history(ws, [4, 5, 6, 8]);
    expect(texts(r.shown)).toEqual(['m6', 'm8']);
    expect(find(r.windows, 'room', '#main')).toMatchObject({ sinceId: 8, lastId: 8 });
    // And a live repeat of the last one is dropped.
    expect(texts(live(r.windows, 8).shown)).toEqual([]);
  });

  it('holds live lines while a catch-up runs past its first page, then shows them after the gap, each once', () => {
    let ws = reconnect(live(joined(), 10).windows);
    let r = history(ws, [11, 12], true);
    expect(texts(r.shown)).toEqual(['m11', 'm12']);
    ws = r.windows;
    // Live lines arrive before the rest of the gap: held, not shown out of order.
    r = live(ws, 20);
    expect(r.shown).toEqual([]);
    r = live(r.windows, 21);
    r = history(r.windows, [13, 14, 20], false, 'after');
    expect(texts(r.shown)).toEqual(['m13', 'm14', 'm20', 'm21']);
    expect(find(r.windows, 'room', '#main')).toMatchObject({ held: undefined, sinceId: 21 });
  });

  it('an older page goes on top, the start of history above it when there is no older one', () => {
    const ws = history(joined(), [5, 6]).windows;
    let r = history(ws, [3, 4], true, 'before');
    expect(r.shown.every((s) => s.top === true)).toBe(true);
    expect(texts(r.shown)).toEqual(['m3', 'm4']);
    r = history(r.windows, [1, 2], false, 'before');
    expect(texts(r.shown)).toEqual([`── ${START_OF_HISTORY}`, 'm1', 'm2']);
    // Older pages are not news and move nothing the next catch-up is measured by.
    expect(find(r.windows, 'room', '#main')).toMatchObject({ sinceId: 6, activity: 'none' });
  });
});

const plain = (text: string, id?: number): StyledLine => ({
  segments: [{ text, style: {} }],
  indent: 0,
  ...(id === undefined ? {} : { id }),
});
const rowsText = (sb: Scrollback, h: number): string[] => sb.view(20, h).rows.map((r) => r.map((s) => s.text).join(''));

describe('older pages in the scrollback', () => {
  it('prepends in order and keeps the view where it was', () => {
    const sb = new Scrollback(100);
    for (let i = 10; i < 20; i++) sb.push(plain(`l${i}`, i));
    sb.scroll(3, 20, 4);
    const before = rowsText(sb, 4);
    expect(sb.prepend([plain('l8', 8), plain('l9', 9)])).toBe(2);
    expect(rowsText(sb, 4)).toEqual(before);
    expect(sb.oldestId()).toBe(8);
    sb.scroll(100, 20, 4);
    expect(rowsText(sb, 4)).toEqual(['l8', 'l9', 'l10', 'l11']);
    expect(sb.atTop(20, 4)).toBe(true);
  });

  it('keeps the newest lines of a page that would pass the capacity, and says how many', () => {
    const sb = new Scrollback(5);
    for (let i = 10; i < 13; i++) sb.push(plain(`l${i}`, i));
    expect(sb.prepend([1, 2, 3, 4].map((i) => plain(`l${i}`, i)))).toBe(2);
    expect(sb.size).toBe(5);
    expect(sb.room).toBe(0);
    expect(rowsText(sb, 5)).toEqual(['l3', 'l4', 'l10', 'l11', 'l12']);
  });

  it('reveals a line by id, highlighted (inverse), and says when it has none', () => {
    const sb = new Scrollback(100);
    for (let i = 0; i < 30; i++) sb.push(plain(`l${i}`, i));
    expect(sb.reveal(5, 20, 5)).toBe(true);
    const view = sb.view(20, 5);
    const lit = view.rows.filter((r) => r.some((s) => s.style.inverse));
    expect(lit.map((r) => r.map((s) => s.text).join(''))).toEqual(['l5']);
    expect(sb.reveal(99, 20, 5)).toBe(false);
  });
});

describe('the stamps of stored lines', () => {
  const now = new Date(2026, 11, 1, 15, 0).getTime();
  const at = (d: number, h: number): number => new Date(2026, 11, d, h, 5).getTime();
  it('dates a history line only when it is not from today; a live line never', () => {
    expect(stampText({ kind: 'message', ts: at(1, 9), from: 'b', text: 't', history: true }, false, now)).toBe('09:05');
    expect(stampText({ kind: 'message', ts: at(0, 9) /* 30 November */, from: 'b', text: 't', history: true }, false, now)).toBe(
      '2026-11-30 09:05',
    );
    expect(stampText({ kind: 'message', ts: at(0, 9), from: 'b', text: 't' }, false, now)).toBe('09:05');
  });
  it('dims a history line all through, and not a live one', () => {
    const past = styleLine({ kind: 'message', ts: at(1, 9), from: 'bob', text: 'hi', history: true }, { now });
    expect(past.segments.every((s) => s.style.dim === true)).toBe(true);
    const now2 = styleLine({ kind: 'message', ts: at(1, 9), from: 'bob', text: 'hi' }, { now });
    expect(now2.segments.some((s) => s.style.dim !== true)).toBe(true);
  });
  it('marks stored lines for line mode', () => {
    expect(storedMark({ kind: 'message', ts: at(1, 9), from: 'b', text: 't', history: true })).toBe('[history 2026-12-01 09:05] ');
    expect(storedMark({ kind: 'message', ts: at(1, 9), from: 'b', text: 't', history: true, result: { n: 3, room: '#x' } })).toBe(
      '[3] #x 2026-12-01 09:05 ',
    );
    expect(storedMark({ kind: 'message', ts: at(1, 9), from: 'b', text: 't' })).toBe('');
  });
});
