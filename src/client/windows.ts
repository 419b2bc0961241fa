/**
 * @module
 * The client's windows, as irssi and WeeChat have them: one for server notices, one per room and
 * one per private conversation, each with its own unread state, one of them focused. Windows is
 * one value and apply() advances it, as state.ts does for the rest: given the windows and a server
 * message with the lines state.ts made of it, it says which window each line goes to (with a
 * day-change line before it where the local day changed), marks activity in the windows that are
 * not focused, and says whether to ring the bell. The operations a user asks for (focus, /join,
 * /query, /close, Alt-a) are pure functions too.
 *
 * What lives here and nowhere else: the list of windows and their order (a window's number is its
 * place in the list: the server window is 1, the others follow in the order they were opened, and
 * closing one renumbers those after it, as irssi's windows_auto_renumber does), which window is
 * focused, each room's members and topic, and the last message id seen in each conversation (what
 * a reconnect puts in hello.since). The lines themselves are kept by the front end, one buffer per
 * window `id` (ids are never reused, and survive renumbering and a rename).
 *
 * The messages are taken by shape (WindowMessage), so that a protocol v2 ServerMessage is one.
 */
import { foldName, normalizeRoom } from '../protocol/internal.js';
import type { ChatLine } from './line.js';

/** `search`: the results of /search (one window, reused). */
export type WindowKind = 'server' | 'room' | 'private' | 'search';

/**
 * How loud a window's unseen lines are, quiet to loud (irssi's data levels): `activity` for
 * joins, leaves, topics and other system lines; `message` for something said; `mention` for a
 * line that names us or a private message to us.
 */
export type Activity = 'none' | 'activity' | 'message' | 'mention';
export const ACTIVITY_ORDER: readonly Activity[] = ['none', 'activity', 'message', 'mention'];

export interface Window {
  /** Stable for the window's life and never reused: the front end's key for its lines. */
  readonly id: number;
  readonly kind: WindowKind;
  /** What finds the window: the folded room or partner name ('' for the server window). */
  readonly key: string;
  /** As shown: '#rust', 'bob' (as last spelled), or 'server'. */
  readonly name: string;
  /** Rooms: '' when there is none. */
  readonly topic: string;
  /** Rooms: the members, in join order, while joined; [] once parted. */
  readonly members: readonly string[];
  /** Rooms: we are (or, while disconnected, mean to be) a member. False after /part or a kick: the lines stay until /close. */
  readonly joined: boolean;
  readonly activity: Activity;
  /** When the window reached its activity level (Windows.seq at the time): older is served first by Alt-a. */
  readonly activitySeq: number;
  /** Lines at `message` level or louder since the window was last focused. */
  readonly unread: number;
  /** Of those, mentions and private messages: what the terminal title counts. */
  readonly highlights: number;
  /** Time of the newest line shown, for day-change lines. */
  readonly lastTs: number | undefined;
  /** Highest message id shown in this conversation on this connection: ids grow within one, so anything at or below it is a repeat. */
  readonly lastId: number;
  /**
   * Highest message id ever shown here, kept across connections: what hello.since (and join.since)
   * carry, and what a catch-up page is deduped against (0: no message shown yet).
   */
  readonly sinceId: number;
  /**
   * While a catch-up runs past its first page (app.ts asks `history{after}` for the rest): the
   * live lines that arrive meanwhile, held so that the gap is shown in order before them.
   */
  readonly held: readonly { id: number; lines: readonly ChatLine[] }[] | undefined;
}

export interface Windows {
  /** In number order: list[0] is the server window, number 1. */
  readonly list: readonly Window[];
  readonly focused: number;
  /** The window focused before, where closing the focused one goes back to. */
  readonly previous: number | undefined;
  readonly nextId: number;
  /** Counts activity changes, to order Alt-a. */
  readonly seq: number;
  /** Folded rooms a /join asked for: the `room` answer to each opens and focuses its window. */
  readonly joining: readonly string[];
  /** A welcome has been seen: the first one focuses a room, later ones (reconnects) keep the focus. */
  readonly welcomed: boolean;
}

export interface RoomView {
  room: string;
  topic: string;
  users: readonly string[];
}

interface HasLines {
  id: number;
}

