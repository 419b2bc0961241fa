import { describe, expect, it } from 'vitest';
import { LineEditor } from '../../src/client/editor.js';

/** An editor holding `text` with the cursor at the `|` (or at the end). */
function editor(text: string): LineEditor {
  const e = new LineEditor();
  const at = text.indexOf('|');
  e.set(text.replace('|', ''), at < 0 ? Infinity : [...text.slice(0, at)].length);
  return e;
}
/** The editor's text with a `|` at the cursor. */
function show(e: LineEditor): string {
  const chars = [...e.text];
  chars.splice(e.cursor, 0, '|');
  return chars.join('');
}

describe('LineEditor', () => {
  it.each<[string, string, (e: LineEditor) => void, string]>([
    ['typing inserts at the cursor', 'ab|cd', (e) => e.insert('XY'), 'abXY|cd'],
    ['left moves back one character', 'ab|', (e) => e.left(), 'a|b'],
    ['left stops at the start', '|ab', (e) => e.left(), '|ab'],
    ['right stops at the end', 'ab|', (e) => e.right(), 'ab|'],
    ['Home (Ctrl-A) goes to the start', 'ab|c', (e) => e.home(), '|abc'],
    ['End (Ctrl-E) goes to the end', 'a|bc', (e) => e.end(), 'abc|'],
    ['backspace deletes before the cursor', 'ab|c', (e) => e.backspace(), 'a|c'],
    ['backspace at the start does nothing', '|abc', (e) => e.backspace(), '|abc'],
    ['delete removes under the cursor', 'a|bc', (e) => e.deleteForward(), 'a|c'],
    ['Ctrl-U kills to the start', 'hello wor|ld', (e) => e.killToStart(), '|ld'],
    ['Ctrl-K kills to the end', 'hello wor|ld', (e) => e.killToEnd(), 'hello wor|'],
    ['Ctrl-W kills the word before the cursor', 'say hello |', (e) => e.killWordBack(), 'say |'],
    ['Ctrl-W inside a word kills its first part', 'say hel|lo', (e) => e.killWordBack(), 'say |lo'],
    ['Ctrl-W at the start does nothing', '|hi', (e) => e.killWordBack(), '|hi'],
    ['word left skips back over a word', 'one two thr|ee', (e) => e.wordLeft(), 'one two |three'],
    ['word right skips over the next word', 'one| two three', (e) => e.wordRight(), 'one two| three'],
    ['a CJK character is one step for the cursor', '你好|', (e) => e.left(), '你|好'],
    ['an emoji is one step, never half a surrogate pair', 'a😀|', (e) => e.left(), 'a|😀'],
    ['backspace removes a whole emoji', 'a😀|', (e) => e.backspace(), 'a|'],
  ])('%s', (_what, start, act, expected) => {
    const e = editor(start);
    act(e);
    expect(show(e)).toBe(expected);
  });

  it('yanks back what Ctrl-K or Ctrl-U killed', () => {
    const e = editor('hello |world');
    e.killToEnd();
    e.home();
    e.yank();
    expect(show(e)).toBe('world|hello ');
  });

  it('clears the line on submit and returns it', () => {
    const e = editor('hi there');
    expect(e.submit()).toBe('hi there');
    expect(show(e)).toBe('|');
  });

  it('walks the history with Up and Down and brings back the draft', () => {
    const e = new LineEditor();
    for (const line of ['first', 'second']) {
      e.insert(line);
      e.submit();
    }
    e.insert('draft');
    e.historyUp();
    expect(e.text).toBe('second');
    e.historyUp();
    expect(e.text).toBe('first');
    e.historyUp();
    expect(e.text).toBe('first');
    e.historyDown();
    expect(e.text).toBe('second');
    e.historyDown();
    expect(show(e)).toBe('draft|');
    e.historyDown();
    expect(e.text).toBe('draft');
  });

  it('leaves out of the history a line that `keep` refuses', () => {
    const e = new LineEditor();
    for (const line of ['first', '/register s3cret']) {
      e.insert(line);
      expect(e.submit((l) => !l.startsWith('/register'))).toBe(line);
    }
    e.historyUp();
    expect(e.text).toBe('first');
    e.historyUp();
    expect(e.text).toBe('first');
  });

  it('does not remember blank lines or the same line twice in a row', () => {
    const e = new LineEditor();
    for (const line of ['a', 'a', '  ', 'b']) {
      e.insert(line);
      e.submit();
    }
    e.historyUp();
    expect(e.text).toBe('b');
    e.historyUp();
    expect(e.text).toBe('a');
    e.historyUp();
    expect(e.text).toBe('a');
  });

  it.each<[string, string, number, string, number]>([
    ['short text shows whole, cursor at its width', 'abc|', 10, 'abc', 3],
    ['CJK puts the cursor two cells per character', '你好|', 10, '你好', 4],
    ['emoji put the cursor two cells per emoji', '😀😀|x', 10, '😀😀x', 4],
    ['long text scrolls so the cursor stays visible', 'abcdefghij|', 5, 'ghij', 4],
    ['the cursor at the start shows the beginning', '|abcdefghij', 5, 'abcde', 0],
    ['wide characters scroll by whole characters', '你好世界|', 5, '世界', 4],
  ])('views %s', (_what, start, width, text, cursor) => {
    expect(editor(start).view(width)).toEqual({ text, cursor });
  });
});
