/**
 * Accounts over real sockets: register the current name, a registered name reserved at hello and
 * nick (look-alikes too), login with the password, passwd, unregister, closed registration,
 * --require-account; private history for the accounts that were a party and for nobody else.
 * scrypt runs with small parameters here (N=1024) so that the suite stays quick; the default ones
 * are exercised in test/server/passwords.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/server/config.js';
import { CHEAP_SCRYPT, helloOn as hello, PASSWORD, registered } from '../helpers/accounts.js';
import { RawClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

function start(config: Partial<ServerConfig> = {}): ReturnType<typeof startServer> {
  return startServer({ scrypt: CHEAP_SCRYPT, ...config });
}

describe('accounts', () => {
  it('register makes the current name an account; a guest then gets name_reserved at hello', async () => {
    const { port } = await start();
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'register', password: PASSWORD, label: 'r1' });
    expect(await alice.next('registered')).toMatchObject({ name: 'alice', label: 'r1' });
    alice.close();
    await new Promise((r) => setTimeout(r, 50));
    const { answer } = await hello(port, { name: 'alice' });
    expect(answer).toMatchObject({ type: 'error', code: 'name_reserved', ref: 'hello' });
    expect(String(answer['message'])).not.toContain(PASSWORD);
    // A look-alike (Cyrillic а) and a case variant are reserved too.
    expect((await hello(port, { name: '\u0430lice' })).answer).toMatchObject({ code: 'name_reserved' });
    expect((await hello(port, { name: 'ALICE' })).answer).toMatchObject({ code: 'name_reserved' });
  });

  it('logs in with the password (welcome.account), refuses a wrong one with login_failed', async () => {
    const { port } = await start();
    (await registered(port, 'alice')).close();
    await new Promise((r) => setTimeout(r, 50));
    const wrong = await hello(port, { name: 'alice', auth: { password: 'not the password' } });
    expect(wrong.answer).toMatchObject({ type: 'error', code: 'login_failed', ref: 'hello' });
    expect(String(wrong.answer['message'])).not.toContain('not the password');
    // The connection stays: the right password on it logs in.
    wrong.client.send({ type: 'hello', name: 'Alice', auth: { password: PASSWORD } });
    expect(await wrong.client.next('welcome')).toMatchObject({ you: 'Alice', account: 'alice' });
    const guest = await RawClient.login(port, 'bob');
    expect(guest.messages.find((m) => m.type === 'welcome')).not.toHaveProperty('account');
  });

  it('a guest cannot nick to a registered name or its look-alike; its owner can', async () => {
    const { port } = await start();
    const alice = await registered(port, 'alice');
    alice.send({ type: 'nick', name: 'alice_away' });
    await alice.next('renamed');
    const bob = await RawClient.login(port, 'bob');
    for (const name of ['alice', 'AIice']) {
      bob.send({ type: 'nick', name });
      expect(await bob.next('error')).toMatchObject({ code: 'name_reserved', ref: 'nick' });
    }
    alice.send({ type: 'nick', name: 'alice' });
    expect(await alice.next('renamed')).toMatchObject({ from: 'alice_away', to: 'alice' });
  });

  it('register refuses a weak password, a second registration, and when registration is closed', async () => {
    const { port } = await start();
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'register', password: 'short' });
    expect(await alice.next('error')).toMatchObject({ code: 'weak_password', ref: 'register' });
    alice.send({ type: 'register', password: 'x'.repeat(257) });
    expect(await alice.next('error')).toMatchObject({ code: 'bad_request', ref: 'register' });
    alice.send({ type: 'register', password: PASSWORD });
    await alice.next('registered');
    alice.send({ type: 'register', password: PASSWORD });
    expect(await alice.next('error')).toMatchObject({ code: 'name_registered' });

    const closed = await start({ registration: 'closed' });
    const bob = await RawClient.login(closed.port, 'bob');
    bob.send({ type: 'register', password: PASSWORD });
    expect(await bob.next('error')).toMatchObject({ code: 'registration_closed' });
  });

  it('--require-account refuses guests and admits accounts', async () => {
    const { port, server } = await start({ requireAccount: true });
    const { answer } = await hello(port, { name: 'guest' });
    expect(answer).toMatchObject({ code: 'account_required' });
    await server.accounts.register('alice', PASSWORD);
    expect((await hello(port, { name: 'alice', auth: { password: PASSWORD } })).answer).toMatchObject({
      type: 'welcome',
      account: 'alice',
    });
  });

  it('passwd changes the password; unregister makes the name a guest name again', async () => {
    const { port } = await start();
    const alice = await registered(port, 'alice');
    alice.send({ type: 'passwd', old: 'wrong password', new: 'another good one' });
    expect(await alice.next('error')).toMatchObject({ code: 'login_failed', ref: 'passwd' });
    alice.send({ type: 'passwd', old: PASSWORD, new: 'tiny' });
    expect(await alice.next('error')).toMatchObject({ code: 'weak_password' });
    alice.send({ type: 'passwd', old: PASSWORD, new: 'another good one', label: 'p' });
    expect(await alice.next('notice')).toMatchObject({ label: 'p' });
    alice.close();
    await new Promise((r) => setTimeout(r, 50));
    expect((await hello(port, { name: 'alice', auth: { password: PASSWORD } })).answer).toMatchObject({ code: 'login_failed' });
    const back = await hello(port, { name: 'alice', auth: { password: 'another good one' } });
    expect(back.answer).toMatchObject({ type: 'welcome', account: 'alice' });
    back.client.send({ type: 'unregister', password: 'another good one' });
    expect(String((await back.client.next('notice'))['text'])).toMatch(/guest name again/);
    back.client.send({ type: 'passwd', old: 'another good one', new: 'yet another one' });
    expect(await back.client.next('error')).toMatchObject({ code: 'no_account' });
    back.client.close();
    await new Promise((r) => setTimeout(r, 50));
    expect((await hello(port, { name: 'alice' })).answer).toMatchObject({ type: 'welcome' });
  });
});

describe('private history for accounts', () => {
  async function pm(from: RawClient, to: string, text: string): Promise<void> {
    from.send({ type: 'msg', to, text });
    await from.next('private', (m) => m.text === text);
  }

  async function historyWith(client: RawClient, name: string): Promise<string[]> {
    client.send({ type: 'history', with: name });
    const h = await client.next('history', (m) => m.with === name);
    return (h['messages'] as { text: string }[]).map((m) => m.text);
  }

  it('goes to the accounts that were a party, in both directions, and to nobody else', async () => {
    const { port } = await start();
    const alice = await registered(port, 'alice');
    const bob = await registered(port, 'bob');
    const carol = await registered(port, 'carol');
    await pm(alice, 'bob', 'hi bob');
    await pm(bob, 'alice', 'hi alice');
    expect(await historyWith(alice, 'bob')).toEqual(['hi bob', 'hi alice']);
    expect(await historyWith(bob, 'alice')).toEqual(['hi bob', 'hi alice']);
    expect(await historyWith(carol, 'alice')).toEqual([]);
    expect(await historyWith(carol, 'bob')).toEqual([]);
  });

  it('a guest who takes a name after its previous holder left reads none of their messages', async () => {
    const { port } = await start();
    const bob = await registered(port, 'bob');
    // carol is a guest: what she and bob say privately is bob's alone to read back.
    const carol = await RawClient.login(port, 'carol');
    await pm(carol, 'bob', 'carol here, a secret');
    await pm(bob, 'carol', 'bob to carol, a secret');
    expect(await historyWith(carol, 'bob')).toEqual([]);
    carol.close();
    await new Promise((r) => setTimeout(r, 50));
    const impostor = await RawClient.login(port, 'carol');
    expect(await historyWith(impostor, 'bob')).toEqual([]);
    expect(await historyWith(impostor, 'carol')).toEqual([]);
  });

  it('an account made again under a removed name reads none of the old one', async () => {
    const { port } = await start();
    const alice = await registered(port, 'alice');
    const bob = await registered(port, 'bob');
    await pm(alice, 'bob', 'for the old alice');
    alice.send({ type: 'unregister', password: PASSWORD });
    await alice.next('notice');
    alice.close();
    await new Promise((r) => setTimeout(r, 50));
    // Guests read no private history at all; a new account of the name starts afresh.
    const guest = await RawClient.login(port, 'alice');
    expect(await historyWith(guest, 'bob')).toEqual([]);
    await new Promise((r) => setTimeout(r, 5)); // the new account is made at a later ms
    guest.send({ type: 'register', password: PASSWORD });
    await guest.next('registered');
    expect(await historyWith(guest, 'bob')).toEqual([]);
    // bob still reads his side of the conversation.
    expect(await historyWith(bob, 'alice')).toEqual(['for the old alice']);
  });
});