/** The server messages that windows care about, by shape: a protocol v2 ServerMessage is one of these. */
export type WindowMessage =
  | { type: 'welcome'; rooms: readonly RoomView[] }
  | ({ type: 'room' } & RoomView)
  | { type: 'message'; id: number; ts: number; room: string; from: string }
  | { type: 'private'; id: number; ts: number; from: string; to: string }
  | { type: 'joined'; ts: number; room: string; name: string }
  | { type: 'left'; ts: number; room: string; name: string; reason: string }
  | { type: 'renamed'; ts: number; from: string; to: string }
  | { type: 'topic'; room: string; text: string; by: string; ts: number }
  | { type: 'history'; room?: string; with?: string; messages: readonly HasLines[]; more?: boolean }
  | { type: 'notice' | 'bye' }
  | { type: 'error' | 'users' | 'rooms' | 'results' | 'registered' | 'ping' | 'pong' | 'moderated' | 'bans' };

/**
 * - server: a server message, with the lines state.ts made of it; `window` (an id): the window the
 *   request it answers was made in (found by its label). A reply that belongs to no room or
 *   conversation of its own (an error, /who, /rooms, a /look of another room) goes there rather
 *   than to whichever window is focused when it arrives; one that has its own window (an echo, a
 *   joined room, a topic) still goes to that.
 * - local: lines of our own (answers to commands, errors, connection changes): `focused` goes to
 *   the focused window, `server` to the server window, `status` (connection changes) to both.
 */
export type WindowEvent =
  | {
      type: 'server';
      message: WindowMessage;
      lines: readonly ChatLine[];
      me: string;
      window?: number;
      /** A `history` that answers our own page request: older lines (before) or the rest of a catch-up (after). */
      page?: 'before' | 'after';
    }
  | { type: 'local'; lines: readonly ChatLine[]; to: 'focused' | 'server' | 'status' };

/**
 * One line for one window's buffer: a chat line, or a divider ("── Tuesday 1 December 2026 ──", a
 * day change; "── end of history ──" under the history on join; "── start of history ──" above
 * the oldest page). `top`: an older page, to go above what the window shows (in order, oldest first).
 */
export type Shown = { window: number; line: ChatLine; top?: true } | { window: number; day: string; ts: number; top?: true };

export const END_OF_HISTORY = 'end of history';
export const START_OF_HISTORY = 'start of history';
/** Pages of a catch-up fetched at most (app.ts); past them the held lines are shown and the rest of the gap is said to be missing. */
export const CATCH_UP_PAGES = 20;
/** Live lines held per window while a catch-up runs. */
const HELD_LIMIT = 1_000;

export interface WindowsApplied {
  windows: Windows;
  shown: Shown[];
  /** A mention or private message arrived in a window that is not focused. */
  bell: boolean;
}

/** Local time: minutes east of UTC at a moment. Injected so that tests fix the zone. */
export type UtcOffset = (ts: number) => number;
export const localOffset: UtcOffset = (ts) => -new Date(ts).getTimezoneOffset();
export const fixedOffset =
  (minutes: number): UtcOffset =>
  () =>
    minutes;

const SERVER_ID = 1;

function blank(id: number, kind: WindowKind, key: string, name: string): Window {
  return {
    id,
    kind,
    key,
    name,
    topic: '',
    members: [],
    joined: kind !== 'room',
    activity: 'none',
    activitySeq: 0,
    unread: 0,
    highlights: 0,
    lastTs: undefined,
    lastId: 0,
    sinceId: 0,
    held: undefined,
  };
}

export function initialWindows(serverName = 'server'): Windows {
  return {
    list: [blank(SERVER_ID, 'server', '', serverName)],
    focused: SERVER_ID,
    previous: undefined,
    nextId: SERVER_ID + 1,
    seq: 0,
    joining: [],
    welcomed: false,
  };
}

const same = (a: string, b: string): boolean => foldName(a) === foldName(b);
const without = (names: readonly string[], name: string): string[] => names.filter((n) => !same(n, name));

// ---- reading -------------------------------------------------------------------------------

export function focusedWindow(ws: Windows): Window {
  return ws.list.find((w) => w.id === ws.focused) ?? ws.list[0]!;
}

