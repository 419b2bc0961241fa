/**
 * Fuzzing text mode and raw byte streams against a live in-process server: typed lines with telnet
 * IAC sequences and over-long lines, and random bytes on many connections at once, in either mode.
 * After every run two control clients must still chat, and the server must hold nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTextLine, helpLines } from '../../src/server/text/commands.js';
import { startServer } from '../helpers/server.js';
import { concat, cuts, splitAt, TEXT_LINE_LIMIT, textLine, type TextLine } from './arbitraries.js';
import { controlClientsStillChat, decodeFrames, exchange, loggedErrors, textProblems } from './wire.js';

const REFUSED = `Line refused: longer than ${TEXT_LINE_LIMIT} bytes.`;

/** Lines up to and including the first that logs out (the server reads nothing after it). */
function untilLogout(lines: TextLine[]): { lines: TextLine[]; loggedOut: boolean } {
  const i = lines.findIndex((l) => {
    const input = parseTextLine(l.content, true);
    return input.kind === 'send' && input.message['type'] === 'logout';
  });
  return i < 0 ? { lines, loggedOut: false } : { lines: lines.slice(0, i + 1), loggedOut: true };
}

describe('fuzzing text mode and raw byte streams', () => {
  it('reads any typed lines, refuses each over-long one once, and answers to the end', async () => {
    const test = await startServer({ rate: 0, logLevel: 'warn' });
    await fc.assert(
      fc.asyncProperty(fc.array(textLine, { minLength: 1, maxLength: 20 }), fc.nat(4), cuts, async (typed, quit, at) => {
        // One run in five ends with "quit": the server must answer it and read no further.
        const sent = quit === 0 ? [...typed, { wire: Buffer.from('quit\r\n'), content: 'quit', huge: false }] : typed;
        // A first byte of 0x00 would mean framed mode; an empty first line keeps it text.
        const wire = concat([Buffer.from('\n'), ...sent.map((l) => l.wire), Buffer.from('/help\r\n')]);
        const { received } = await exchange(test.port, splitAt(wire, at));
        expect(textProblems(received)).toEqual([]);
        const out = received.toString('utf8').split('\r\n').slice(0, -1);
        const { lines, loggedOut } = untilLogout(sent);
        expect(out.filter((l) => l === REFUSED)).toHaveLength(lines.filter((l) => l.huge).length);
        // Every line was read: the last answer is to the last line the server had to read.
        if (loggedOut) expect(out.at(-1)).toBe('Goodbye.');
        else expect(out.slice(-helpLines().length)).toEqual(helpLines());
        await controlClientsStillChat(test);
      }),
      { numRuns: 400 },
    );
    expect(loggedErrors(test)).toEqual([]);
  }, 60_000);

  it('survives random bytes on many connections at once, in framed and text mode', async () => {
    const test = await startServer({ rate: 0, logLevel: 'warn', maxFrame: 4096 });
    const stream = fc.tuple(
      fc.boolean(),
      fc.oneof(
        { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 512 }), weight: 8 },
        { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64_000 }), weight: 1 },
      ),
      cuts,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(stream, { minLength: 1, maxLength: 16 }), async (clients) => {
        const runs = clients.map(([framed, bytes, at]) => {
          // Half the streams start with 0x00 so that the frame decoder sees them.
          const wire = framed ? concat([new Uint8Array([0]), bytes]) : bytes;
          return { framed: wire[0] === 0, done: exchange(test.port, splitAt(wire, at)) };
        });
        for (const run of runs) {
          const { received } = await run.done;
          if (run.framed) {
            const { messages, problems } = decodeFrames(received);
            expect(problems).toEqual([]);
            expect(messages.filter((m) => m.type === 'error' && m.code === 'internal_error')).toEqual([]);
          } else {
            expect(textProblems(received)).toEqual([]);
          }
        }
        await controlClientsStillChat(test);
      }),
      { numRuns: 250 },
    );
    expect(loggedErrors(test)).toEqual([]);
  }, 60_000);
});
