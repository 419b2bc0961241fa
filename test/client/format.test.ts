import { describe, expect, it } from 'vitest';
import { clockTime, compareNames, mentions, nameColour, NAME_COLOURS, plainLine, styleLine } from '../../src/client/format.js';
import type { ChatLine, LineKind } from '../../src/client/line.js';

const ts = new Date(2024, 0, 2, 9, 5).getTime();
/** The fields a case changes; the result is a message from alice unless the case says otherwise. */
type Fields = { kind?: LineKind; text?: string; from?: string; to?: string; own?: boolean; mention?: boolean; pending?: boolean };
const line = (l: Fields): ChatLine => ({ kind: 'message', ts, text: 'hello', from: 'alice', ...l }) as ChatLine;
const text = (l: ChatLine): string =>
  styleLine(l)
    .segments.map((s) => s.text)
    .join('');

describe('format', () => {
  it('gives a name the same colour every time, whatever its case', () => {
    expect(nameColour('alice')).toBe(nameColour('alice'));
    expect(nameColour('Alice')).toBe(nameColour('alice'));
    expect(NAME_COLOURS).toContain(nameColour('小明'));
  });

  it('spreads names over the palette', () => {
    const names = Array.from({ length: 60 }, (_, i) => `user${i}`);
    expect(new Set(names.map(nameColour)).size).toBeGreaterThan(NAME_COLOURS.length / 2);
  });

  it.each([
    ['the name alone', 'bob', 'bob', true],
    ['the name with a colon', 'bob: hi', 'bob', true],
    ['a different case', 'hey BOB!', 'bob', true],
    ['the name inside another word', 'bobby is here', 'bob', false],
    ['the name after a letter', 'kabob', 'bob', false],
    ['a Chinese name', '你好 小明', '小明', true],
    ['no name at all', 'hello', 'bob', false],
    ['the name before a full stop', 'thanks bob.', 'bob', true],
    ['the name before an ellipsis', 'ok bob...', 'bob', true],
    ['the name before a dash', 'bob- wait', 'bob', true],
    ['the name before a full stop and more words', 'ask bob. he knows', 'bob', true],
    ['a longer name with a dot in it', 'bob.smith is here', 'bob', false],
    ['a longer name with a dash in it', 'bob-2 is here', 'bob', false],
  ])('finds a mention: %s', (_what, text, name, expected) => {
    expect(mentions(text, name)).toBe(expected);
  });

  it('orders names case-insensitively and by number, as a person counts', () => {
    expect(['user10', 'Bob', 'user2', 'alice', 'BOB', '小明', 'Zed'].sort(compareNames)).toEqual([
      'alice',
      'BOB',
      'Bob',
      'user2',
      'user10',
      'Zed',
      '小明',
    ]);
  });

  it('writes times as HH:MM in local time', () => {
    expect(clockTime(ts)).toBe('09:05');
  });

  it.each<[string, Fields, string, string]>([
    ['a message', {}, '09:05 alice: hello', 'alice: hello'],
    ['an action', { kind: 'action', text: 'waves' }, '09:05 * alice waves', '* alice waves'],
    ['a private message to us', { kind: 'private', to: 'bob' }, '09:05 *alice* hello', '*alice* hello'],
    ['a private message from us', { kind: 'private', to: 'bob', own: true }, '09:05 -> *bob* hello', '-> *bob* hello'],
    [
      'a system line',
      { kind: 'system', from: undefined, text: 'bob has joined #main' },
      '09:05 -- bob has joined #main',
      '-- bob has joined #main',
    ],
    ['an error', { kind: 'error', from: undefined, text: 'Unknown command: /x' }, '09:05 !! Unknown command: /x', '!! Unknown command: /x'],
    ['a pending line', { own: true, pending: true }, '09:05 alice: hello (pending)', 'alice: hello (pending)'],
    ['text with control characters', { text: 'a\x1b[31mb' }, '09:05 alice: a[31mb', 'alice: a[31mb'],
  ])('shows %s', (_what, l, styled, plain) => {
    expect(text(line(l))).toBe(styled);
    expect(plainLine(line(l))).toBe(plain);
  });

  it('indents continuation rows to where the text starts', () => {
    expect(styleLine(line({})).indent).toBe('09:05 alice: '.length);
    expect(styleLine(line({ from: '小明' })).indent).toBe('09:05 '.length + 4 + 2);
  });

  it('sets levels apart: mentions loud, own names bold, system lines dimmed', () => {
    const body = (l: ChatLine) => styleLine(l).segments.at(-1)!.style;
    expect(body(line({ mention: true }))).toMatchObject({ bold: true });
    expect(body(line({ kind: 'system' }))).toMatchObject({ dim: true });
    expect(body(line({}))).toEqual({});
    expect(styleLine(line({ own: true })).segments[1]!.style).toMatchObject({ bold: true, fg: nameColour('alice') });
    expect(styleLine(line({})).segments[1]!.style).toEqual({ fg: nameColour('alice') });
  });
});
