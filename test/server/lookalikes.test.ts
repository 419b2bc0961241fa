import { describe, expect, it } from 'vitest';
import { startServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw.js';

describe('look-alike names are refused while the name they copy is online', () => {
  it.each([
    ['Cyrillic а', 'аlice'],
    ['fullwidth ａ', 'ａlice'],
    ['mathematical bold 𝐚', '𝐚lice'],
    ['capital I for l', 'AIice'],
    ['Cyrillic А in capitals', 'АLICE'],
  ])('hello as %s (%j) with alice online gets name_taken naming alice', async (_what, name) => {
    const { port } = await startServer();
    await RawClient.login(port, 'alice');
    const client = await RawClient.connect(port);
    client.send({ type: 'hello', name });
    const error = await client.next('error');
    expect(error).toMatchObject({ code: 'name_taken', ref: 'hello' });
    expect(error['message']).toContain('"alice"');
    client.send({ type: 'hello', name: 'alíce' });
    expect(await client.next('welcome')).toMatchObject({ you: 'alíce' });
  });

  it('nick to a look-alike of someone online is refused; to a look-alike of your own name it is not', async () => {
    const { port } = await startServer();
    await RawClient.login(port, 'alice');
    const bob = await RawClient.login(port, 'bob');
    bob.send({ type: 'nick', name: 'аlice' });
    expect(await bob.next('error')).toMatchObject({ code: 'name_taken', ref: 'nick' });
    bob.send({ type: 'nick', name: 'b0b' });
    expect(await bob.next('renamed')).toMatchObject({ from: 'bob', to: 'b0b' });
  });

  it('frees the look-alikes of a name when its holder renames or leaves', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const mallory = await RawClient.login(port, 'mallory');
    alice.send({ type: 'nick', name: 'carol' });
    await alice.next('renamed');
    mallory.send({ type: 'nick', name: 'аlice' });
    expect(await mallory.next('renamed', (m) => m['from'] === 'mallory')).toMatchObject({ to: 'аlice' });
    mallory.send({ type: 'logout' });
    await mallory.next('bye');
    const late = await RawClient.login(port, 'alice');
    late.send({ type: 'who' });
    expect((await late.next('users'))['users']).toEqual(expect.arrayContaining(['carol', 'alice']));
  });
});

describe('a look-alike of an existing room is that room', () => {
  it('joining "#ruѕt" (Cyrillic ѕ) while #rust exists lands in #rust, with its members', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'join', room: '#rust' });
    await alice.next('room');
    const bob = await RawClient.login(port, 'bob');
    bob.send({ type: 'join', room: '#ruѕt' });
    expect(await bob.next('room')).toEqual({ type: 'room', room: '#rust', topic: '', users: ['alice', 'bob'] });
    expect(await alice.next('joined', (m) => m.room === '#rust')).toMatchObject({ room: '#rust', name: 'bob' });
  });

  it('a look-alike of #main is #main even while #main is empty', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'join', room: '#rust' });
    await alice.next('room');
    alice.send({ type: 'part', room: '#main' });
    await alice.next('left');
    alice.send({ type: 'join', room: '#mаin' });
    expect(await alice.next('room')).toEqual({ type: 'room', room: '#main', topic: '', users: ['alice'] });
    const bob = await RawClient.login(port, 'bob');
    expect(await alice.next('joined')).toMatchObject({ room: '#main', name: 'bob' });
    bob.send({ type: 'rooms' });
    expect((await bob.next('rooms'))['rooms']).toEqual([
      { room: '#main', users: 2, topic: '' },
      { room: '#rust', users: 1, topic: '' },
    ]);
  });

  it('once a room is empty, a look-alike of it is a room of its own', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'join', room: '#rust' });
    await alice.next('room');
    alice.send({ type: 'part', room: '#rust' });
    await alice.next('left');
    alice.send({ type: 'join', room: '#ruѕt' });
    expect(await alice.next('room')).toMatchObject({ room: '#ruѕt' });
  });
});
