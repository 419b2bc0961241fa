/**
 * The bot API on protocol version 2 rooms, against a real server: join adds a room, part leaves
 * one, say{room}, topic, look{room}, hello.rooms, and requests settled by their label.
 */
import { describe, expect, it } from 'vitest';
import {
  connect,
  ProtocolError,
  ServerError,
  type Connection,
  type MessageMsg,
  type PrivateMsg,
  type SayOptions,
} from '../../src/protocol/internal.js';
import { startServer } from '../helpers/server.js';
import { errorOf } from '../helpers/wait.js';

/** say() (or me() with `action`) as a promise, settled by its `done`. */
function said(bot: Connection, text: string, options: SayOptions & { action?: boolean } = {}): Promise<MessageMsg> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | undefined, m?: MessageMsg): void => (err ? reject(err) : resolve(m!));
    if (options.action === true) bot.me(text, { ...options, done });
    else bot.say(text, { ...options, done });
  });
}

async function bots<N extends string[]>(port: number, ...names: N): Promise<{ [K in keyof N]: Connection }> {
  return (await Promise.all(names.map((name) => connect({ host: '127.0.0.1', port, name })))) as { [K in keyof N]: Connection };
}

describe('rooms of a connection', () => {
  it('starts in the rooms of hello.rooms, or in none', async () => {
    const { port } = await startServer();
    const bot = await connect({ host: '127.0.0.1', port, name: 'bot', rooms: ['rust', '#Go'] });
    expect(bot.joinedRooms).toEqual(['#rust', '#go']);
    expect(bot.room).toBe('#rust');
    const loner = await connect({ host: '127.0.0.1', port, name: 'loner', rooms: [] });
    expect(loner.joinedRooms).toEqual([]);
    expect(Object.isFrozen(loner.joinedRooms)).toBe(true);
    expect(loner.room).toBeUndefined();
    expect(await errorOf(said(loner, 'anyone?'))).toMatchObject({ name: 'ServerError', code: 'not_in_room', ref: 'say' });
    expect(await errorOf(loner.look())).toMatchObject({ name: 'ServerError', code: 'not_in_room', ref: 'look' });
    await bot.close();
    await loner.close();
  });

  it('join adds a room and makes it current, part leaves it and resolves with our own left', async () => {
    const { port } = await startServer();
    const [bot, bob] = await bots(port, 'bot', 'bob');
    const state = await bot.join('Rust');
    expect(state).toMatchObject({ type: 'room', room: '#rust', topic: '', users: ['bot'] });
    expect(bot.joinedRooms).toEqual(['#main', '#rust']);
    expect(bot.room).toBe('#rust');
    // Joining a room we are in answers its state and changes nothing.
    expect((await bot.join('#main')).users).toEqual(['bob', 'bot']);
    expect(bot.joinedRooms).toEqual(['#main', '#rust']);
    expect(bot.room).toBe('#main');

    const bobSees = bob.waitFor('left');
    const left = await bot.part('#main', 'lunch');
    expect(left).toMatchObject({ type: 'left', room: '#main', name: 'bot', reason: 'part', text: 'lunch' });
    expect(await bobSees).toMatchObject({ room: '#main', name: 'bot', text: 'lunch' });
    expect(bot.joinedRooms).toEqual(['#rust']);
    // The current room was left: the last of the others is current now.
    expect(bot.room).toBe('#rust');
    await bot.part('rust');
    expect(bot.joinedRooms).toEqual([]);
    expect(bot.room).toBeUndefined();
    await bot.close();
    await bob.close();
  });

  it('keeps joinedRooms read-only: a new frozen array after each change', async () => {
    const { port } = await startServer();
    const [bot] = await bots(port, 'bot');
    const before = bot.joinedRooms;
    expect(Object.isFrozen(before)).toBe(true);
    await bot.join('#rust');
    expect(before).toEqual(['#main']);
    expect(bot.joinedRooms).toEqual(['#main', '#rust']);
    await bot.close();
  });

  it('say goes to the current room, or to options.room, and resolves with our own copy', async () => {
    const { port } = await startServer();
    const [bot, bob] = await bots(port, 'bot', 'bob');
    void bot.join('#rust');
    // Not awaited: the server handles requests in order, so this goes to #rust already.
    const inRust = await said(bot, 'in rust');
    expect(inRust).toMatchObject({ type: 'message', room: '#rust', from: 'bot', text: 'in rust' });
    const bobSees = bob.waitFor('message');
    const inMain = await said(bot, 'in main', { room: 'main', label: 'x1' });
    expect(inMain).toMatchObject({ room: '#main', text: 'in main', label: 'x1' });
    expect(await bobSees).toMatchObject({ room: '#main', text: 'in main' });
    expect(await said(bot, 'waves', { room: '#rust', action: true })).toMatchObject({ room: '#rust', action: true });
    const sent = await new Promise<PrivateMsg | undefined>((resolve, reject) =>
      bot.msg('bob', 'psst', { done: (err, m) => (err ? reject(err) : resolve(m)) }),
    );
    expect(sent).toMatchObject({ type: 'private', to: 'bob', text: 'psst', label: expect.any(String) });
    const refused = await new Promise<Error | undefined>((resolve) => bot.msg('nobody', 'hi', { done: resolve }));
    expect(refused).toMatchObject({ name: 'ServerError', code: 'no_such_user', ref: 'msg' });
    await bot.close();
    await bob.close();
  });

  it('topic asks and sets, resolving with the topic reply', async () => {
    const { port } = await startServer();
    const [bot, bob] = await bots(port, 'bot', 'bob');
    expect(await bot.topic('#main')).toMatchObject({ type: 'topic', room: '#main', text: '', by: '', ts: 0 });
    const bobSees = bob.waitFor('topic');
    expect(await bot.topic('main', 'all about bots')).toMatchObject({ room: '#main', text: 'all about bots', by: 'bot' });
    expect(await bobSees).toMatchObject({ text: 'all about bots', by: 'bot' });
    expect((await bob.topic('#main')).text).toBe('all about bots');
    expect(await bot.topic('#main', '')).toMatchObject({ text: '' });
    await bot.close();
    await bob.close();
  });

  it('look answers any room, and our current room without one', async () => {
    const { port } = await startServer();
    const [bot, bob] = await bots(port, 'bot', 'bob');
    await bob.join('#rust');
    expect(await bot.look('#rust')).toMatchObject({ room: '#rust', users: ['bob'] });
    // A look at a room we are not in does not make us a member.
    expect(bot.joinedRooms).toEqual(['#main']);
    expect(await bot.look()).toMatchObject({ room: '#main', users: ['bob', 'bot'] });
    await bot.close();
    await bob.close();
  });
});

