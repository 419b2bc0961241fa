/**
 * History over the wire, in-process (memory store): on join, with `since`, paged by `history`,
 * members only, private history empty for guests, topics kept past their room's life.
 */
import { describe, expect, it } from 'vitest';
import { startServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw.js';

type Msg = Record<string, unknown>;
const ids = (h: Msg): number[] => (h['messages'] as Msg[]).map((m) => m['id'] as number);

async function sayAll(client: RawClient, texts: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const text of texts) {
    client.send({ type: 'say', text, label: text });
    out.push((await client.next('message', (m) => m['label'] === text))['id'] as number);
  }
  return out;
}

describe('history', () => {
  it('follows the welcome with the latest --history-on-join messages, oldest first', async () => {
    const { port } = await startServer({ historyOnJoin: 3 });
    const alice = await RawClient.login(port, 'alice');
    const said = await sayAll(alice, ['a', 'b', 'c', 'd', 'e']);
    const bob = await RawClient.login(port, 'bob');
    const h = await bob.next('history');
    expect(h).toMatchObject({ type: 'history', room: '#main', more: true });
    expect(ids(h)).toEqual(said.slice(2));
    expect((h['messages'] as Msg[])[0]).toEqual({
      type: 'message',
      id: said[2],
      ts: expect.any(Number),
      room: '#main',
      from: 'alice',
      text: 'c',
    });
  });

  it('with since sends exactly what came after it, and join.since too', async () => {
    const { port } = await startServer({ historyLimit: 2 });
    const alice = await RawClient.login(port, 'alice');
    const said = await sayAll(alice, ['a', 'b', 'c', 'd']);
    const bob = await RawClient.connect(port);
    bob.send({ type: 'hello', name: 'bob', since: { '#main': said[0] } });
    const h = await bob.next('history');
    expect(ids(h)).toEqual(said.slice(1, 3));
    expect(h['more']).toBe(true);
    bob.send({ type: 'join', room: '#main', since: said[2] });
    expect(ids(await bob.next('history'))).toEqual([said[3]]);
  });

  it('pages with before and after, and refuses a room one is not in', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const said = await sayAll(alice, ['a', 'b', 'c', 'd', 'e']);
    alice.send({ type: 'history', room: '#main', before: said[3], limit: 2 });
    const back = await alice.next('history', (m) => m['room'] === '#main' && (m['messages'] as Msg[]).length === 2);
    expect(ids(back)).toEqual([said[1], said[2]]);
    expect(back['more']).toBe(true);
    alice.send({ type: 'history', room: '#main', after: said[3], limit: 10, label: 'fwd' });
    const fwd = await alice.next('history', (m) => m['label'] === 'fwd');
    expect(ids(fwd)).toEqual([said[4]]);
    expect(fwd['more']).toBe(false);
    alice.send({ type: 'history', room: '#elsewhere' });
    expect(await alice.next('error')).toMatchObject({ code: 'not_in_room', ref: 'history' });
    alice.send({ type: 'history', room: '#main', before: 1, after: 2 });
    expect(await alice.next('error')).toMatchObject({ code: 'bad_request', ref: 'history' });
  });

  it('gives a guest no private history, not even of its own messages', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    await RawClient.login(port, 'bob');
    alice.send({ type: 'msg', to: 'bob', text: 'secret' });
    await alice.next('private');
    alice.send({ type: 'history', with: 'bob' });
    expect(await alice.next('history', (m) => m['with'] === 'bob')).toEqual({ type: 'history', with: 'bob', messages: [], more: false });
  });

  it('keeps a topic after its room emptied', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice', { rooms: ['#rust'] });
    alice.send({ type: 'topic', room: '#rust', text: 'crabs' });
    await alice.next('topic');
    alice.send({ type: 'part', room: '#rust' });
    await alice.next('left');
    alice.send({ type: 'join', room: '#rust' });
    expect(await alice.next('room')).toMatchObject({ room: '#rust', topic: 'crabs' });
  });
});
