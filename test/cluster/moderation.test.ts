/**
 * Moderation across a cluster on real processes: two built chat-server nodes on one Redis and one
 * PostgreSQL. An operator on node a kicks, bans and mutes users held by node b; bans and mutes
 * are in PostgreSQL, so they hold on every node and after a node restarts.
 */
import { describe, expect, it } from 'vitest';
import { hello, registered } from '../helpers/accounts.js';
import { useCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw.js';
import type { ServerBinary } from '../helpers/server-binary.js';

const cluster = useCluster();
const clients = cluster.clients;

function node(id: string): Promise<ServerBinary> {
  return cluster.node(id, '--operators', 'op', '--log-level', 'info');
}

function login(server: ServerBinary, name: string, extra: Record<string, unknown> = {}): Promise<RawClient> {
  return cluster.login(server.port, name, extra);
}

async function operator(server: ServerBinary): Promise<RawClient> {
  const op = await registered(server.port, 'op');
  op.pongs = true;
  clients.push(op);
  return op;
}

describe('moderation across the nodes of a cluster', () => {
  it('an operator on one node kicks a user held by another: everyone sees the same kick', async () => {
    const [a, b] = await Promise.all([node('a'), node('b')]);
    const op = await operator(a);
    const dave = await login(a, 'dave');
    const bob = await login(b, 'bob');
    const carol = await login(b, 'carol');
    await op.next('joined', (m) => m.name === 'carol');
    await dave.next('joined', (m) => m.name === 'carol');

    // Off a room: carol (on b) and dave (on a) see the same left, and bob gets it himself.
    bob.send({ type: 'join', room: '#den' });
    await bob.next('room');
    op.send({ type: 'join', room: '#den' });
    await op.next('room');
    dave.send({ type: 'join', room: '#den' });
    await dave.next('room');
    op.send({ type: 'kick', name: 'BOB', room: '#den', reason: 'off topic' });
    expect(await op.next('moderated')).toEqual({ type: 'moderated', action: 'kick', name: 'bob', room: '#den', reason: 'off topic' });
    const own = await bob.next('left', (m) => m.room === '#den');
    const seen = await dave.next('left', (m) => m.room === '#den');
    expect(own).toMatchObject({ room: '#den', name: 'bob', reason: 'kicked', by: 'op', text: 'off topic' });
    expect(seen).toEqual(own);

    // Off the server: bob's bye, the same left in #main on both nodes.
    op.send({ type: 'kick', name: 'bob' });
    expect(await op.next('moderated')).toMatchObject({ action: 'kick', name: 'bob' });
    expect(await bob.next('bye')).toMatchObject({ reason: 'kicked', text: 'Kicked by op.' });
    const onB = await carol.next('left', (m) => m.name === 'bob');
    const onA = await dave.next('left', (m) => m.name === 'bob' && m.room === '#main');
    expect(onB).toMatchObject({ room: '#main', name: 'bob', reason: 'kicked', by: 'op', text: 'Kicked by op.' });
    expect(onA).toEqual(onB);

    // Whoever the whole cluster does not hold: no_such_user; not in that room: not_in_room.
    op.send({ type: 'kick', name: 'bob' });
    expect(await op.next('error')).toMatchObject({ code: 'no_such_user', ref: 'kick' });
    op.send({ type: 'kick', name: 'carol', room: '#den' });
    expect(await op.next('error')).toMatchObject({ code: 'not_in_room', ref: 'kick' });
  }, 90_000);

  it('a ban and a mute made on one node hold on the other, and a mute outlives a node restart', async () => {
    const [a, b] = await Promise.all([node('a'), node('b')]);
    const op = await operator(a);
    const bob = await login(b, 'bob');
    const carol = await login(b, 'carol');
    await op.next('joined', (m) => m.name === 'carol');

    // A name ban: bob, on b, is out at once (counted in the answer); b refuses him from now on.
    op.send({ type: 'ban', name: 'bob', reason: 'spam' });
    expect(await op.next('moderated')).toEqual({ type: 'moderated', action: 'ban', name: 'bob', reason: 'spam', kicked: 1 });
    expect(await bob.next('bye')).toMatchObject({ reason: 'kicked', text: 'You are banned from this server until lifted: spam' });
    expect(await carol.next('left', (m) => m.name === 'bob')).toMatchObject({ reason: 'kicked', by: 'op' });
    expect(await hello(b.port, { name: 'bob' })).toMatchObject({ type: 'error', code: 'banned', ref: 'hello' });

    // A mute made on a silences carol on b; an unmute on a lifts it there.
    op.send({ type: 'mute', room: '#main', name: 'carol' });
    expect(await op.next('moderated')).toEqual({ type: 'moderated', action: 'mute', name: 'carol', room: '#main' });
    expect(await carol.next('notice')).toMatchObject({ text: 'op muted you in #main until lifted.' });
    carol.send({ type: 'say', text: 'can you hear me?' });
    expect(await carol.next('error')).toMatchObject({ code: 'muted', ref: 'say' });
    op.send({ type: 'unmute', room: '#main', name: 'carol' });
    expect(await op.next('moderated')).toEqual({ type: 'moderated', action: 'unmute', name: 'carol', room: '#main' });
    carol.send({ type: 'say', text: 'thanks' });
    expect(await op.next('message')).toMatchObject({ from: 'carol', text: 'thanks' });

    // erin, muted before b is killed and started again, is muted on the new b: it read PostgreSQL.
    op.send({ type: 'mute', room: '#main', name: 'erin' });
    await op.next('moderated');
    await b.crash();
    const b2 = await node('b');
    const erin = await login(b2, 'erin');
    erin.send({ type: 'say', text: 'hello?' });
    expect(await erin.next('error')).toMatchObject({ code: 'muted', ref: 'say', message: 'You are muted in #main until lifted.' });
    // And the ban still holds there.
    expect(await hello(b2.port, { name: 'bob' })).toMatchObject({ type: 'error', code: 'banned' });
  }, 90_000);
});
