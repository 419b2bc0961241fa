import { describe, expect, it } from 'vitest';
import { charWidth, cleanInput, sanitize, splitAtWidth, strWidth } from '../../src/client/width.js';

describe('display width', () => {
  it.each([
    ['plain ASCII', 'hello', 5],
    ['Chinese', '你好世界', 8],
    ['Japanese kana and kanji', 'こんにちは世界', 14],
    ['a Chinese name and a colon', '小明: ', 6],
    ['an emoji', '😀', 2],
    ['emoji between words', 'hi 🎉 ok', 8],
    ['a combining accent adds nothing', 'e\u0301', 1],
    ['a zero-width joiner adds nothing', 'a\u200db', 2],
    ['a variation selector adds nothing', 'x\ufe0f', 1],
    ['fullwidth letters', 'ＡＢ', 4],
    ['the empty string', '', 0],
  ])('measures %s', (_what, text, width) => {
    expect(strWidth(text)).toBe(width);
  });

  it('counts control characters as nothing', () => {
    expect(charWidth(0x07)).toBe(0);
    expect(charWidth(0x9b)).toBe(0);
  });

  it.each([
    ['ASCII at the edge', 'abcdef', 3, ['abc', 'def']],
    ['a wide character that would straddle the edge goes to the rest', 'ab你好', 3, ['ab', '你好']],
    ['wide characters that fit exactly', '你好世界', 4, ['你好', '世界']],
    ['a combining mark stays with its letter', 'e\u0301x', 1, ['e\u0301', 'x']],
    ['everything fits', 'ok', 10, ['ok', '']],
  ])('splits %s', (_what, text, width, parts) => {
    expect(splitAtWidth(text, width)).toEqual(parts);
  });

  it('turns tabs into spaces and drops escape sequences so text cannot move the cursor', () => {
    expect(sanitize('a\tb\x1b[2Jc\x07')).toBe('a b[2Jc');
  });

  it.each<[string, string, string]>([
    ['colours', '\x1b[1;31mred\x1b[0m text', 'red text'],
    ['a window title (OSC, BEL)', '\x1b]0;title\x07after', 'after'],
    ['an OSC 8 link (ST)', '\x1b]8;;https://x.test\x1b\\link\x1b]8;;\x1b\\', 'link'],
    ['a charset switch', '\x1b(Bplain', 'plain'],
    ['a C1 CSI', '\u009b2Jclear', 'clear'],
    ['tabs and other controls', 'a\tb\x07c', 'a bc'],
  ])('cleans input: removes %s whole', (_what, input, output) => {
    expect(cleanInput(input)).toBe(output);
  });
});
