/**
 * Every client message type in framed mode, from the wire up: what the sender gets back and what
 * everyone else sees.
 */
import { describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

const sorted = (names: unknown): string[] => [...(names as string[])].sort();

/** Log in several users in order, each one's `joined` seen by the earlier ones before the next. */
async function loginAll(port: number, ...names: string[]): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  for (const name of names) {
    const client = await RawClient.login(port, name);
    await client.next('history'); // #main's, right after the welcome
    for (const other of clients) await other.next('joined', (m) => m.name === name);
    clients.push(client);
  }
  return clients;
}

/** Protocol v2 keeps a member of every room joined: move = join the new room, part #main. */
async function moveTo(client: RawClient, room: string): Promise<void> {
  client.send({ type: 'join', room });
  await client.next('room', (m) => m.room === room);
  client.send({ type: 'part', room: '#main' });
  await client.next('left', (m) => m.room === '#main');
}

describe('hello', () => {
  it('is answered with a welcome that carries every field of the contract', async () => {
    const { port } = await startServer({ name: 'chat.test', motd: 'be nice' });
    const [alice] = await loginAll(port, 'alice');
    const bob = await RawClient.connect(port);
    bob.send({ type: 'hello', name: 'bob', client: 'raw-test/1' });
    const welcome = await bob.next('welcome');
    expect(welcome).toEqual({
      type: 'welcome',
      protocol: 2,
      server: 'chat.test',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      software: expect.stringMatching(/^framechat\/\d+\.\d+\.\d+/),
      you: 'bob',
      address: `127.0.0.1:${bob.socket.localPort}`,
      rooms: [{ room: '#main', topic: '', users: ['alice', 'bob'] }],
      clients: 2,
      maxFrame: 65536,
      limits: { maxRooms: 20, historyLimit: 200, text: 4096, topic: 512 },
      motd: 'be nice',
    });
    // Version 2: no address in joined unless the server runs with --show-addresses.
    expect(await alice!.next('joined')).toEqual({ type: 'joined', ts: expect.any(Number), room: '#main', name: 'bob', clients: 2 });
  });

  it('leaves motd out when the server has none, and announces its own maxFrame', async () => {
    const { port } = await startServer({ maxFrame: 1000 });
    const alice = await RawClient.connect(port);
    alice.send({ type: 'hello', name: 'alice' });
    const welcome = await alice.next('welcome');
    expect(welcome).not.toHaveProperty('motd');
    expect(welcome.maxFrame).toBe(1000);
  });

  it('accepts a Chinese name and hands it back as sent', async () => {
    const { port } = await startServer();
    const xiaoming = await RawClient.connect(port);
    xiaoming.send({ type: 'hello', name: '小明' });
    expect(await xiaoming.next('welcome')).toMatchObject({ you: '小明', rooms: [{ room: '#main', users: ['小明'] }] });
  });

  it('stores a name in NFC, so a decomposed accent comes back composed', async () => {
    const { port } = await startServer();
    const zoe = await RawClient.connect(port);
    zoe.send({ type: 'hello', name: 'Zoe\u0308' });
    expect((await zoe.next('welcome')).you).toBe('Zoë');
  });
});

describe('say', () => {
  it('reaches everyone in the room, the sender included, with id, ts, room, from and text', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    const before = Date.now();
    alice!.send({ type: 'say', text: 'hello, room' });
    const seenByBob = await bob!.next('message');
    const seenByAlice = await alice!.next('message');
    expect(seenByBob).toEqual({
      type: 'message',
      id: expect.any(Number),
      ts: expect.any(Number),
      room: '#main',
      from: 'alice',
      text: 'hello, room',
    });
    expect(seenByAlice).toEqual(seenByBob);
    expect(seenByBob.ts).toBeGreaterThanOrEqual(before);
    expect(seenByBob.ts).toBeLessThanOrEqual(Date.now());
  });

  it('with action: true is an action message (/me)', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    alice!.send({ type: 'say', text: 'waves', action: true });
    expect(await bob!.next('message')).toMatchObject({ from: 'alice', text: 'waves', action: true });
  });

  it('does not reach people in other rooms', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    await moveTo(bob!, '#elsewhere');
    alice!.send({ type: 'say', text: 'only #main hears this' });
    await alice!.next('message');
    await bob!.sync();
    expect(bob!.messages.filter((m) => m.type === 'message')).toEqual([]);
  });

  it('carries exactly 4096 bytes of text', async () => {
    const { port } = await startServer();
    const [alice] = await loginAll(port, 'alice');
    const text = '字'.repeat(1365) + 'a';
    alice!.send({ type: 'say', text });
    expect((await alice!.next('message')).text).toBe(text);
  });
});

