import { describe, expect, it } from 'vitest';
import { LineDecoder } from '../../src/server/text/line-decoder.js';

const IAC = 0xff;
const WILL = 251;
const DO = 253;
const SB = 250;
const SE = 240;
const NOP = 241;
const ECHO = 1;
const NAWS = 31;

/** A decoder with a recording sink: each line as a string, each refusal as `!tooLong N`. */
function decoder(maxLine = 64): { push(...chunks: (string | number[] | Buffer)[]): void; out: string[] } {
  const out: string[] = [];
  const d = new LineDecoder({ line: (text) => out.push(text), tooLong: (limit) => out.push(`!tooLong ${limit}`) }, maxLine);
  return {
    out,
    push(...chunks) {
      for (const c of chunks) d.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c));
    },
  };
}

describe('LineDecoder', () => {
  it.each([
    ['a \\n ending', ['hello\n'], ['hello']],
    ['a \\r\\n ending', ['hello\r\n'], ['hello']],
    ['both endings mixed in one chunk', ['one\ntwo\r\nthree\n'], ['one', 'two', 'three']],
    ['an empty line', ['\r\n\n'], ['', '']],
    ['a line split across writes', ['hel', 'lo wor', 'ld\r', '\n'], ['hello world']],
    ['a \\r\\n ending split between its two bytes', ['hi\r', '\nthere\n'], ['hi', 'there']],
    ['a \\r inside a line (kept: only a final \\r is part of the ending)', ['a\rb\n'], ['a\rb']],
    // Telnet in character mode sends Enter as CR NUL (the NVT's bare carriage return).
    ['a \\r\\0 ending (telnet in character mode)', ['quit\r\0'], ['quit']],
    ['a \\r\\0 ending typed a key at a time', ['q', 'u', 'i', 't', '\r', '\0', 'who\r\0'], ['quit', 'who']],
    ['\\r\\0 mixed with the other endings', ['a\r\0b\nc\r\n'], ['a', 'b', 'c']],
    ['a NUL not after \\r (kept: not a line end)', ['a\0b\n', '\0c\n'], ['a\0b', '\0c']],
  ])('splits %s', (_what, chunks, lines) => {
    const d = decoder();
    d.push(...chunks);
    expect(d.out).toEqual(lines);
  });

  it('ends a line at \\r\\0 when the NUL comes after telnet negotiation in the same chunk', () => {
    const d = decoder();
    d.push([IAC, DO, 3, IAC, DO, ECHO, ...Buffer.from('quit\r'), IAC, NOP, 0]);
    expect(d.out).toEqual(['quit']);
  });

  it('holds a partial line until its end arrives', () => {
    const d = decoder();
    d.push('no end yet');
    expect(d.out).toEqual([]);
    d.push(' ... now\n');
    expect(d.out).toEqual(['no end yet ... now']);
  });

  it('decodes UTF-8, also when a character is split across chunks', () => {
    const bytes = Buffer.from('小明: 你好\n', 'utf8');
    const d = decoder();
    for (const byte of bytes) d.push([byte]); // one byte at a time splits every 3-byte character
    expect(d.out).toEqual(['小明: 你好']);
  });

  it.each([
    ['WILL/DO option negotiation before a line', [[IAC, WILL, ECHO, IAC, DO, NAWS], 'hello\r\n'], ['hello']],
    ['negotiation in the middle of a line', ['hel', [IAC, DO, ECHO], 'lo\n'], ['hello']],
    ['a subnegotiation (SB ... SE) mid-line', ['ab', [IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE], 'cd\n'], ['abcd']],
    ['IAC IAC inside a subnegotiation, which does not end it', ['a', [IAC, SB, NAWS, IAC, IAC, 10, IAC, SE], 'b\n'], ['ab']],
    ['a two-byte command (IAC NOP)', ['x', [IAC, NOP], 'y\n'], ['xy']],
    ['a sequence split across chunks after IAC', ['a', [IAC], [WILL], [ECHO], 'b\n'], ['ab']],
    ['a subnegotiation split across chunks', ['a', [IAC, SB, NAWS, 0], [80, 0, 24, IAC], [SE], 'b\n'], ['ab']],
    ['an LF inside a subnegotiation (not a line end)', ['a', [IAC, SB, NAWS, 0x0a, IAC, SE], 'b\n'], ['ab']],
  ])('drops telnet %s', (_what, chunks, lines) => {
    const d = decoder();
    d.push(...(chunks as (string | number[])[]));
    expect(d.out).toEqual(lines);
  });

  it('turns IAC IAC into one literal 0xFF byte of data (an invalid UTF-8 byte, shown as U+FFFD)', () => {
    const d = decoder();
    d.push(['a'.charCodeAt(0), IAC, IAC, 'b'.charCodeAt(0), 0x0a]);
    expect(d.out).toEqual(['a\ufffdb']);
  });

  it('accepts a line of exactly the limit, with or without \\r', () => {
    const d = decoder(8);
    d.push('12345678\n', '12345678\r\n');
    expect(d.out).toEqual(['12345678', '12345678']);
  });

  it('refuses a line one byte over the limit, once, and takes the next line', () => {
    const d = decoder(8);
    d.push('123456789\nok\n');
    expect(d.out).toEqual(['!tooLong 8', 'ok']);
  });

  it('refuses an over-long line that arrives in many chunks once, skipping to its end', () => {
    const d = decoder(8);
    for (let i = 0; i < 100; i++) d.push('xxxxxxxxxx');
    expect(d.out).toEqual(['!tooLong 8']);
    d.push('tail of the long line\nnext\n');
    expect(d.out).toEqual(['!tooLong 8', 'next']);
  });

  it('never holds more than the limit (+1 for a \\r) while skipping an endless line', () => {
    const d = new LineDecoder({ line: () => {}, tooLong: () => {} }, 16);
    let most = 0;
    for (let i = 0; i < 1000; i++) {
      d.push(Buffer.alloc(1024, 0x61));
      most = Math.max(most, d.buffered);
    }
    expect(most).toBeLessThanOrEqual(17);
  });

  it('holds a partial line within the limit', () => {
    const d = new LineDecoder({ line: () => {}, tooLong: () => {} }, 16);
    d.push(Buffer.from('0123456789'));
    expect(d.buffered).toBe(10);
  });

  it('counts the limit in bytes, not characters', () => {
    const d = decoder(6);
    d.push('你好\n'); // 6 bytes
    d.push('你好!\n'); // 7 bytes
    expect(d.out).toEqual(['你好', '!tooLong 6']);
  });
});
