/**
 * @module
 * The whole screen as rows of styled segments, composed from what the TUI knows: the pane's rows,
 * the optional user list on the right, the status bar and the input line. Pure, so the layout at
 * any size is a table test; tui/screen.ts only paints the result.
 *
 *     ┌──────────────────────────────┬──────────┐
 *     │ pane (rows - 2)              │ users    │  (the user list is optional)
 *     ├──────────────────────────────┴──────────┤
 *     │ status bar                              │
 *     │ input line                              │
 *     └─────────────────────────────────────────┘
 */
import { foldName } from '../../protocol/internal.js';
import { compareNames, nameColour, type Segment, type Style } from '../format.js';
import type { Row } from '../scrollback.js';
import type { ChatState } from '../state.js';
import type { Window } from '../windows.js';
import { splitAtWidth, strWidth } from '../width.js';

export interface Size {
  cols: number;
  rows: number;
}

export interface Areas {
  paneWidth: number;
  paneHeight: number;
  /** 0 when the user list is hidden; else its width including the border column. */
  usersWidth: number;
}

export interface Frame {
  /** Exactly `size.rows` rows, each at most `size.cols` cells wide. */
  rows: Row[];
  cursor: { x: number; y: number };
}

/** Below this pane width the user list is not drawn, even when switched on. */
export const MIN_PANE_WITH_USERS = 40;
export const STATUS_STYLE: Style = { inverse: true };
const BORDER_STYLE: Style = { dim: true };

export function areas(size: Size, users: readonly string[] | undefined, room = ''): Areas {
  const paneHeight = Math.max(0, size.rows - 2);
  if (!users) return { paneWidth: size.cols, paneHeight, usersWidth: 0 };
  const widest = Math.max(8, strWidth(userListTitle(room, users)) - 1, ...users.map(strWidth));
  const usersWidth = Math.min(widest + 2, 24, Math.floor(size.cols / 3));
  // The list gives way on narrow terminals: the conversation needs the room more.
  return size.cols - usersWidth < MIN_PANE_WITH_USERS
    ? { paneWidth: size.cols, paneHeight, usersWidth: 0 }
    : { paneWidth: size.cols - usersWidth, paneHeight, usersWidth };
}

/** Cut or pad a row to exactly `width` cells. */
export function fit(row: Row, width: number, padStyle: Style = {}): Row {
  const out: Segment[] = [];
  let used = 0;
  for (const seg of row) {
    if (used >= width) break;
    const [head] = splitAtWidth(seg.text, width - used);
    if (head !== '') out.push({ text: head, style: seg.style });
    used += strWidth(head);
    if (head.length < seg.text.length) break;
  }
  if (used < width) out.push({ text: ' '.repeat(width - used), style: padStyle });
  return out;
}

/**
 * The status bar, most important first (a narrow terminal cuts the end): the scroll marker, the
 * connection when it is not fine, who and where we are, pending sends, the server. The counts of
 * people are left out while we are not connected: nothing keeps them up to date then.
 */