describe('refusals', () => {
  it('reject with ServerError: not_in_room for part, topic and say, too_many_rooms for join', async () => {
    const { port } = await startServer({ maxRoomsPerUser: 2 });
    const [bot] = await bots(port, 'bot');
    expect(await errorOf(bot.part('#nowhere'))).toMatchObject({ name: 'ServerError', code: 'not_in_room', ref: 'part' });
    expect(await errorOf(bot.topic('#nowhere', 'mine'))).toMatchObject({ name: 'ServerError', code: 'not_in_room', ref: 'topic' });
    expect(await errorOf(said(bot, 'hi', { room: '#nowhere' }))).toMatchObject({ name: 'ServerError', code: 'not_in_room', ref: 'say' });
    await bot.join('#one');
    const refused = await errorOf(bot.join('#two'));
    expect(refused).toBeInstanceOf(ServerError);
    expect(refused).toMatchObject({ code: 'too_many_rooms', ref: 'join' });
    // The refused join is not our room, current or otherwise.
    expect(bot.joinedRooms).toEqual(['#main', '#one']);
    expect(bot.room).toBe('#one');
    expect(bot.isOpen).toBe(true);
    await bot.close();
  });

  it('refuses a label that is too long or still waiting, before sending', async () => {
    const { port } = await startServer();
    const [bot] = await bots(port, 'bot');
    expect(() => bot.say('hi', { label: 'x'.repeat(65) })).toThrow(ProtocolError);
    const first = said(bot, 'one', { label: 'same' });
    expect(() => bot.say('two', { label: 'same', done: () => {} })).toThrow(/still waiting/);
    expect(await first).toMatchObject({ text: 'one', label: 'same' });
    // Settled: the label is free again.
    expect(await said(bot, 'three', { label: 'same' })).toMatchObject({ text: 'three' });
    await bot.close();
  });
});

