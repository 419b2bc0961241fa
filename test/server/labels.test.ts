/**
 * Labels (PROTOCOL.md "Requests and labels"): a request's `label` comes back on its answer, on the
 * error that refuses it and on the sender's own copy of a `message`/`private`, never on anyone
 * else's copy; a bad label is refused as bad_request.
 */
import { describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

describe('labels', () => {
  it('come back on the sender’s copy of say and msg, and on no other copy', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await RawClient.login(port, 'bob');
    alice.send({ type: 'say', text: 'hi all', label: 'L1' });
    expect(await alice.next('message', (m) => m.text === 'hi all')).toMatchObject({ label: 'L1', from: 'alice' });
    const bobsCopy = await bob.next('message', (m) => m.text === 'hi all');
    expect(bobsCopy).not.toHaveProperty('label');

    alice.send({ type: 'msg', to: 'bob', text: 'psst', label: 'L2' });
    expect(await alice.next('private', (m) => m.text === 'psst')).toMatchObject({ label: 'L2', to: 'bob' });
    expect(await bob.next('private', (m) => m.text === 'psst')).not.toHaveProperty('label');
    // Unlabelled requests get unlabelled answers.
    alice.send({ type: 'say', text: 'plain' });
    expect(await alice.next('message', (m) => m.text === 'plain')).not.toHaveProperty('label');
  });

  it('come back on replies: welcome, users, room, rooms, pong, renamed, bye', async () => {
    const { port } = await startServer();
    const alice = await RawClient.connect(port);
    alice.send({ type: 'hello', name: 'alice', label: 'h' });
    expect(await alice.next('welcome')).toMatchObject({ label: 'h' });
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'who', label: 'w' }, 'users'],
      [{ type: 'look', label: 'l' }, 'room'],
      [{ type: 'rooms', label: 'r' }, 'rooms'],
      [{ type: 'ping', token: 1, label: 'p' }, 'pong'],
      [{ type: 'join', room: '#rust', label: 'j' }, 'room'],
      [{ type: 'nick', name: 'alicia', label: 'n' }, 'renamed'],
      [{ type: 'logout', label: 'bye' }, 'bye'],
    ];
    for (const [request, answer] of cases) {
      alice.send(request);
      expect(await alice.next(answer)).toMatchObject({ label: request.label });
    }
  });

  it('come back on the error that refuses a request, whether the handler or the parser refused it', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'msg', to: 'nobody', text: 'hi', label: 'no-one' });
    expect(await alice.next('error')).toMatchObject({ code: 'no_such_user', label: 'no-one', ref: 'msg' });
    alice.send({ type: 'say', text: '', label: 'empty' });
    expect(await alice.next('error')).toMatchObject({ code: 'bad_text', label: 'empty' });
    alice.send({ type: 'frobnicate', label: 'unknown' });
    expect(await alice.next('error')).toMatchObject({ code: 'unknown_type', label: 'unknown' });
  });

  it('come back on a rate_limited refusal', async () => {
    const { port } = await startServer({ rate: 1, burst: 2 });
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'say', text: 'one', label: 'a' });
    alice.send({ type: 'say', text: 'two', label: 'b' });
    expect(await alice.next('error')).toMatchObject({ code: 'rate_limited', ref: 'say', label: 'b' });
  });

  it.each([
    ['a label over 64 bytes', 'é'.repeat(33)],
    ['a label that is not a string', 42],
  ])('refuse %s as bad_request, without echoing it', async (_what, label) => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'say', text: 'hi', label });
    const error = await alice.next('error');
    expect(error).toMatchObject({ code: 'bad_request', ref: 'say' });
    expect(error).not.toHaveProperty('label');
  });
});
