import { describe, expect, it } from 'vitest';
import { InputParser, type InputEvent } from '../../src/client/tui/input.js';

const key = (name: string, mods: { ctrl?: boolean; meta?: boolean; shift?: boolean } = {}): InputEvent =>
  ({ type: 'key', name, ctrl: mods.ctrl ?? false, meta: mods.meta ?? false, shift: mods.shift ?? false }) as InputEvent;

describe('terminal input', () => {
  it.each<[string, string, InputEvent[]]>([
    ['typed text', 'hello', [{ type: 'text', text: 'hello' }]],
    ['CJK and emoji as whole characters', '你好😀', [{ type: 'text', text: '你好😀' }]],
    ['Enter', '\r', [key('enter')]],
    ['Tab', '\t', [key('tab')]],
    ['Shift-Tab', '\x1b[Z', [key('tab', { shift: true })]],
    ['Backspace (DEL)', '\x7f', [key('backspace')]],
    ['Backspace (BS)', '\x08', [key('backspace')]],
    ['Ctrl-A', '\x01', [key('char:a', { ctrl: true })]],
    ['Ctrl-W', '\x17', [key('char:w', { ctrl: true })]],
    ['Ctrl-C', '\x03', [key('char:c', { ctrl: true })]],
    ['arrow keys', '\x1b[A\x1b[B\x1b[C\x1b[D', [key('up'), key('down'), key('right'), key('left')]],
    ['arrow keys in application mode', '\x1bOA\x1bOD', [key('up'), key('left')]],
    [
      'Home and End, every spelling',
      '\x1b[H\x1b[F\x1b[1~\x1b[4~\x1b[7~\x1b[8~\x1bOH\x1bOF',
      [key('home'), key('end'), key('home'), key('end'), key('home'), key('end'), key('home'), key('end')],
    ],
    ['PgUp and PgDn', '\x1b[5~\x1b[6~', [key('pageup'), key('pagedown')]],
    ['Delete', '\x1b[3~', [key('delete')]],
    ['F2, both spellings', '\x1bOQ\x1b[12~', [key('f2'), key('f2')]],
    ['Ctrl-Left', '\x1b[1;5D', [key('left', { ctrl: true })]],
    ['Shift-Up', '\x1b[1;2A', [key('up', { shift: true })]],
    ['Alt-b', '\x1bb', [key('char:b', { meta: true })]],
    ['Alt-Backspace', '\x1b\x7f', [key('backspace', { meta: true })]],
    ['a lone Escape', '\x1b', [key('escape')]],
    ['keys between text', 'ab\x1b[Dc', [{ type: 'text', text: 'ab' }, key('left'), { type: 'text', text: 'c' }]],
    [
      'the wheel in SGR form',
      '\x1b[<64;3;4M\x1b[<65;3;4M',
      [
        { type: 'wheel', direction: 'up' },
        { type: 'wheel', direction: 'down' },
      ],
    ],
    [
      'the wheel in X10 form',
      '\x1b[M`!!\x1b[Ma!!',
      [
        { type: 'wheel', direction: 'up' },
        { type: 'wheel', direction: 'down' },
      ],
    ],
    ['a mouse click (ignored)', '\x1b[<0;3;4M\x1b[<0;3;4m', []],
    ['a bracketed paste', '\x1b[200~one\ntwo\x1b[201~', [{ type: 'paste', text: 'one\ntwo' }]],
    ['an unbracketed paste (text with line breaks in one read)', 'one\r\ntwo\r\n', [{ type: 'paste', text: 'one\r\ntwo\r\n' }]],
    ['fast typing with Enter in one read, which behaves like a paste', 'hi\r', [{ type: 'paste', text: 'hi\r' }]],
  ])('reads %s', (_what, data, events) => {
    expect(new InputParser().push(data)).toEqual(events);
  });

  it('waits for the rest of an escape sequence cut between reads', () => {
    const p = new InputParser();
    expect(p.push('x\x1b[')).toEqual([{ type: 'text', text: 'x' }]);
    expect(p.push('5~')).toEqual([key('pageup')]);
  });

  it('collects a bracketed paste over several reads, even with its end marker split', () => {
    const p = new InputParser();
    expect(p.push('\x1b[200~line one\n')).toEqual([]);
    expect(p.push('line two\x1b[20')).toEqual([]);
    expect(p.push('1~after')).toEqual([
      { type: 'paste', text: 'line one\nline two' },
      { type: 'text', text: 'after' },
    ]);
  });
});