describe('requests settle by label', () => {
  it('two concurrent requests of the same type each get their own answer', async () => {
    const { port } = await startServer();
    const [bot, bob] = await bots(port, 'bot', 'bob');
    await bob.join('#rust');
    await bob.topic('#rust', 'rusty');
    // Same type, in flight together: each promise gets the answer to its own request.
    const [rust, main] = await Promise.all([bot.look('#rust'), bot.look('#main')]);
    expect(rust).toMatchObject({ room: '#rust', users: ['bob'] });
    expect(main).toMatchObject({ room: '#main', users: ['bob', 'bot'] });
    const [t1, t2] = await Promise.all([bot.topic('#main'), bot.topic('#rust')]);
    expect([t1.room, t1.text, t2.room, t2.text]).toEqual(['#main', '', '#rust', 'rusty']);
    // One refused, one answered, of the same type: the refusal rejects only its own.
    const [gone, there] = await Promise.allSettled([bot.part('#rust'), bot.part('#main')]);
    expect(gone).toMatchObject({ status: 'rejected', reason: { code: 'not_in_room' } });
    expect(there).toMatchObject({ status: 'fulfilled', value: { room: '#main', name: 'bot' } });
    await bot.close();
    await bob.close();
  });

  it('a join answered while another join is still waiting settles each by label', async () => {
    const { port } = await startServer({ maxRoomsPerUser: 2 });
    const [bot] = await bots(port, 'bot');
    const [ok, refused] = await Promise.allSettled([bot.join('#a'), bot.join('#b')]);
    expect(ok).toMatchObject({ status: 'fulfilled', value: { room: '#a' } });
    expect(refused).toMatchObject({ status: 'rejected', reason: { code: 'too_many_rooms' } });
    expect(bot.joinedRooms).toEqual(['#main', '#a']);
    expect(bot.room).toBe('#a');
    await bot.close();
  });

  it('is not settled by a message of the same type that answers something else', async () => {
    const { port } = await startServer();
    const [bot, bob] = await bots(port, 'bot', 'bob');
    await bob.join('#rust');
    await bob.topic('#rust', 'rusty');
    // Sent as is, unlabelled: its `topic` and `room` come first, and are not our answers.
    bot.send({ type: 'topic', room: '#main', text: 'set by hand' });
    bot.send({ type: 'look', room: '#main' });
    const [topic, look] = await Promise.all([bot.topic('#rust'), bot.look('#rust')]);
    expect(topic).toMatchObject({ room: '#rust', text: 'rusty' });
    expect(look).toMatchObject({ room: '#rust', users: ['bob'] });
    await bot.close();
    await bob.close();
  });

  it('does not take another request’s answer: a look of a room right after joining it', async () => {
    const { port } = await startServer();
    const [bot] = await bots(port, 'bot');
    // Both answers are `room` messages for #rust; by type and order they look alike.
    const [joined, looked] = await Promise.all([bot.join('#rust'), bot.look('#main')]);
    expect(joined.room).toBe('#rust');
    expect(looked.room).toBe('#main');
    await bot.close();
  });
});
