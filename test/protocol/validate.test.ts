import { describe, expect, it } from 'vitest';
import {
  foldName,
  isValidName,
  isValidRoom,
  MAX_TEXT_BYTES,
  normalizeRoom,
  parseClientMessage,
  parseServerMessage,
  ProtocolError,
  textProblem,
} from '../../src/protocol/internal.js';

/** The code parseClientMessage refuses `value` with, or 'ok'. */
function verdict(value: unknown): string {
  try {
    parseClientMessage(value);
    return 'ok';
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
}

const hello = (name: unknown): unknown => ({ type: 'hello', name });
const say = (text: unknown): unknown => ({ type: 'say', text });

describe('names', () => {
  it.each([
    ['alice', 'ok'],
    ['小明', 'ok'],
    ['Zoë', 'ok'],
    ['a_b-c.d', 'ok'],
    ['R2D2', 'ok'],
    ['x'.repeat(32), 'ok'],
    ['名'.repeat(32), 'ok'],
    ['x'.repeat(33), 'bad_name'],
    ['नमस्ते', 'ok'],
    ['\u0301', 'bad_name'],
    ['\u0301alice', 'bad_name'],
    ['alice\u034f', 'bad_name'],
    ['\u3164', 'bad_name'],
    ['ali\ufe0fce', 'bad_name'],
    ['', 'bad_name'],
    ['a b', 'bad_name'],
    ['tab\there', 'bad_name'],
    ['new\nline', 'bad_name'],
    ['semi;colon', 'bad_name'],
    ['#room', 'bad_name'],
    ['emoji😀', 'bad_name'],
    [42, 'bad_name'],
    [undefined, 'bad_name'],
  ])('hello with name %j → %s', (name, expected) => {
    expect(verdict(hello(name))).toBe(expected);
  });

  it('counts a name in characters after NFC: 32 "e" + combining accent is 32 characters', () => {
    const decomposed = 'e\u0301'.repeat(32);
    expect(decomposed.length).toBe(64);
    expect(parseClientMessage(hello(decomposed))).toEqual({ type: 'hello', name: 'é'.repeat(32) });
  });

  it('folds names by NFC and case, so "ZOË", "zoë" and "zoe\\u0308" are the same name', () => {
    expect(foldName('ZOË')).toBe(foldName('zoë'));
    expect(foldName('zoe\u0308')).toBe(foldName('zoë'));
    expect(foldName('小明')).toBe('小明');
    expect(foldName('Alice')).not.toBe(foldName('Alicia'));
  });

  it('folds the Greek final sigma, so "ΟΔΥΣΣΕΥΣ" and "οδυσσευσ" are the same name', () => {
    expect(foldName('ΟΔΥΣΣΕΥΣ')).toBe(foldName('οδυσσευσ'));
    expect(foldName('Οδυσσεύς')).toBe(foldName('οδυσσεύσ'));
  });

  it.each([
    ['#main', true],
    ['#小明的房间', true],
    ['#' + 'r'.repeat(32), true],
    ['#' + 'r'.repeat(33), false],
    ['main', false],
    ['#', false],
    ['##main', false],
    ['#two words', false],
  ])('isValidRoom(%j) is %s', (room, valid) => {
    expect(isValidRoom(room)).toBe(valid);
  });

  it('normalizeRoom adds the "#" people leave out, and only that', () => {
    expect(normalizeRoom('rust')).toBe('#rust');
    expect(normalizeRoom('#rust')).toBe('#rust');
  });

  it('isValidName refuses a very long string quickly, whatever it holds', () => {
    expect(isValidName('a'.repeat(1_000_000))).toBe(false);
  });
});

describe('text limits are in UTF-8 bytes', () => {
  it.each([
    ['4096 ASCII bytes', 'a'.repeat(4096), 'ok'],
    ['4097 ASCII bytes', 'a'.repeat(4097), 'text_too_long'],
    ['1365 Chinese characters + 1 byte = 4096 bytes', '字'.repeat(1365) + 'a', 'ok'],
    ['1366 Chinese characters = 4098 bytes (1366 UTF-16 units)', '字'.repeat(1366), 'text_too_long'],
    ['1024 emoji = 4096 bytes', '😀'.repeat(1024), 'ok'],
    ['1025 emoji = 4100 bytes', '😀'.repeat(1025), 'text_too_long'],
    ['a tab', 'col1\tcol2', 'ok'],
    ['a newline', 'line1\nline2', 'bad_text'],
    ['a carriage return', 'a\rb', 'bad_text'],
    ['a NUL', 'a\u0000b', 'bad_text'],
    ['an escape sequence', '\u001b[31mred', 'bad_text'],
    ['DEL', 'a\u007fb', 'bad_text'],
    ['a C1 control', 'a\u0085b', 'bad_text'],
    ['an empty string', '', 'bad_text'],
    ['a number', 5, 'bad_text'],
    ['nothing', undefined, 'bad_text'],
  ])('say with %s → %s', (_what, text, expected) => {
    expect(verdict(say(text))).toBe(expected);
  });

  it('MAX_TEXT_BYTES is 4096 and textProblem names the limit', () => {
    expect(MAX_TEXT_BYTES).toBe(4096);
    expect(textProblem('a'.repeat(4097))?.message).toContain('4096');
    expect(textProblem('fine')).toBeUndefined();
  });

  it('checks the text of msg the same way as say', () => {
    expect(verdict({ type: 'msg', to: 'bob', text: 'a'.repeat(4097) })).toBe('text_too_long');
    expect(verdict({ type: 'msg', to: 'bob', text: 'a\u0007' })).toBe('bad_text');
    expect(verdict({ type: 'msg', to: 'not a name', text: 'hi' })).toBe('bad_name');
  });
});

describe('parseClientMessage', () => {
  it.each([
    [
      { type: 'hello', name: 'alice', password: 'pw', client: 'bot/1' },
      { type: 'hello', name: 'alice', password: 'pw', client: 'bot/1' },
    ],
    [
      { type: 'say', text: 'hi' },
      { type: 'say', text: 'hi' },
    ],
    [
      { type: 'say', text: 'waves', action: true },
      { type: 'say', text: 'waves', action: true },
    ],
    [
      { type: 'say', text: 'hi', action: false },
      { type: 'say', text: 'hi' },
    ],
    [
      { type: 'msg', to: 'bob', text: 'psst' },
      { type: 'msg', to: 'bob', text: 'psst' },
    ],
    [{ type: 'who' }, { type: 'who' }],
    [{ type: 'look' }, { type: 'look' }],
    [{ type: 'rooms' }, { type: 'rooms' }],
    [
      { type: 'join', room: '#rust' },
      { type: 'join', room: '#rust' },
    ],
    [
      { type: 'nick', name: 'bob' },
      { type: 'nick', name: 'bob' },
    ],
    [
      { type: 'ping', token: 'abc' },
      { type: 'ping', token: 'abc' },
    ],
    [
      { type: 'ping', token: 12 },
      { type: 'ping', token: 12 },
    ],
    [{ type: 'ping' }, { type: 'ping' }],
    [
      { type: 'pong', token: 7 },
      { type: 'pong', token: 7 },
    ],
    [
      { type: 'logout', reason: 'dinner' },
      { type: 'logout', reason: 'dinner' },
    ],
    [{ type: 'logout' }, { type: 'logout' }],
  ])('accepts %j', (input, expected) => {
    expect(parseClientMessage(input)).toEqual(expected);
  });

  it('ignores unknown extra fields and returns a fresh object without them', () => {
    const input = { type: 'say', text: 'hi', colour: 'red', future: { nested: [1, 2] } };
    const parsed = parseClientMessage(input);
    expect(parsed).toEqual({ type: 'say', text: 'hi' });
    expect(parsed).not.toBe(input);
  });

  it.each([
    ['a string', 'hello', 'bad_frame'],
    ['a number', 7, 'bad_frame'],
    ['null', null, 'bad_frame'],
    ['an array', [{ type: 'who' }], 'bad_frame'],
    ['binary', new Uint8Array([1, 2]), 'bad_frame'],
    ['a map without type', { text: 'hi' }, 'bad_frame'],
    ['a map with a numeric type', { type: 3 }, 'bad_frame'],
    ['an unknown type', { type: 'dance' }, 'unknown_type'],
    ['a type in the wrong case', { type: 'SAY', text: 'hi' }, 'unknown_type'],
    ['a server-only type', { type: 'welcome' }, 'unknown_type'],
    ['join without "#"', { type: 'join', room: 'rust' }, 'bad_room'],
    ['join with a bad room', { type: 'join', room: '#a b' }, 'bad_room'],
    ['join without a room', { type: 'join' }, 'bad_room'],
    ['nick with a bad name', { type: 'nick', name: 'a b' }, 'bad_name'],
    ['say with a non-boolean action', { type: 'say', text: 'hi', action: 'yes' }, 'bad_request'],
    ['hello with a numeric password', { type: 'hello', name: 'a', password: 1234 }, 'bad_request'],
    ['ping with a 65-character token', { type: 'ping', token: 't'.repeat(65) }, 'bad_request'],
    ['ping with a map token', { type: 'ping', token: { a: 1 } }, 'bad_request'],
    ['ping with an infinite token', { type: 'ping', token: Infinity }, 'bad_request'],
    ['logout with a numeric reason', { type: 'logout', reason: 5 }, 'bad_request'],
  ])('refuses %s with %s', (_what, input, code) => {
    expect(verdict(input)).toBe(code);
  });

  it('names the message type an error is about in `ref`', () => {
    try {
      parseClientMessage({ type: 'say', text: '' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).ref).toBe('say');
    }
  });

  it('cuts an absurdly long unknown type to 32 characters in the error', () => {
    try {
      parseClientMessage({ type: 'x'.repeat(10_000) });
      expect.unreachable();
    } catch (err) {
      expect((err as ProtocolError).code).toBe('unknown_type');
      expect((err as ProtocolError).message.length).toBeLessThan(100);
    }
  });
});

describe('parseServerMessage', () => {
  it('keeps only known fields and passes an unknown left reason on as "disconnect"', () => {
    expect(parseServerMessage({ type: 'left', ts: 1, room: '#main', name: 'bob', reason: 'abducted', clients: 1, extra: 1 })).toEqual({
      type: 'left',
      ts: 1,
      room: '#main',
      name: 'bob',
      reason: 'disconnect',
      clients: 1,
    });
  });

  it('passes on an error code from a newer server as it came', () => {
    expect(parseServerMessage({ type: 'error', code: 'brand_new', message: 'new' })).toEqual({
      type: 'error',
      code: 'brand_new',
      message: 'new',
    });
  });

  it.each([
    ['a message without id', { type: 'message', ts: 1, room: '#main', from: 'a', text: 'b' }, 'bad_request'],
    [
      'a welcome with users not a list',
      { type: 'welcome', server: 's', version: 1, you: 'a', address: 'x', room: '#main', users: 'a', clients: 1, maxFrame: 1 },
      'bad_request',
    ],
    ['an unknown type', { type: 'teleport' }, 'unknown_type'],
    ['a non-map', [1, 2], 'bad_frame'],
  ])('refuses %s with %s', (_what, input, code) => {
    expect(() => parseServerMessage(input)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });
});
