/**
 * A cluster on real processes: built chat-server binaries as nodes on one Redis and one
 * PostgreSQL (each test its own Redis and its own database), clients on real sockets.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw.js';
import type { ServerBinary } from '../helpers/server-binary.js';

const cluster = useCluster();
const clients = cluster.clients;

function node(id: string): Promise<ServerBinary> {
  return cluster.node(id, '--log-level', 'info');
}

function login(server: ServerBinary, name: string, extra: Record<string, unknown> = {}): Promise<RawClient> {
  return cluster.login(server.port, name, extra);
}

/** Resolves once `c`'s who lists exactly `users` (its node has heard of the others' logins). */
async function listed(c: RawClient, users: string[]): Promise<void> {
  let got: unknown;
  for (let tries = 0; tries < 50; tries++) {
    c.send({ type: 'who' });
    got = (await c.next('users')).users;
    if (JSON.stringify(got) === JSON.stringify(users)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(got).toEqual(users);
}

type Msg = Record<string, unknown>;

describe('a cluster of chat-server nodes', () => {
  it('lets users on different nodes chat in one room and privately, with one user list and unique names', async () => {
    const [a, b] = await Promise.all([node('a'), node('b')]);
    const alice = await login(a, 'alice');
    const bob = await login(b, 'bob');
    const joined = await alice.next('joined', (m) => m.name === 'bob');
    expect(joined).toMatchObject({ room: '#main', clients: 2 });

    for (const c of [alice, bob]) {
      c.send({ type: 'who' });
      expect(await c.next('users')).toMatchObject({ users: ['alice', 'bob'], clients: 2 });
      c.send({ type: 'rooms' });
      expect(await c.next('rooms')).toMatchObject({ rooms: [{ room: '#main', users: 2 }] });
      c.send({ type: 'look', room: '#main' });
      expect(await c.next('room')).toMatchObject({ room: '#main', users: ['alice', 'bob'] });
    }

    alice.send({ type: 'say', text: 'hello from a' });
    const there = await bob.next('message');
    const here = await alice.next('message');
    expect(there).toMatchObject({ from: 'alice', room: '#main', text: 'hello from a' });
    expect(here.id).toBe(there.id);

    bob.send({ type: 'msg', to: 'ALICE', text: 'psst' });
    expect(await alice.next('private')).toMatchObject({ from: 'bob', to: 'alice', text: 'psst' });
    expect(await bob.next('private')).toMatchObject({ from: 'bob', to: 'alice', text: 'psst' });

    // The name, in another case and as a look-alike, is taken on the other node too.
    for (const name of ['Alice', 'аlice']) {
      const clash = await RawClient.connect(b.port);
      clients.push(clash);
      clash.send({ type: 'hello', name });
      expect(await clash.next('error')).toMatchObject({ code: 'name_taken', ref: 'hello' });
    }

    // A topic and a rename reach the other node.
    bob.send({ type: 'topic', room: '#main', text: 'cluster talk' });
    expect(await alice.next('topic')).toMatchObject({ room: '#main', text: 'cluster talk', by: 'bob' });
    bob.send({ type: 'nick', name: 'robert' });
    expect(await alice.next('renamed')).toMatchObject({ from: 'bob', to: 'robert' });
    alice.send({ type: 'who' });
    expect(await alice.next('users')).toMatchObject({ users: ['alice', 'robert'] });
    const carol = await login(a, 'bob'); // free again
    expect(await bob.next('joined', (m) => m.name === 'bob')).toMatchObject({ clients: 3 });
    carol.close();
    expect(await bob.next('left', (m) => m.name === 'bob')).toMatchObject({ reason: 'disconnect' });
  }, 60_000);

  it('shows every member the same order, ids increasing, and stores what they received', async () => {
    const [a, b, c] = await Promise.all([node('a'), node('b'), node('c')]);
    const people = [await login(a, 'ann'), await login(b, 'ben'), await login(c, 'cat')];
    await people[0]!.next('joined', (m) => m.name === 'cat');
    await people[1]!.next('joined', (m) => m.name === 'cat');
    const each = 30;
    for (let i = 0; i < each; i++) for (const [k, p] of people.entries()) p.send({ type: 'say', text: `${k}:${i}` });
    const seen = await Promise.all(
      people.map(async (p) => {
        const got: Msg[] = [];
        for (let i = 0; i < each * people.length; i++) got.push(await p.next('message', () => true, 15_000));
        return got.map((m) => [m.id, m.text]);
      }),
    );
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
    const ids = seen[0]!.map(([id]) => id as number);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);

    const db = new pg.Client({ connectionString: cluster.database });
    await db.connect();
    try {
      const rows = (await db.query('SELECT id::int AS id FROM messages ORDER BY id')).rows as { id: number }[];
      expect(rows.map((r) => r.id)).toEqual(ids);
    } finally {
      await db.end();
    }
  }, 60_000);

  it('when a node is killed, its users leave as timeout elsewhere within 30 s and their names come free', async () => {
    const [a, b] = await Promise.all([node('a'), node('b')]);
    await login(a, 'alice');
    const bob = await login(b, 'bob');
    await listed(bob, ['alice', 'bob']);
    await a.crash();
    const left = await bob.next('left', (m) => m.name === 'alice', 30_000);
    expect(left).toMatchObject({ room: '#main', reason: 'timeout', clients: 1 });
    bob.send({ type: 'who' });
    expect(await bob.next('users')).toMatchObject({ users: ['bob'], clients: 1 });
    // Within 30 s of the kill the name is free on the surviving node (the claim's TTL is 15 s).
    let again: RawClient | undefined;
    for (let tries = 0; tries < 40 && again === undefined; tries++) {
      const c = await RawClient.connect(b.port);
      clients.push(c);
      c.send({ type: 'hello', name: 'alice' });
      const answer = await c.next(undefined, (m) => m.type === 'welcome' || m.type === 'error');
      if (answer.type === 'welcome') again = c;
      else await new Promise((r) => setTimeout(r, 500));
    }
    expect(again).toBeDefined();
    // The surviving node went on serving all along.
    bob.send({ type: 'say', text: 'still here' });
    expect(await again!.next('message')).toMatchObject({ from: 'bob', text: 'still here' });
  }, 60_000);

  it('takes the users of a killed node that restarts at once under its id as left, not as ghosts', async () => {
    const a = await node('a');
    const b = await node('b');
    await login(a, 'alice');
    const bob = await login(b, 'bob');
    await listed(bob, ['alice', 'bob']);
    await a.crash();
    await node('a'); // before its old heartbeat (10 s) has expired
    expect(await bob.next('left', (m) => m.name === 'alice', 8_000)).toMatchObject({ reason: 'timeout', clients: 1 });
    bob.send({ type: 'who' });
    expect(await bob.next('users')).toMatchObject({ users: ['bob'], clients: 1 });
  }, 60_000);

  it('gives a client that reconnects to another node with since every message once', async () => {
    const [a, b] = await Promise.all([node('a'), node('b')]);
    const bob = await login(b, 'bob');
    let alice = await login(a, 'alice');
    await bob.next('joined', (m) => m.name === 'alice');
    for (let i = 1; i <= 3; i++) bob.send({ type: 'say', text: `m${i}` });
    let last = 0;
    for (let i = 1; i <= 3; i++) last = (await alice.next('message')).id as number;
    alice.close();
    await bob.next('left', (m) => m.name === 'alice');
    for (let i = 4; i <= 6; i++) bob.send({ type: 'say', text: `m${i}` });
    for (let i = 4; i <= 6; i++) await bob.next('message');
    alice = await login(b, 'alice', { since: { '#main': last } });
    const history = await alice.next('history');
    expect((history.messages as Msg[]).map((m) => m.text)).toEqual(['m4', 'm5', 'm6']);
    bob.send({ type: 'say', text: 'm7' });
    expect(await alice.next('message')).toMatchObject({ text: 'm7' });
    await alice.sync();
    expect(alice.messages.filter((m) => m.type === 'message').map((m) => m.text)).toEqual(['m7']);
  }, 60_000);

  it('never numbers a message below one already used, even after Redis restarts without its data', async () => {
    const [a, b] = await Promise.all([node('a'), node('b')]);
    const alice = await login(a, 'alice');
    const bob = await login(b, 'bob');
    await alice.next('joined', (m) => m.name === 'bob');
    alice.send({ type: 'say', text: 'before' });
    const before = (await bob.next('message')).id as number;
    await cluster.redis.halt();
    await cluster.redis.resume(); // empty: no persistence in the test's Redis
    // Once the nodes are back on the bus, the next message is numbered above the last one.
    let after: Msg | undefined;
    for (let tries = 0; tries < 40 && after === undefined; tries++) {
      alice.send({ type: 'say', text: `after ${tries}` });
      after = await bob.next('message', () => true, 500).catch(() => undefined);
    }
    expect(after).toBeDefined();
    expect(after!.id as number).toBeGreaterThan(before);
  }, 60_000);
});