/** `now` counts down to the next reconnect attempt ("retry 2 in 3 s"). */
export function statusText(state: ChatState, window: Window, scroll: { scrolledUp: boolean; newBelow: number }, now = Date.now()): string {
  const parts: string[] = [];
  if (scroll.newBelow > 0) parts.push(`▼ ${scroll.newBelow} new below (PgDn)`);
  else if (scroll.scrolledUp) parts.push('▲ scrolled up (PgDn)');
  const details: string[] = [];
  if (state.status === 'reconnecting' && state.retry)
    details.push(`retry ${state.retry.attempt} in ${Math.max(1, Math.ceil((state.retry.at - now) / 1000))} s`);
  if (state.statusDetail) details.push(state.statusDetail);
  const detail = details.length > 0 ? ` (${details.join(', ')})` : '';
  if (state.status === 'reconnecting') parts.push(`DISCONNECTED, reconnecting${detail}`);
  else if (state.status === 'offline') parts.push(`OFFLINE${detail}`);
  else if (state.status === 'connecting') parts.push('connecting…');
  // The focused window: a room we are in with its count of members, else its name.
  const where =
    window.kind === 'room' && window.joined && state.status === 'online' ? `${window.name} (${window.members.length})` : window.name;
  // Logged in to an account: said beside the name, which is then ours alone. An operator's name
  // carries irssi's user mode, `alice(+o)`.
  const name = state.operator ? `${state.me}(+o)` : state.me;
  const me =
    state.account === undefined
      ? name
      : foldName(state.account) === foldName(state.me)
        ? `${name} (account)`
        : `${name} (account ${state.account})`;
  if (state.status === 'online') parts.push(me, where, `${state.clients} online`, 'connected');
  else parts.push(me, where);
  if (state.outgoing.lines.length > 0) parts.push(`${state.outgoing.lines.length} pending`);
  parts.push(state.address);
  return ` ${parts.join(' │ ')}`;
}

export interface FrameInput {
  size: Size;
  pane: Row[];
  /** The user list to show at the side, or undefined to hide it. */
  users: readonly string[] | undefined;
  /** The list is as last known, not kept up to date (we are not connected): names dimmed, no count. */
  usersStale?: boolean;
  room: string;
  status: string;
  prompt: string;
  /** The visible input text and the cursor's column in it (in terminal cells, not characters). */
  input: { text: string; cursor: number };
}

export function compose(f: FrameInput): Frame {
  const { cols, rows } = f.size;
  const a = areas(f.size, f.users, f.room);
  const out: Row[] = [];
  const userRows = f.users ? userList(f.users, f.room, a.usersWidth - 1, a.paneHeight, f.usersStale ?? false) : [];
  for (let y = 0; y < a.paneHeight; y++) {
    const pane = fit(f.pane[y] ?? [], a.paneWidth);
    out.push(a.usersWidth > 0 ? [...pane, { text: '│', style: BORDER_STYLE }, ...fit(userRows[y] ?? [], a.usersWidth - 1)] : pane);
  }
  if (rows >= 2) out.push(fit([{ text: f.status, style: STATUS_STYLE }], cols, STATUS_STYLE));
  const promptWidth = strWidth(f.prompt);
  out.push(
    fit(
      [
        { text: f.prompt, style: { bold: true } },
        { text: f.input.text, style: {} },
      ],
      cols,
    ),
  );
  return { rows: out.slice(-rows), cursor: { x: Math.min(cols - 1, promptWidth + f.input.cursor), y: rows - 1 } };
}

function userListTitle(room: string, users: readonly string[]): string {
  return ` ${room} (${users.length})`;
}

/** `text` cut to `width` cells, ending in "…" when it had to be cut. */
function ellipsis(text: string, width: number): string {
  if (strWidth(text) <= width) return text;
  return `${splitAtWidth(text, Math.max(0, width - 1))[0]}…`;
}

function userList(users: readonly string[], room: string, width: number, height: number, stale: boolean): Row[] {
  const sorted = [...users].sort(compareNames);
  // Its width stays that of the live list (areas() measures the title with the count), so the pane does not rewrap on a drop.
  const rows: Row[] = [[{ text: stale ? ` ${room}` : userListTitle(room, users), style: { bold: true } }]];
  const style = (name: string): Style => (stale ? { dim: true } : { fg: nameColour(name) });
  for (const name of sorted)
    rows.push([
      { text: ' ', style: {} },
      { text: ellipsis(name, width - 1), style: style(name) },
    ]);
  if (rows.length > height && height > 0) {
    const shown = rows.slice(0, height - 1);
    shown.push([{ text: ` +${rows.length - height + 1} more`, style: { dim: true } }]);
    return shown.map((r) => fit(r, width));
  }
  return rows;
}