describe('msg', () => {
  it('sends one private message to the recipient and a copy to the sender, with one id', async () => {
    const { port } = await startServer();
    const [alice, bob, carol] = await loginAll(port, 'alice', 'bob', 'carol');
    alice!.send({ type: 'msg', to: 'bob', text: 'psst' });
    const toBob = await bob!.next('private');
    expect(toBob).toEqual({ type: 'private', id: expect.any(Number), ts: expect.any(Number), from: 'alice', to: 'bob', text: 'psst' });
    expect(await alice!.next('private')).toEqual(toBob);
    await carol!.sync();
    expect(carol!.messages.filter((m) => m.type === 'private')).toEqual([]);
  });

  it('finds the recipient whatever the case, and names them as they named themselves', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'Bob');
    alice!.send({ type: 'msg', to: 'BOB', text: 'hi' });
    expect(await bob!.next('private')).toMatchObject({ from: 'alice', to: 'Bob' });
  });

  it('reaches a user in another room', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    bob!.send({ type: 'join', room: '#far' });
    await bob!.next('room');
    alice!.send({ type: 'msg', to: 'bob', text: 'across rooms' });
    expect(await bob!.next('private')).toMatchObject({ text: 'across rooms' });
  });

  it('to oneself arrives once', async () => {
    const { port } = await startServer();
    const [alice] = await loginAll(port, 'alice');
    alice!.send({ type: 'msg', to: 'alice', text: 'note to self' });
    await alice!.next('private');
    await alice!.sync();
    expect(alice!.messages.filter((m) => m.type === 'private')).toHaveLength(1);
  });
});

describe('who, look and rooms', () => {
  it('who lists everyone logged in on the server, in every room, with the count', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob', 'carol');
    bob!.send({ type: 'join', room: '#rust' });
    await bob!.next('room');
    alice!.send({ type: 'who' });
    const users = await alice!.next('users');
    expect(sorted(users.users)).toEqual(['alice', 'bob', 'carol']);
    expect(users.clients).toBe(3);
  });

  it("look lists the people in the sender's room only", async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob', 'carol');
    await moveTo(bob!, '#rust');
    alice!.send({ type: 'look' });
    const room = await alice!.next('room');
    expect(room.room).toBe('#main');
    expect(sorted(room.users)).toEqual(['alice', 'carol']);
  });

  it('rooms lists the rooms that have people in them, with their head counts', async () => {
    const { port } = await startServer();
    const [alice, bob, carol] = await loginAll(port, 'alice', 'bob', 'carol');
    await moveTo(bob!, '#rust');
    await moveTo(carol!, '#go');
    carol!.send({ type: 'join', room: '#rust' });
    await carol!.next('room');
    carol!.send({ type: 'topic', room: '#rust', text: 'crabs' });
    await carol!.next('topic');
    carol!.send({ type: 'part', room: '#go' });
    await carol!.next('left');
    alice!.send({ type: 'rooms' });
    const rooms = await alice!.next('rooms');
    // #go emptied when carol parted it, so it is gone.
    expect(rooms.rooms).toEqual([
      { room: '#main', users: 1, topic: '' },
      { room: '#rust', users: 2, topic: 'crabs' },
    ]);
  });
});

