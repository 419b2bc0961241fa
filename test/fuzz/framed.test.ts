/**
 * Fuzzing the framed protocol against a live in-process server: random frame sequences (valid
 * messages with random fields, mutated and truncated payloads, wrong and oversized declared
 * lengths, any MessagePack value), cut into random writes. After every run two control clients
 * must still chat, and the server must hold no connection, user or room.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode, encodeFrame, MAX_FRAME, type ServerMessage } from '../../src/protocol/internal.js';
import { startServer } from '../helpers/server.js';
import { concat, cuts, framedStream, pieceBytes, splitAt, type Piece } from './arbitraries.js';
import { checkLoneConversation, END_TOKEN } from './lone-model.js';
import { controlClientsStillChat, decodeFrames, exchange, loggedErrors } from './wire.js';

/** The stream a fuzz client writes: its pieces, then (unless it ends mid-frame) a closing ping. */
function streamOf(pieces: Piece[]): Uint8Array {
  const parts = pieces.flatMap(pieceBytes);
  if (pieces.at(-1)?.kind !== 'truncated') parts.push(encode({ type: 'ping', token: END_TOKEN }));
  return concat(parts);
}

function noInternalErrors(messages: ServerMessage[]): void {
  expect(messages.filter((m) => m.type === 'error' && m.code === 'internal_error')).toEqual([]);
}

describe('fuzzing the framed protocol', () => {
  it('answers a lone client exactly as the protocol says, whatever frames it sends and however they are cut', async () => {
    const limits = { maxFrame: MAX_FRAME, maxPayloadErrors: 10 };
    const test = await startServer({ rate: 0, logLevel: 'warn', ...limits });
    await fc.assert(
      fc.asyncProperty(framedStream(limits.maxFrame, 30), cuts, async (pieces, at) => {
        const { received } = await exchange(test.port, splitAt(streamOf(pieces), at));
        const { messages, problems } = decodeFrames(received);
        expect(problems).toEqual([]);
        noInternalErrors(messages);
        expect(checkLoneConversation(pieces, messages, limits)).toBeUndefined();
        await controlClientsStillChat(test);
      }),
      { numRuns: 700 },
    );
    expect(loggedErrors(test)).toEqual([]);
  }, 60_000);

  it('keeps a connection through payload errors up to the limit and closes it on the next', async () => {
    // The limit is low here so that most runs reach it; the model knows where the close must come.
    const limits = { maxFrame: 1024, maxPayloadErrors: 2 };
    const test = await startServer({ rate: 0, logLevel: 'warn', ...limits });
    await fc.assert(
      fc.asyncProperty(framedStream(limits.maxFrame, 12), async (pieces) => {
        const { received } = await exchange(test.port, [streamOf(pieces)]);
        const { messages, problems } = decodeFrames(received);
        expect(problems).toEqual([]);
        expect(checkLoneConversation(pieces, messages, limits)).toBeUndefined();
        await controlClientsStillChat(test);
      }),
      { numRuns: 300 },
    );
    expect(loggedErrors(test)).toEqual([]);
  }, 60_000);

  it('survives many hostile framed connections at once and still serves a normal chat', async () => {
    const test = await startServer({ rate: 0, logLevel: 'warn' });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(framedStream(MAX_FRAME, 16), cuts), { minLength: 2, maxLength: 12 }), async (clients) => {
        const results = await Promise.all(clients.map(([pieces, at]) => exchange(test.port, splitAt(streamOf(pieces), at))));
        for (const { received } of results) {
          const { messages, problems } = decodeFrames(received);
          expect(problems).toEqual([]);
          noInternalErrors(messages);
        }
        await controlClientsStillChat(test);
      }),
      { numRuns: 200 },
    );
    expect(loggedErrors(test)).toEqual([]);
  }, 60_000);

  it('refuses an oversized declared length from the header alone, without waiting for the body', async () => {
    const test = await startServer({ rate: 0, logLevel: 'warn' });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: MAX_FRAME + 1, max: 0x00ff_ffff }), async (length) => {
        const header = encodeFrame(new Uint8Array(0));
        header.writeUInt32BE(length, 0);
        // Only the header is sent and the socket is half-closed: a server that waited for the
        // body would close silently instead of answering.
        const { received } = await exchange(test.port, [header]);
        const { messages, problems } = decodeFrames(received);
        expect(problems).toEqual([]);
        expect(messages).toMatchObject([{ type: 'error', code: 'frame_too_large' }]);
      }),
      { numRuns: 100 },
    );
    await controlClientsStillChat(test);
  });
});