/** The window's number (1-based), or 0 when there is no such window. */
export function numberOf(ws: Windows, id: number): number {
  return ws.list.findIndex((w) => w.id === id) + 1;
}

export function byId(ws: Windows, id: number): Window | undefined {
  return ws.list.find((w) => w.id === id);
}

export function find(ws: Windows, kind: 'room' | 'private' | 'search', name: string): Window | undefined {
  const key = foldName(name);
  return ws.list.find((w) => w.kind === kind && w.key === key);
}

/** The terminal title's count: mentions and private messages not yet seen. */
export function unreadTotal(ws: Windows): number {
  return ws.list.reduce((n, w) => n + w.highlights, 0);
}

/** What a line typed in the focused window goes to. */
export type Target =
  | { kind: 'room'; room: string }
  | { kind: 'private'; to: string }
  | { kind: 'none'; code: 'server_window' | 'not_joined'; message: string };

export function sayTarget(ws: Windows): Target {
  const w = focusedWindow(ws);
  if (w.kind === 'private') return { kind: 'private', to: w.name };
  if (w.kind === 'search')
    return {
      kind: 'none',
      code: 'server_window',
      message: 'This is the search window: /goto N jumps to result N, /more shows older results',
    };
  if (w.kind === 'room')
    return w.joined
      ? { kind: 'room', room: w.name }
      : { kind: 'none', code: 'not_joined', message: `You are not in ${w.name}; /join ${w.name} to go back, /close to close the window` };
  return {
    kind: 'none',
    code: 'server_window',
    message: 'This is the server window: /join a room, or go to one with Alt-number or /window N',
  };
}

/** The room of the focused window, for /topic, /part and /look without an argument. */
export function focusedRoom(ws: Windows): string | undefined {
  const w = focusedWindow(ws);
  return w.kind === 'room' ? w.name : undefined;
}

/** Everyone we know to be online: the members of every room we are in and our private partners, each once (for /msg completion). */
export function people(ws: Windows): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const w of ws.list) {
    const names = w.kind === 'room' && w.joined ? w.members : w.kind === 'private' ? [w.name] : [];
    for (const n of names) {
      const k = foldName(n);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(n);
      }
    }
  }
  return out;
}

/**
 * What to ask for after a reconnect: every room we are in (hello.rooms), in window order, and the
 * last id seen in each (hello.since), so that the catch-up shows every message once.
 */
export function resume(ws: Windows): { rooms: string[]; since: Record<string, number> } {
  const rooms = ws.list.filter((w) => w.kind === 'room' && w.joined);
  const since: Record<string, number> = {};
  for (const w of rooms) if (w.sinceId > 0) since[w.name] = w.sinceId;
  return { rooms: rooms.map((w) => w.name), since };
}

/** Line mode names the room of every room line: "[#rust] alice: hi". Private and server lines name themselves. */
export function lineTag(ws: Windows, id: number): string {
  const w = byId(ws, id);
  return w?.kind === 'room' ? `[${w.name}] ` : '';
}

/** Is this message one we have shown already (a repeat after a reconnect)? */
export function isRepeat(
  ws: Windows,
  m: { type: 'message'; id: number; room: string } | { type: 'private'; id: number; from: string; to: string },
  me: string,
): boolean {
  const w = m.type === 'message' ? find(ws, 'room', m.room) : find(ws, 'private', same(m.from, me) ? m.to : m.from);
  return w !== undefined && m.id <= w.lastId;
}

// ---- operations ----------------------------------------------------------------------------

export type WindowErrorCode = 'no_such_window' | 'server_window' | 'not_private';

export type WindowOp = { ok: true; windows: Windows; part?: string } | { ok: false; code: WindowErrorCode; message: string };

function replace(ws: Windows, w: Window): Windows {
  return { ...ws, list: ws.list.map((x) => (x.id === w.id ? w : x)) };
}

function seen(w: Window): Window {
  return w.activity === 'none' && w.unread === 0 && w.highlights === 0
    ? w
    : { ...w, activity: 'none', activitySeq: 0, unread: 0, highlights: 0 };
}

/** Focus a window by id: its activity is seen. */
export function focus(ws: Windows, id: number): Windows {
  const w = byId(ws, id);
  if (!w) return ws;
  const next = replace(ws, seen(w));
  return id === ws.focused ? next : { ...next, focused: id, previous: ws.focused };
}