describe('join', () => {
  it('adds the room: answers with it, tells its members "joined", and keeps the old room', async () => {
    const { port } = await startServer();
    const [alice, bob, carol] = await loginAll(port, 'alice', 'bob', 'carol');
    await moveTo(carol!, '#rust');
    await alice!.next('left', (m) => m.name === 'carol');
    await bob!.next('left', (m) => m.name === 'carol');

    bob!.send({ type: 'join', room: '#rust' });
    const room = await bob!.next('room');
    expect(room).toEqual({ type: 'room', room: '#rust', topic: '', users: ['bob', 'carol'] });
    expect(await carol!.next('joined')).toEqual({ type: 'joined', ts: expect.any(Number), room: '#rust', name: 'bob', clients: 3 });
    // bob is in both rooms now: #main hears nothing of it, and still hears bob.
    bob!.send({ type: 'say', room: '#main', text: 'still here' });
    expect(await alice!.next('message')).toMatchObject({ room: '#main', from: 'bob', text: 'still here' });
    expect(alice!.messages.filter((m) => m.type === 'left' && m.name === 'bob')).toEqual([]);
  });

  it('parts a room: the member and the room are told, with the reason', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    bob!.send({ type: 'part', room: '#main', reason: 'lunch' });
    const own = await bob!.next('left');
    expect(own).toEqual({ type: 'left', ts: expect.any(Number), room: '#main', name: 'bob', reason: 'part', text: 'lunch', clients: 2 });
    expect(await alice!.next('left')).toEqual(own);
    bob!.send({ type: 'part', room: '#main' });
    expect(await bob!.next('error')).toMatchObject({ code: 'not_in_room', ref: 'part' });
  });

  it('folds the room name to lower case: "#Rust" and "#rust" are one room', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    alice!.send({ type: 'join', room: '#Rust' });
    expect((await alice!.next('room')).room).toBe('#rust');
    bob!.send({ type: 'join', room: '#RUST' });
    expect(await bob!.next('room')).toMatchObject({ room: '#rust' });
    expect(await alice!.next('joined')).toMatchObject({ room: '#rust', name: 'bob' });
  });

  it('to the room one is in answers with the room and tells nobody', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    alice!.send({ type: 'join', room: '#main' });
    expect(await alice!.next('room')).toMatchObject({ room: '#main' });
    await bob!.sync();
    expect(bob!.messages.filter((m) => m.type === 'left' || m.type === 'joined')).toEqual([]);
  });

  it("puts the mover's messages in the new room only", async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    await moveTo(bob!, '#rust');
    bob!.send({ type: 'say', text: 'in rust now' });
    expect(await bob!.next('message')).toMatchObject({ room: '#rust', text: 'in rust now' });
    await alice!.sync();
    expect(alice!.messages.filter((m) => m.type === 'message')).toEqual([]);
  });
});

describe('nick', () => {
  it('tells everyone on the server, in every room, and the new name is used from then on', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    bob!.send({ type: 'join', room: '#far' });
    await bob!.next('room');
    alice!.send({ type: 'nick', name: 'alicia' });
    const renamed = { type: 'renamed', ts: expect.any(Number), from: 'alice', to: 'alicia' };
    expect(await alice!.next('renamed')).toEqual(renamed);
    expect(await bob!.next('renamed')).toEqual(renamed);
    bob!.send({ type: 'msg', to: 'alicia', text: 'hi' });
    expect(await alice!.next('private')).toMatchObject({ to: 'alicia' });
  });

  it('frees the old name for someone else', async () => {
    const { port } = await startServer();
    const [alice] = await loginAll(port, 'alice');
    alice!.send({ type: 'nick', name: 'alicia' });
    await alice!.next('renamed');
    const other = await RawClient.connect(port);
    other.send({ type: 'hello', name: 'alice' });
    expect(await other.next('welcome')).toMatchObject({ you: 'alice' });
  });

  it('allows a change of case only', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    alice!.send({ type: 'nick', name: 'Alice' });
    expect(await bob!.next('renamed')).toMatchObject({ from: 'alice', to: 'Alice' });
  });

  it("to one's own name is answered to the sender alone", async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    alice!.send({ type: 'nick', name: 'alice' });
    expect(await alice!.next('renamed')).toMatchObject({ from: 'alice', to: 'alice' });
    await bob!.sync();
    expect(bob!.messages.filter((m) => m.type === 'renamed')).toEqual([]);
  });
});

