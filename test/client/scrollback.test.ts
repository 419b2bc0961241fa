import { describe, expect, it } from 'vitest';
import type { StyledLine } from '../../src/client/format.js';
import { Scrollback, wrap, type Row } from '../../src/client/scrollback.js';

const plain = (text: string, indent = 0): StyledLine => ({ segments: [{ text, style: {} }], indent });
const rowText = (row: Row): string => row.map((s) => s.text).join('');

describe('wrap', () => {
  it('continues a link at column 0, not under the indent, and indents text after it again', () => {
    const rows = wrap(plain('bob: https://example.org/abcdefghij more words here', 5), 20).map(rowText);
    expect(rows).toEqual(['bob: https://example', '.org/abcdefghij more', '     words here']);
  });

  it.each<[string, StyledLine, number, string[]]>([
    ['a short line stays one row', plain('hello'), 10, ['hello']],
    ['a long line breaks after a space', plain('the quick brown fox'), 10, ['the quick ', 'brown fox']],
    ['a word longer than the row is cut', plain('abcdefghijkl'), 5, ['abcde', 'fghij', 'kl']],
    ['continuation rows are indented under the text', plain('ab: one two three', 4), 10, ['ab: one ', '    two ', '    three']],
    ['wide characters never straddle the edge', plain('你好世界你好'), 5, ['你好', '世界', '你好']],
    ['emoji take two cells', plain('😀😀😀'), 4, ['😀😀', '😀']],
    ['an empty line is one empty row', plain(''), 10, ['']],
    [
      'an indent wider than half the row falls back to the time stamp',
      plain(`12:00 ${'n'.repeat(32)}: one two three four`, 40),
      30,
      [`12:00 ${'n'.repeat(24)}`, `      ${'n'.repeat(8)}: one two three `, '      four'],
    ],
    ['a row too narrow even for that indent starts at 0', plain('abcdefgh ij', 7), 8, ['abcdefgh', 'ij']],
  ])('%s', (_what, line, width, rows) => {
    expect(wrap(line, width).map(rowText)).toEqual(rows);
  });

  it('keeps each segment its style across the break', () => {
    const bold = { bold: true };
    const rows = wrap(
      {
        segments: [
          { text: 'ab', style: bold },
          { text: 'cdef', style: {} },
        ],
        indent: 0,
      },
      3,
    );
    expect(rows[0]).toEqual([
      { text: 'ab', style: bold },
      { text: 'c', style: {} },
    ]);
    expect(rows[1]).toEqual([{ text: 'def', style: {} }]);
  });
});

describe('Scrollback', () => {
  const filled = (n: number, capacity = 100): Scrollback => {
    const sb = new Scrollback(capacity);
    for (let i = 1; i <= n; i++) sb.push(plain(`line ${i}`));
    return sb;
  };
  const shown = (sb: Scrollback, width: number, height: number) => sb.view(width, height).rows.map(rowText);

  it('shows the newest rows at the bottom, padded with empty rows on top', () => {
    expect(shown(filled(2), 20, 4)).toEqual(['', '', 'line 1', 'line 2']);
    expect(shown(filled(5), 20, 3)).toEqual(['line 3', 'line 4', 'line 5']);
  });

  it('keeps at most its capacity, dropping the oldest', () => {
    const sb = filled(10, 4);
    expect(sb.size).toBe(4);
    expect(shown(sb, 20, 5)).toEqual(['', 'line 7', 'line 8', 'line 9', 'line 10']);
  });

  it('scrolls back and forth within what there is', () => {
    const sb = filled(10);
    sb.scroll(3, 20, 3);
    expect(shown(sb, 20, 3)).toEqual(['line 5', 'line 6', 'line 7']);
    expect(sb.view(20, 3).scrolledUp).toBe(true);
    sb.scroll(100, 20, 3);
    expect(shown(sb, 20, 3)).toEqual(['line 1', 'line 2', 'line 3']);
    sb.scroll(-100, 20, 3);
    expect(shown(sb, 20, 3)).toEqual(['line 8', 'line 9', 'line 10']);
    expect(sb.view(20, 3).scrolledUp).toBe(false);
  });

  it('holds still while scrolled up and counts what arrives below', () => {
    const sb = filled(10);
    sb.scroll(2, 20, 3);
    sb.push(plain('line 11'));
    sb.push(plain('line 12'));
    const view = sb.view(20, 3);
    expect(view.rows.map(rowText)).toEqual(['line 6', 'line 7', 'line 8']);
    expect(view.newBelow).toBe(2);
    sb.scrollToBottom();
    expect(sb.view(20, 3)).toMatchObject({ scrolledUp: false, newBelow: 0 });
    expect(shown(sb, 20, 3)).toEqual(['line 10', 'line 11', 'line 12']);
  });

  it('rewraps every line when the width changes', () => {
    const sb = new Scrollback();
    sb.push(plain('aaaa bbbb cccc'));
    expect(shown(sb, 20, 3)).toEqual(['', '', 'aaaa bbbb cccc']);
    expect(shown(sb, 5, 3)).toEqual(['aaaa ', 'bbbb ', 'cccc']);
  });

  it('keeps the same line at the bottom of a scrolled-up view across a resize', () => {
    const sb = new Scrollback();
    for (let i = 1; i <= 10; i++) sb.push(plain(`line ${i} xxxxx`));
    sb.scroll(4, 20, 2); // bottom row is now line 6
    expect(shown(sb, 20, 2).at(-1)).toBe('line 6 xxxxx');
    expect(shown(sb, 7, 2).at(-1)).toBe('xxxxx');
    expect(shown(sb, 7, 2)[0]).toBe('line 6 ');
  });

  it('empties on clear', () => {
    const sb = filled(3);
    sb.clear();
    expect(shown(sb, 10, 2)).toEqual(['', '']);
  });
});
