/**
 * Moderation over real sockets: operators (configured, or marked in the store) and room founders
 * kick, ban (names and addresses, rooms and the server, with durations), mute, and set topics;
 * everyone else gets not_operator; the banned get one clear `banned` error. Every action is logged.
 */
import { describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/server/config.js';
import { MemoryStore } from '../../src/server/store/memory.js';
import { CHEAP_SCRYPT, helloOn as hello, PASSWORD, registered } from '../helpers/accounts.js';
import { RawClient } from '../helpers/raw.js';
import { startClockedServer, startServer } from '../helpers/server.js';

function start(config: Partial<ServerConfig> = {}): ReturnType<typeof startServer> {
  return startServer({ scrypt: CHEAP_SCRYPT, operators: ['op'], ...config });
}

/** `name` logged in and registered (an account now, logged in to it). */
const account = (port: number, name: string, extra: Record<string, unknown> = {}): Promise<RawClient> =>
  registered(port, name, PASSWORD, extra);

describe('moderation', () => {
  it('an operator kicks from a room: left{kicked} to the room and to the one kicked, who stays online', async () => {
    const { port, logs } = await start();
    const op = await account(port, 'op');
    const bob = await RawClient.login(port, 'bob');
    const carol = await RawClient.login(port, 'carol');
    op.send({ type: 'kick', name: 'BOB', room: '#main', reason: 'be nice', label: 'k1' });
    expect(await op.next('moderated')).toMatchObject({ action: 'kick', name: 'bob', room: '#main', reason: 'be nice', label: 'k1' });
    const left = { type: 'left', room: '#main', name: 'bob', reason: 'kicked', text: 'be nice', by: 'op' };
    expect(await carol.next('left')).toMatchObject(left);
    expect(await bob.next('left')).toMatchObject(left);
    // Still online, in no room.
    bob.send({ type: 'who' });
    expect((await bob.next('users')).users).toContain('bob');
    await op.sync();
    expect(logs.some((l) => /event=kick by=op target=bob .*room=#main reason="be nice"/.test(l))).toBe(true);
  });

  it('an operator kicks off the server: bye{kicked} to them, left{kicked} to each of their rooms', async () => {
    const { port } = await start();
    const op = await account(port, 'op');
    const bob = await RawClient.login(port, 'bob', { rooms: ['#main', '#rust'] });
    const carol = await RawClient.login(port, 'carol', { rooms: ['#rust'] });
    op.send({ type: 'kick', name: 'bob', reason: 'spam' });
    expect(await op.next('moderated')).toMatchObject({ action: 'kick', name: 'bob' });
    // The room's news comes before the answer.
    expect(op.messages).toContainEqual(expect.objectContaining({ type: 'left', room: '#main', name: 'bob', reason: 'kicked' }));
    expect(await bob.next('bye')).toMatchObject({ reason: 'kicked', text: 'Kicked by op: spam' });
    await bob.waitClosed();
    expect(await carol.next('left')).toMatchObject({ room: '#rust', name: 'bob', reason: 'kicked', by: 'op' });
  });

  it('refuses guests, ordinary accounts and founders of other rooms with not_operator', async () => {
    const { port } = await start();
    const guest = await RawClient.login(port, 'guest');
    const member = await account(port, 'member');
    await RawClient.login(port, 'bob');
    for (const c of [guest, member]) {
      for (const request of [
        { type: 'kick', name: 'bob', room: '#main' },
        { type: 'kick', name: 'bob' },
        { type: 'ban', name: 'bob' },
        { type: 'unban', name: 'bob' },
        { type: 'bans' },
        { type: 'mute', room: '#main', name: 'bob' },
        { type: 'unmute', room: '#main', name: 'bob' },
      ]) {
        c.send(request);
        expect(await c.next('error')).toMatchObject({ code: 'not_operator', ref: request.type });
      }
    }
    // A founder of #mine is no one in #main, and not an operator of the server.
    member.send({ type: 'join', room: '#mine' });
    await member.next('room');
    member.send({ type: 'kick', name: 'bob', room: '#main' });
    expect(await member.next('error')).toMatchObject({ code: 'not_operator' });
    member.send({ type: 'kick', name: 'bob' });
    expect(await member.next('error')).toMatchObject({ code: 'not_operator' });
  });

  it('a room founder kicks, bans, mutes and sets the topic in their room', async () => {
    const { port } = await start();
    const founder = await account(port, 'founder', { rooms: [] });
    founder.send({ type: 'join', room: '#Den' });
    await founder.next('room');
    const bob = await RawClient.login(port, 'bob', { rooms: ['#den'] });
    founder.send({ type: 'mute', room: '#den', name: 'bob', duration: 60 });
    expect(await founder.next('moderated')).toMatchObject({ action: 'mute', name: 'bob', room: '#den' });
    expect((await bob.next('notice')).text).toMatch(/^founder muted you in #den until \d{4}-/);
    bob.send({ type: 'say', room: '#den', text: 'hello?' });
    expect(await bob.next('error')).toMatchObject({ code: 'muted', ref: 'say' });
    // Renaming does not escape a mute.
    bob.send({ type: 'nick', name: 'bobby' });
    await bob.next('renamed');
    bob.send({ type: 'say', room: '#den', text: 'hello?' });
    expect(await bob.next('error')).toMatchObject({ code: 'muted' });
    founder.send({ type: 'unmute', room: '#den', name: 'bobby' });
    await founder.next('moderated');
    bob.send({ type: 'say', room: '#den', text: 'thanks' });
    expect(await bob.next('message')).toMatchObject({ text: 'thanks' });
    founder.send({ type: 'ban', name: 'bobby', room: '#den', reason: 'enough' });
    expect(await founder.next('moderated')).toMatchObject({ action: 'ban', name: 'bobby', room: '#den', kicked: 1 });
    expect(await bob.next('left')).toMatchObject({ room: '#den', reason: 'kicked', text: 'enough' });
    bob.send({ type: 'join', room: '#den' });
    const refused = await bob.next('error');
    expect(refused).toMatchObject({ code: 'banned', ref: 'join' });
    expect(refused['message']).toBe('You are banned from #den until lifted: enough');
    // The founder may set the topic from outside the room; a non-member may not.
    founder.send({ type: 'part', room: '#den' });
    await founder.next('left');
    founder.send({ type: 'topic', room: '#den', text: 'the den' });
    expect(await founder.next('topic')).toMatchObject({ room: '#den', text: 'the den', by: 'founder' });
    bob.send({ type: 'topic', room: '#den', text: 'mine now' });
    expect(await bob.next('error')).toMatchObject({ code: 'not_in_room' });
  });

  it('a server ban of a name refuses hello with banned and closes; it kicks the name if online', async () => {
    const { port } = await start();
    const op = await account(port, 'op');
    const troll = await RawClient.login(port, 'troll');
    op.send({ type: 'ban', name: 'Troll', reason: 'spam', duration: 3600 });
    const done = await op.next('moderated');
    expect(done).toMatchObject({ action: 'ban', name: 'Troll', kicked: 1, reason: 'spam' });
    expect(await troll.next('bye')).toMatchObject({ reason: 'kicked' });
    await troll.waitClosed();
    const { client, answer } = await hello(port, { name: 'TROLL' });
    expect(answer).toMatchObject({ type: 'error', code: 'banned', ref: 'hello' });
    expect(answer['message']).toMatch(/^You are banned from this server until \d{4}-\d\d-\d\d \d\d:\d\d UTC: spam$/);
    await client.waitClosed();
    // nick to a banned name is refused too.
    const other = await RawClient.login(port, 'other');
    other.send({ type: 'nick', name: 'troll' });
    expect(await other.next('error')).toMatchObject({ code: 'banned', ref: 'nick' });
    // Listed, then lifted.
    op.send({ type: 'bans' });
    const list = await op.next('bans');
    expect(list).toMatchObject({ more: false, bans: [{ name: 'Troll', by: 'op', reason: 'spam' }] });
    op.send({ type: 'unban', name: 'troll' });
    expect(await op.next('moderated')).toMatchObject({ action: 'unban', name: 'troll' });
    op.send({ type: 'unban', name: 'troll' });
    expect(await op.next('error')).toMatchObject({ code: 'no_such_ban' });
    expect((await hello(port, { name: 'troll' })).answer).toMatchObject({ type: 'welcome' });
  });

  it('an address ban matches IPv4 exactly; the operator who bans their own address is not held out', async () => {
    const { port, logs } = await start();
    const op = await account(port, 'op');
    const bob = await RawClient.login(port, 'bob');
    op.send({ type: 'ban', address: '127.0.0.2' });
    expect(await op.next('moderated')).toMatchObject({ address: '127.0.0.2', kicked: 0 });
    expect((await hello(port, { name: 'fresh' })).answer).toMatchObject({ type: 'welcome' });
    op.send({ type: 'ban', address: '127.0.0.1', reason: 'everyone out' });
    expect(await op.next('moderated')).toMatchObject({ address: '127.0.0.1', kicked: 2 });
    await bob.waitClosed();
    expect((await hello(port, { name: 'newcomer' })).answer).toMatchObject({ code: 'banned' });
    // An operator logging in with the account's password still gets in.
    op.close();
    await new Promise((r) => setTimeout(r, 50));
    expect((await hello(port, { name: 'op', auth: { password: PASSWORD } })).answer).toMatchObject({ type: 'welcome', account: 'op' });
    expect(logs.some((l) => /event=ban by=op kind=address target=127\.0\.0\.1 reason="everyone out" kicked=2/.test(l))).toBe(true);
    expect(logs.some((l) => /event=banned .*name=newcomer/.test(l))).toBe(true);
  });

  it('refuses a ban request without exactly one target, or with a bad address or duration', async () => {
    const { port } = await start();
    const op = await account(port, 'op');
    for (const bad of [
      {},
      { name: 'a', address: '10.0.0.1' },
      { address: '10.0.0.300' },
      { address: '10.0.0.1:80' },
      { name: 'a', duration: 0 },
      { name: 'a', duration: 1.5 },
    ]) {
      op.send({ type: 'ban', ...bad });
      expect(await op.next('error')).toMatchObject({ code: 'bad_request', ref: 'ban' });
    }
  });

  it('bans and mutes expire after their duration', async () => {
    const { port, advance } = await startClockedServer({ scrypt: CHEAP_SCRYPT, operators: ['op'] });
    const op = await account(port, 'op');
    const bob = await RawClient.login(port, 'bob');
    op.send({ type: 'mute', room: '#main', name: 'bob', duration: 10 });
    await op.next('moderated');
    bob.send({ type: 'say', text: 'a' });
    expect(await bob.next('error')).toMatchObject({ code: 'muted' });
    advance(10_000);
    bob.send({ type: 'say', text: 'b' });
    expect(await bob.next('message')).toMatchObject({ text: 'b' });
    op.send({ type: 'ban', name: 'carol', duration: 30 });
    await op.next('moderated');
    expect((await hello(port, { name: 'carol' })).answer).toMatchObject({ code: 'banned' });
    advance(30_000);
    expect((await hello(port, { name: 'carol' })).answer).toMatchObject({ type: 'welcome' });
    op.send({ type: 'bans' });
    expect(await op.next('bans')).toMatchObject({ bans: [] });
  });

  it('an operator marked in the store (as the CLI does) has the rights; a guest of that name does not', async () => {
    const store = new MemoryStore();
    const { port } = await startServer({ scrypt: CHEAP_SCRYPT }, { store });
    const alice = await account(port, 'alice');
    await RawClient.login(port, 'bob');
    alice.send({ type: 'kick', name: 'bob', room: '#main' });
    expect(await alice.next('error')).toMatchObject({ code: 'not_operator' });
    expect(await store.setOperator('alice', true)).toBe(true);
    alice.send({ type: 'kick', name: 'bob', room: '#main' });
    expect(await alice.next('moderated')).toMatchObject({ action: 'kick' });
  });
});