describe('ping and pong', () => {
  it.each([
    ['a string token', 'abc-123'],
    ['a number token', 987654321],
    ['a millisecond timestamp', 1_795_449_659_533],
  ])('ping with %s gets a pong with the same token', async (_what, token) => {
    const { port } = await startServer();
    const [alice] = await loginAll(port, 'alice');
    alice!.send({ type: 'ping', token });
    expect(await alice!.next('pong')).toEqual({ type: 'pong', token });
  });

  it('ping without a token gets a pong without one, even before login', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    client.send({ type: 'ping' });
    expect(await client.next('pong')).toEqual({ type: 'pong' });
  });

  it('pong from the client is taken silently', async () => {
    const { port } = await startServer();
    const [alice] = await loginAll(port, 'alice');
    alice!.send({ type: 'pong', token: 5 });
    alice!.send({ type: 'ping', token: 'after' });
    // The first thing back is the answer to the ping: the pong produced nothing.
    expect(await alice!.next()).toEqual({ type: 'pong', token: 'after' });
  });
});

describe('leaving', () => {
  it('logout is answered with bye, the connection closes, and the room hears "logout"', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    bob!.send({ type: 'logout', reason: 'dinner' });
    expect(await bob!.next('bye')).toEqual({ type: 'bye', reason: 'logout' });
    await bob!.waitClosed();
    expect(await alice!.next('left')).toEqual({
      type: 'left',
      ts: expect.any(Number),
      room: '#main',
      name: 'bob',
      reason: 'logout',
      clients: 1,
    });
  });

  it('logout before login says bye and closes', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    client.send({ type: 'logout' });
    expect(await client.next('bye')).toEqual({ type: 'bye', reason: 'logout' });
    await client.waitClosed();
  });

  it('an abrupt close is told to the room as "disconnect" and frees the name', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    bob!.close();
    expect(await alice!.next('left')).toMatchObject({ name: 'bob', reason: 'disconnect', clients: 1 });
    const again = await RawClient.connect(port);
    again.send({ type: 'hello', name: 'bob' });
    expect(await again.next('welcome')).toMatchObject({ you: 'bob' });
  });
});

describe('message ids', () => {
  it('increase by exactly one for every message and private message the server delivers', async () => {
    const { port } = await startServer();
    const [alice, bob, carol] = await loginAll(port, 'alice', 'bob', 'carol');
    // Everything below is seen by alice: says in her room and privates to her.
    bob!.send({ type: 'say', text: 'one' });
    carol!.send({ type: 'msg', to: 'alice', text: 'two' });
    alice!.send({ type: 'say', text: 'three', action: true });
    bob!.send({ type: 'msg', to: 'alice', text: 'four' });
    carol!.send({ type: 'say', text: 'five' });
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push(await alice!.next(undefined, (m) => m.type === 'message' || m.type === 'private'));
    const ids = seen.map((m) => m.id as number);
    expect(ids).toEqual([ids[0], ids[0]! + 1, ids[0]! + 2, ids[0]! + 3, ids[0]! + 4]);
  });

  it('are one sequence for the whole server, across rooms', async () => {
    const { port } = await startServer();
    const [alice, bob] = await loginAll(port, 'alice', 'bob');
    await moveTo(bob!, '#other');
    alice!.send({ type: 'say', text: 'in main' });
    const first = await alice!.next('message');
    bob!.send({ type: 'say', text: 'in other' });
    const second = await bob!.next('message');
    expect(second.id).toBe((first.id as number) + 1);
  });
});
