import { describe, expect, it } from 'vitest';
import { nameColour } from '../../src/client/format.js';
import { createOutgoing, enqueue } from '../../src/client/outgoing.js';
import type { Row } from '../../src/client/scrollback.js';
import { initialState, type ChatState } from '../../src/client/state.js';
import { areas, compose, fit, statusText } from '../../src/client/tui/layout.js';
import { strWidth } from '../../src/client/width.js';
import { initialWindows, type Window } from '../../src/client/windows.js';

const text = (row: Row): string => row.map((s) => s.text).join('');
const state = (s: Partial<ChatState>): ChatState => ({ ...initialState('host:5005', 'alice'), status: 'online', clients: 3, ...s });
/** The focused window: #main, with alice and bob. */
const main: Window = {
  ...initialWindows().list[0]!,
  id: 2,
  kind: 'room',
  key: '#main',
  name: '#main',
  members: ['alice', 'bob'],
  joined: true,
};

describe('screen layout', () => {
  it.each<[string, Row, number, string]>([
    ['pads a short row', [{ text: 'ab', style: {} }], 5, 'ab   '],
    ['cuts a long row', [{ text: 'abcdef', style: {} }], 4, 'abcd'],
    ['cuts before a wide character that would straddle the edge, and pads', [{ text: 'a你好', style: {} }], 4, 'a你 '],
    [
      'cuts across segments',
      [
        { text: 'ab', style: {} },
        { text: 'cd', style: { bold: true } },
      ],
      3,
      'abc',
    ],
  ])('fit %s', (_what, row, width, expected) => {
    const out = fit(row, width);
    expect(text(out)).toBe(expected);
    expect(strWidth(text(out))).toBe(width);
  });

  it.each<[string, { cols: number; rows: number }, string[] | undefined, { paneWidth: number; paneHeight: number; usersWidth: number }]>([
    ['no user list', { cols: 80, rows: 24 }, undefined, { paneWidth: 80, paneHeight: 22, usersWidth: 0 }],
    [
      'a user list as wide as the longest name',
      { cols: 100, rows: 30 },
      ['alice', 'bartholomew_the_3rd'],
      { paneWidth: 79, paneHeight: 28, usersWidth: 21 },
    ],
    ['a user list at most 24 wide', { cols: 200, rows: 30 }, ['x'.repeat(32)], { paneWidth: 176, paneHeight: 28, usersWidth: 24 }],
    ['no user list when the pane would get too narrow', { cols: 45, rows: 10 }, ['alice'], { paneWidth: 45, paneHeight: 8, usersWidth: 0 }],
  ])('areas: %s', (_what, size, users, expected) => {
    expect(areas(size, users, '#main')).toEqual(expected);
  });

  it.each<[string, Partial<ChatState>, { scrolledUp: boolean; newBelow: number }, string]>([
    ['online', {}, { scrolledUp: false, newBelow: 0 }, ' alice │ #main (2) │ 3 online │ connected │ host:5005'],
    [
      'logged in to an account',
      { account: 'Alice' },
      { scrolledUp: false, newBelow: 0 },
      ' alice (account) │ #main (2) │ 3 online │ connected │ host:5005',
    ],
    [
      'logged in to an operator account: its user mode beside the name',
      { account: 'Alice', operator: true },
      { scrolledUp: false, newBelow: 0 },
      ' alice(+o) (account) │ #main (2) │ 3 online │ connected │ host:5005',
    ],
    [
      'logged in to an account under another name',
      { account: 'bob' },
      { scrolledUp: false, newBelow: 0 },
      ' alice (account bob) │ #main (2) │ 3 online │ connected │ host:5005',
    ],
    [
      'reconnecting, with pending lines',
      {
        status: 'reconnecting',
        statusDetail: 'retry 2 in 1 s',
        outgoing: enqueue(createOutgoing(), { kind: 'say', text: 'x' }, 0).outgoing,
      },
      { scrolledUp: false, newBelow: 0 },
      ' DISCONNECTED, reconnecting (retry 2 in 1 s) │ alice │ #main │ 1 pending │ host:5005',
    ],
    [
      'given up',
      { status: 'offline', statusDetail: 'gave up' },
      { scrolledUp: false, newBelow: 0 },
      ' OFFLINE (gave up) │ alice │ #main │ host:5005',
    ],
    ['scrolled up', {}, { scrolledUp: true, newBelow: 0 }, ' ▲ scrolled up (PgDn) │ alice │ #main (2) │ 3 online │ connected │ host:5005'],
    [
      'new lines below',
      {},
      { scrolledUp: true, newBelow: 4 },
      ' ▼ 4 new below (PgDn) │ alice │ #main (2) │ 3 online │ connected │ host:5005',
    ],
  ])('status bar: %s', (_what, s, scroll, expected) => {
    expect(statusText(state(s), main, scroll)).toBe(expected);
  });

  it.each<[number, string]>([
    [0, ' DISCONNECTED, reconnecting (retry 3 in 4 s, name still in use) │ alice │ #main │ host:5005'],
    [1_600, ' DISCONNECTED, reconnecting (retry 3 in 2 s, name still in use) │ alice │ #main │ host:5005'],
    [3_900, ' DISCONNECTED, reconnecting (retry 3 in 1 s, name still in use) │ alice │ #main │ host:5005'],
  ])('status bar counts down to the next attempt: %i ms in', (elapsed, expected) => {
    const s = state({ status: 'reconnecting', statusDetail: 'name still in use', retry: { attempt: 3, at: 10_000 + 3_500 } });
    expect(statusText(s, main, { scrolledUp: false, newBelow: 0 }, 10_000 + elapsed)).toBe(expected);
  });

  it('sorts the user list as a person counts and marks a cut name with …', () => {
    const frame = compose({
      size: { cols: 100, rows: 10 },
      pane: [],
      users: ['user10', 'x'.repeat(32), 'user2', 'Bob', 'alice', '小明小明小明小明小明小明'],
      room: '#main',
      status: '',
      prompt: '> ',
      input: { text: '', cursor: 0 },
    });
    expect(frame.rows.slice(0, 7).map((r) => text(r).slice(77))).toEqual([
      ' #main (6)             ',
      ' alice                 ',
      ' Bob                   ',
      ' user2                 ',
      ' user10                ',
      ` ${'x'.repeat(21)}…`,
      ' 小明小明小明小明小明… ',
    ]);
  });

  it('dims the user list and drops its count while the names are not kept up to date', () => {
    const input = {
      size: { cols: 60, rows: 5 },
      pane: [],
      users: ['bob', 'alice'],
      room: '#main',
      status: '',
      prompt: '> ',
      input: { text: '', cursor: 0 },
    };
    const live = compose(input);
    const stale = compose({ ...input, usersStale: true });
    expect(stale.rows.slice(0, 3).map(text)).toEqual([
      `${' '.repeat(49)}│ #main    `,
      `${' '.repeat(49)}│ alice    `,
      `${' '.repeat(49)}│ bob      `,
    ]);
    expect(live.rows[0]!.map((seg) => seg.text).join('')).toContain('│ #main (2)');
    const nameStyle = (f: typeof live) => f.rows[1]!.find((seg) => seg.text.startsWith('alice'))!.style;
    expect(nameStyle(live)).toEqual({ fg: nameColour('alice') });
    expect(nameStyle(stale)).toEqual({ dim: true });
  });

  it('composes pane, user list, status bar and input line to exactly the terminal size', () => {
    const frame = compose({
      size: { cols: 60, rows: 6 },
      pane: [[], [], [], [{ text: '12:00 bob: hi', style: {} }]],
      users: ['bob', 'alice'],
      room: '#main',
      status: ' status',
      prompt: '#main> ',
      input: { text: '你好', cursor: 4 }, // the cursor's column: after two wide characters
    });
    expect(frame.rows.map(text)).toEqual([
      `${' '.repeat(49)}│ #main (2)`,
      `${' '.repeat(49)}│ alice    `,
      `${' '.repeat(49)}│ bob      `,
      `12:00 bob: hi${' '.repeat(36)}│          `,
      ` status${' '.repeat(53)}`,
      `#main> 你好${' '.repeat(49)}`,
    ]);
    expect(frame.rows.every((r) => strWidth(text(r)) === 60)).toBe(true);
    expect(frame.cursor).toEqual({ x: 7 + 4, y: 5 });
  });
});
