/**
 * history() and search() in the bot API, against a real server: each resolves with the page its
 * label matches, refusals reject with ServerError, and a requested page is not also an event
 * (the history the server sends by itself after a welcome or a join still is).
 */
import { describe, expect, it } from 'vitest';
import { connect, type Connection, type MessageMsg, type ServerMessage } from '../../src/protocol/internal.js';
import { startServer } from '../helpers/server.js';
import { errorOf } from '../helpers/wait.js';

function said(bot: Connection, text: string, room?: string): Promise<MessageMsg> {
  return new Promise((resolve, reject) =>
    bot.say(text, { ...(room === undefined ? {} : { room }), done: (err, m) => (err ? reject(err) : resolve(m!)) }),
  );
}

/** Every message the connection delivers as an event, from now on. */
function events(bot: Connection): ServerMessage[] {
  const seen: ServerMessage[] = [];
  bot.on('message', (m) => seen.push(m));
  return seen;
}

describe('history()', () => {
  it('resolves with the latest page, or the page before or after an id, and none of them is an event', async () => {
    const { port } = await startServer();
    const bot = await connect({ host: '127.0.0.1', port, name: 'bot' });
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push((await said(bot, `line ${i}`)).id);
    const seen = events(bot);

    const latest = await bot.history({ room: 'main' }, { limit: 3 });
    expect(latest).toMatchObject({ type: 'history', room: '#main', more: true, label: expect.any(String) });
    expect(latest.messages.map((m) => m.id)).toEqual(ids.slice(3));
    const before = await bot.history({ room: '#main' }, { before: ids[3]!, limit: 2, label: 'older' });
    expect(before).toMatchObject({ label: 'older', more: true });
    expect(before.messages.map((m) => m.id)).toEqual(ids.slice(1, 3));
    const after = await bot.history({ room: '#main' }, { after: ids[3]! });
    expect(after).toMatchObject({ more: false });
    expect(after.messages.map((m) => (m as MessageMsg).text)).toEqual(['line 4', 'line 5']);
    // Two in flight at once: each gets its own page.
    const [a, b] = await Promise.all([bot.history({ room: '#main' }, { limit: 1 }), bot.history({ room: '#main' }, { limit: 2 })]);
    expect([a.messages.length, b.messages.length]).toEqual([1, 2]);
    expect(await bot.history({ with: 'bob' })).toMatchObject({ type: 'history', with: 'bob', messages: [], more: false });

    // The pong comes after every answer above: by then any of them would have been an event.
    await bot.ping();
    expect(seen.filter((m) => m.type === 'history')).toEqual([]);
    await bot.close();
  });

  it('rejects with the ServerError: not_in_room, bad_request', async () => {
    const { port } = await startServer();
    const bot = await connect({ host: '127.0.0.1', port, name: 'bot' });
    const seen = events(bot);
    expect(await errorOf(bot.history({ room: '#elsewhere' }))).toMatchObject({ name: 'ServerError', code: 'not_in_room', ref: 'history' });
    expect(await errorOf(bot.history({ room: '#main' }, { before: 5, after: 1 }))).toMatchObject({
      name: 'ServerError',
      code: 'bad_request',
    });
    await bot.ping();
    expect(seen.filter((m) => m.type === 'error')).toEqual([]);
    expect(bot.isOpen).toBe(true);
    await bot.close();
  });

  it('leaves the history after a welcome and after a join on the iterator, as before', async () => {
    const { port } = await startServer();
    const bob = await connect({ host: '127.0.0.1', port, name: 'bob', rooms: ['#rust'] });
    const first = await said(bob, 'rust is fun', '#rust');
    const bot = await connect({ host: '127.0.0.1', port, name: 'bot', rooms: ['#rust'] });
    const it = bot[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ type: 'history', room: '#rust', messages: [{ id: first.id }] });
    await bot.join('#main');
    expect((await it.next()).value).toMatchObject({ type: 'room', room: '#main' });
    expect((await it.next()).value).toMatchObject({ type: 'history', room: '#main', messages: [] });
    await bot.close();
    await bob.close();
  });
});

describe('search()', () => {
  it('resolves with results newest first, by room and sender, paged with before, not as an event', async () => {
    const { port } = await startServer();
    const bot = await connect({ host: '127.0.0.1', port, name: 'bot', rooms: ['#main', '#rust'] });
    const bob = await connect({ host: '127.0.0.1', port, name: 'bob', rooms: ['#main', '#rust'] });
    const one = await said(bot, 'deploy on friday', '#main');
    const two = await said(bob, 'no deploy on Friday', '#rust');
    const three = await said(bob, 'friday deploy went fine', '#main');
    await said(bot, 'unrelated', '#main');
    const seen = events(bot);

    const all = await bot.search('deploy friday');
    expect(all).toMatchObject({ type: 'results', more: false });
    expect(all.messages.map((m) => m.id)).toEqual([three.id, two.id, one.id]);
    expect((await bot.search('deploy', { room: 'rust' })).messages.map((m) => m.id)).toEqual([two.id]);
    expect((await bot.search('deploy', { from: 'bob' })).messages.map((m) => m.id)).toEqual([three.id, two.id]);
    const page = await bot.search('deploy', { limit: 2, label: 's1' });
    expect(page).toMatchObject({ label: 's1', more: true });
    const rest = await bot.search('deploy', { before: page.messages.at(-1)!.id });
    expect(rest.messages.map((m) => m.id)).toEqual([one.id]);
    expect(await errorOf(bot.search('deploy', { room: '#nowhere' }))).toMatchObject({ name: 'ServerError', code: 'not_in_room' });
    expect(await errorOf(bot.search(''))).toMatchObject({ name: 'ServerError', code: 'bad_text' });

    await bot.ping();
    expect(seen.filter((m) => m.type === 'results' || m.type === 'error')).toEqual([]);
    await bot.close();
    await bob.close();
  });
});