/** Alt-1..Alt-9, Alt-0 (10), /window N. */
export function focusNumber(ws: Windows, n: number): WindowOp {
  const w = ws.list[n - 1];
  if (!Number.isInteger(n) || !w)
    return {
      ok: false,
      code: 'no_such_window',
      message: `There is no window ${n} (there ${ws.list.length === 1 ? 'is 1' : `are ${ws.list.length}`})`,
    };
  return { ok: true, windows: focus(ws, w.id) };
}

/** Ctrl-N / Ctrl-P: the next or previous window by number, round the end. */
export function focusStep(ws: Windows, step: 1 | -1): Windows {
  const i = numberOf(ws, ws.focused) - 1;
  const n = ws.list.length;
  return focus(ws, ws.list[(i + step + n) % n]!.id);
}

/**
 * Alt-a: the window with the loudest activity, the one that has waited longest among equals
 * (irssi's `window goto active`, WeeChat's hotlist order). Undefined when nothing waits.
 */
export function nextActive(ws: Windows): Window | undefined {
  let best: Window | undefined;
  for (const w of ws.list) {
    if (w.id === ws.focused || w.activity === 'none') continue;
    const rank = ACTIVITY_ORDER.indexOf(w.activity);
    const bestRank = best ? ACTIVITY_ORDER.indexOf(best.activity) : -1;
    if (rank > bestRank || (rank === bestRank && w.activitySeq < best!.activitySeq)) best = w;
  }
  return best;
}

export function focusActive(ws: Windows): Windows {
  const w = nextActive(ws);
  return w ? focus(ws, w.id) : ws;
}

function open(ws: Windows, kind: 'room' | 'private' | 'search', name: string): { windows: Windows; window: Window } {
  const existing = find(ws, kind, name);
  if (existing) return { windows: ws, window: existing };
  const window = blank(ws.nextId, kind, foldName(name), name);
  return { windows: { ...ws, list: [...ws.list, window], nextId: ws.nextId + 1 }, window };
}

/**
 * /join ROOM (before it is sent): a window already open for the room is focused now; either way
 * the server's `room` answer focuses the room's window (opening it), so a refused join opens
 * nothing.
 */
export function join(ws: Windows, room: string): Windows {
  const key = foldName(normalizeRoom(room));
  const joining = ws.joining.includes(key) ? ws.joining : [...ws.joining, key];
  const w = ws.list.find((x) => x.kind === 'room' && x.key === key);
  return { ...(w ? focus(ws, w.id) : ws), joining };
}

/** /query NAME: open (or find) the private window with NAME and focus it. */
export function query(ws: Windows, name: string): Windows {
  const { windows, window } = open(ws, 'private', name);
  return focus(windows, window.id);
}

/**
 * /close [N] (default: the focused window). The server window stays. Closing a room we are
 * still in leaves it too (`part` says which room to part), as irssi's /window close does.
 * The focus goes back to the window focused before, else to the one that takes the number.
 */
export function close(ws: Windows, n = numberOf(ws, ws.focused)): WindowOp {
  const w = ws.list[n - 1];
  if (!w) return { ok: false, code: 'no_such_window', message: `There is no window ${n}` };
  if (w.kind === 'server') return { ok: false, code: 'server_window', message: 'The server window cannot be closed' };
  const list = ws.list.filter((x) => x.id !== w.id);
  const rest: Windows = { ...ws, list, joining: ws.joining.filter((k) => w.kind !== 'room' || k !== w.key) };
  let windows = rest;
  if (ws.focused === w.id) {
    const back = ws.previous !== undefined && ws.previous !== w.id ? byId(rest, ws.previous) : undefined;
    const to = back ?? list[Math.min(n - 1, list.length - 1)]!;
    windows = { ...replace(rest, seen(to)), focused: to.id, previous: undefined };
  } else if (ws.previous === w.id) windows = { ...rest, previous: undefined };
  return w.kind === 'room' && w.joined ? { ok: true, windows, part: w.name } : { ok: true, windows };
}

// ---- server messages -----------------------------------------------------------------------

const LEVEL: Record<Activity, number> = { none: 0, activity: 1, message: 2, mention: 3 };

/** How loud a line is in a window that is not focused. Our own lines are not news. */
export function lineActivity(line: ChatLine): Activity {
  if ('own' in line && line.own) return 'none';
  if ('mention' in line && line.mention) return 'mention';
  if (line.kind === 'private') return 'mention';
  if (line.kind === 'message' || line.kind === 'action') return 'message';
  return 'activity';
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

/** The local calendar day of `ts` as a number of days since the epoch (comparable). */
export function localDay(ts: number, offset: UtcOffset = localOffset): number {
  return Math.floor((ts + offset(ts) * 60_000) / 86_400_000);
}

/** "Tuesday 1 December 2026": English whatever the locale, in local time. */
export function dayText(ts: number, offset: UtcOffset = localOffset): string {
  const d = new Date(ts + offset(ts) * 60_000);
  return `${DAYS[d.getUTCDay()]!} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]!} ${d.getUTCFullYear()}`;
}

/** "14:05", or "14:05:09" with seconds, in local time. */
export function timeText(ts: number, seconds = false, offset: UtcOffset = localOffset): string {
  const d = new Date(ts + offset(ts) * 60_000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}${seconds ? `:${two(d.getUTCSeconds())}` : ''}`;
}

/** Mutable while one event is applied; apply() hands out the finished value. */
interface Acc {
  ws: Windows;
  shown: Shown[];
  bell: boolean;
  offset: UtcOffset;
}

/** Add lines to a window: a day-change line first where the day changed, and activity when it is not focused. */
function deliver(
  acc: Acc,
  id: number,
  lines: readonly ChatLine[],
  opts: { mark: boolean; bell: boolean } = { mark: true, bell: true },
): void {
  const found = byId(acc.ws, id);
  if (!found || lines.length === 0) return;
  let w: Window = found;
  for (const line of lines) {
    if (w.lastTs !== undefined && localDay(w.lastTs, acc.offset) !== localDay(line.ts, acc.offset)) {
      acc.shown.push({ window: id, day: dayText(line.ts, acc.offset), ts: line.ts });
    }
    acc.shown.push({ window: id, line });
    w = { ...w, lastTs: line.ts };
    const level = lineActivity(line);
    if (id === acc.ws.focused || !opts.mark || level === 'none') continue;
    const louder: boolean = LEVEL[level] > LEVEL[w.activity];
    const seq = louder ? acc.ws.seq + 1 : acc.ws.seq;
    w = {
      ...w,
      activity: louder ? level : w.activity,
      activitySeq: louder ? seq : w.activitySeq,
      unread: w.unread + (LEVEL[level] >= LEVEL.message ? 1 : 0),
      highlights: w.highlights + (level === 'mention' ? 1 : 0),
    };
    acc.ws = { ...acc.ws, seq };
    if (level === 'mention' && opts.bell) acc.bell = true;
  }
  acc.ws = replace(acc.ws, w);
}

function update(acc: Acc, id: number, change: (w: Window) => Window): void {
  const w = byId(acc.ws, id);
  if (w) acc.ws = replace(acc.ws, change(w));
}

function openIn(acc: Acc, kind: 'room' | 'private' | 'search', name: string): number {
  const { windows, window } = open(acc.ws, kind, name);
  acc.ws = windows;
  return window.id;
}

function roomState(acc: Acc, r: RoomView): number {
  const id = openIn(acc, 'room', r.room);
  update(acc, id, (w) => ({ ...w, name: r.room, topic: r.topic, members: [...r.users], joined: true }));
  return id;
}

/**
 * A `history` for window `id`. Every message is shown once: a page of the latest or a catch-up
 * keeps what is newer than anything shown here (sinceId); an older page (`before`, asked with the
 * oldest id the window shows) goes above it. The history on a first join is the room's past, not
 * news, and ends with a divider; a catch-up after a reconnect is news, but never rings.
 */
function history(
  acc: Acc,
  id: number,
  m: { messages: readonly HasLines[]; more?: boolean },
  lines: readonly ChatLine[],
  page: 'before' | 'after' | undefined,
): void {
  const w = byId(acc.ws, id)!;
  const ids = new Map(m.messages.map((x, i) => [lines[i], x.id] as const));
  if (page === 'before') {
    // The page goes above what is shown, in order: the start-of-history line (no older page) on top of it.
    if (m.more !== true) acc.shown.push({ window: id, day: START_OF_HISTORY, ts: 0, top: true });
    for (const line of lines) acc.shown.push({ window: id, line, top: true });
    return;
  }
  const fresh = lines.filter((l) => (ids.get(l) ?? Infinity) > w.sinceId);
  const top = m.messages.reduce((n, x) => Math.max(n, x.id), w.sinceId);
  const catchUp = w.sinceId > 0;
  deliver(acc, id, fresh, { mark: catchUp, bell: false });
  if (!catchUp && fresh.length > 0 && page === undefined) acc.shown.push({ window: id, day: END_OF_HISTORY, ts: fresh.at(-1)!.ts });
  const held = w.held;
  // More of a catch-up to come (app.ts asks for it): hold the live lines until it is all shown.
  const going = m.more === true && catchUp;
  update(acc, id, (x) => ({ ...x, lastId: Math.max(x.lastId, top), sinceId: top, held: going ? (held ?? []) : undefined }));
  if (!going && held) {
    for (const h of held) {
      if (h.id <= top) continue;
      update(acc, id, (x) => ({ ...x, lastId: Math.max(x.lastId, h.id), sinceId: Math.max(x.sinceId, h.id) }));
      deliver(acc, id, h.lines);
    }
  }
}

/** The catch-up of window `id` stops short (too many pages): show what was held, in order. */
export function releaseHeld(ws: Windows, id: number, offset: UtcOffset = localOffset): WindowsApplied {
  const acc: Acc = { ws, shown: [], bell: false, offset };
  const w = byId(ws, id);
  if (w?.held) {
    const held = w.held;
    update(acc, id, (x) => ({ ...x, held: undefined }));
    for (const h of held) {
      update(acc, id, (x) => ({ ...x, lastId: Math.max(x.lastId, h.id), sinceId: Math.max(x.sinceId, h.id) }));
      deliver(acc, id, h.lines);
    }
  }
  return { windows: acc.ws, shown: acc.shown, bell: acc.bell };
}

export function applyWindows(ws: Windows, event: WindowEvent, offset: UtcOffset = localOffset): WindowsApplied {
  const acc: Acc = { ws, shown: [], bell: false, offset };
  if (event.type === 'local') {
    const to = event.to === 'focused' ? [ws.focused] : event.to === 'server' ? [SERVER_ID] : [...new Set([SERVER_ID, ws.focused])];
    for (const id of to) deliver(acc, id, event.lines);
    return { windows: acc.ws, shown: acc.shown, bell: acc.bell };
  }
  const { message: m, lines, me } = event;
  // Where a reply of no window of its own goes: where it was asked for, while that window is open.
  const origin = event.window !== undefined && byId(ws, event.window) ? event.window : ws.focused;
  switch (m.type) {
    case 'welcome': {
      const before = acc.ws;
      const keys = new Set(m.rooms.map((r) => foldName(r.room)));
      // Rooms we were in and are not back in (a reconnect to a server that would not have us there): kept, as parted.
      for (const w of before.list)
        if (w.kind === 'room' && w.joined && !keys.has(w.key)) update(acc, w.id, (x) => ({ ...x, joined: false, members: [] }));
      const ids = m.rooms.map((r) => roomState(acc, r));
      // "Connected …" belongs to the server window; after a reconnect the focused window says so too.
      for (const id of new Set([SERVER_ID, before.focused])) deliver(acc, id, lines);
      acc.ws = { ...acc.ws, joining: [], welcomed: true };
      // The first login shows the first room (the one asked for first), as irssi shows a channel on connect.
      if (!before.welcomed && before.focused === SERVER_ID && ids.length > 0) acc.ws = focus(acc.ws, ids[0]!);
      break;
    }
    case 'room': {
      // The answer to a /join we asked for, or to a /look: of a room we are in (news of its members), or of another (just an answer).
      const key = foldName(m.room);
      const asked = acc.ws.joining.includes(key);
      const w = find(acc.ws, 'room', m.room);
      if (!asked && !w?.joined) {
        deliver(acc, origin, lines);
        break;
      }
      const id = roomState(acc, m);
      deliver(acc, id, lines);
      if (asked) acc.ws = { ...focus(acc.ws, id), joining: acc.ws.joining.filter((k) => k !== key) };
      break;
    }
    case 'message': {
      const id = openIn(acc, 'room', m.room);
      const w = byId(acc.ws, id)!;
      if (m.id <= w.lastId) break;
      if (w.held !== undefined) {
        if (w.held.length < HELD_LIMIT) update(acc, id, (x) => ({ ...x, held: [...x.held!, { id: m.id, lines }] }));
        break;
      }
      update(acc, id, (x) => ({ ...x, lastId: m.id, sinceId: Math.max(x.sinceId, m.id) }));
      deliver(acc, id, lines);
      break;
    }
    case 'private': {
      const id = openIn(acc, 'private', same(m.from, me) ? m.to : m.from);
      const w = byId(acc.ws, id)!;
      if (m.id <= w.lastId) break;
      update(acc, id, (x) => ({ ...x, lastId: m.id, sinceId: Math.max(x.sinceId, m.id) }));
      deliver(acc, id, lines);
      break;
    }
    case 'joined': {
      const w = find(acc.ws, 'room', m.room);
      if (!w) {
        deliver(acc, SERVER_ID, lines);
        break;
      }
      update(acc, w.id, (x) => ({ ...x, members: [...without(x.members, m.name), m.name] }));
      deliver(acc, w.id, lines);
      break;
    }
    case 'left': {
      const w = find(acc.ws, 'room', m.room);
      if (!w) {
        deliver(acc, SERVER_ID, lines);
        break;
      }
      const mine = same(m.name, me);
      update(acc, w.id, (x) => (mine ? { ...x, joined: false, members: [] } : { ...x, members: without(x.members, m.name) }));
      acc.ws = { ...acc.ws, joining: acc.ws.joining.filter((k) => k !== w.key) };
      deliver(acc, w.id, lines);
      break;
    }
    case 'renamed': {
      const mine = same(m.from, me);
      const targets: number[] = [];
      for (const w of acc.ws.list) {
        if (w.kind !== 'room' || !w.joined || !(mine || w.members.some((n) => same(n, m.from)))) continue;
        update(acc, w.id, (x) => ({ ...x, members: x.members.map((n) => (same(n, m.from) ? m.to : n)) }));
        targets.push(w.id);
      }
      const priv = find(acc.ws, 'private', m.from);
      if (priv) {
        const taken = find(acc.ws, 'private', m.to);
        // A window already open for the new name keeps it; the old one stays as it was, with the old name.
        if (!taken || taken.id === priv.id) update(acc, priv.id, (x) => ({ ...x, key: foldName(m.to), name: m.to }));
        targets.push(priv.id);
        if (taken && taken.id !== priv.id) targets.push(taken.id);
      }
      if (targets.length === 0) deliver(acc, SERVER_ID, lines);
      for (const id of targets) deliver(acc, id, lines);
      break;
    }
    case 'topic': {
      const w = find(acc.ws, 'room', m.room);
      if (!w) {
        deliver(acc, origin, lines);
        break;
      }
      update(acc, w.id, (x) => ({ ...x, topic: m.text }));
      deliver(acc, w.id, lines);
      break;
    }
    case 'history': {
      const name = m.room ?? m.with;
      if (name === undefined) {
        deliver(acc, origin, lines);
        break;
      }
      const id = openIn(acc, m.room !== undefined ? 'room' : 'private', name);
      history(acc, id, m, lines, event.page);
      break;
    }
    case 'results': {
      // One search window, reused by every /search; it opens without taking the focus from where the user typed.
      const id = openIn(acc, 'search', 'search');
      const fresh = byId(ws, id) === undefined;
      deliver(acc, id, lines, { mark: true, bell: false });
      if (fresh || acc.ws.focused !== id) acc.ws = focus(acc.ws, id);
      break;
    }
    case 'notice':
    case 'bye':
      deliver(acc, SERVER_ID, lines);
      break;
    default:
      deliver(acc, origin, lines);
  }
  return { windows: acc.ws, shown: acc.shown, bell: acc.bell };
}
