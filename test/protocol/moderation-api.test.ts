/**
 * The bot API's accounts and moderation against a real server: connect({ account }) logs in to an
 * account (hello.auth), register() makes one, and kick/ban/unban/bans/mute/unmute resolve on their
 * labelled answers or reject with the server's code.
 */
import { describe, expect, it } from 'vitest';
import { connect, ServerError } from '../../src/protocol/internal.js';
import { CHEAP_SCRYPT } from '../helpers/accounts.js';
import { startServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery';

describe('bot API: accounts and moderation', () => {
  it('register(), then connect({ account }) logs in to the account; a wrong password rejects with login_failed', async () => {
    const { port } = await startServer({ scrypt: CHEAP_SCRYPT });
    const first = await connect({ host: '127.0.0.1', port, name: 'bot' });
    expect(await first.register(PASSWORD)).toMatchObject({ type: 'registered', name: 'bot' });
    await first.logout();
    const again = await connect({ host: '127.0.0.1', port, name: 'bot', account: { password: PASSWORD } });
    expect(again.welcome.account).toBe('bot');
    await again.logout();
    await expect(connect({ host: '127.0.0.1', port, name: 'bot', account: { password: 'wrong password' } })).rejects.toMatchObject({
      code: 'login_failed',
    });
  });

  it('an operator bot kicks, bans, lists, unbans, mutes and unmutes; others are refused', async () => {
    const { port } = await startServer({ scrypt: CHEAP_SCRYPT, operators: ['opbot'] });
    const op = await connect({ host: '127.0.0.1', port, name: 'opbot' });
    await op.register(PASSWORD);
    const bob = await connect({ host: '127.0.0.1', port, name: 'bob' });
    const troll = await connect({ host: '127.0.0.1', port, name: 'troll' });

    await expect(bob.kick('troll', { room: '#main' })).rejects.toMatchObject({ code: 'not_operator' });
    expect(await op.kick('troll', { room: 'main', reason: 'out' })).toMatchObject({ action: 'kick', name: 'troll', room: '#main' });
    await expect(op.kick('nobody')).rejects.toBeInstanceOf(ServerError);

    expect(await op.mute('#main', 'bob', { duration: 60 })).toMatchObject({ action: 'mute', name: 'bob', room: '#main' });
    expect(await op.unmute('#main', 'bob')).toMatchObject({ action: 'unmute' });

    const banned = await op.ban({ name: 'troll' }, { duration: 600, reason: 'spam', label: 'my-ban' });
    expect(banned).toMatchObject({ action: 'ban', name: 'troll', reason: 'spam', kicked: 1, label: 'my-ban' });
    expect(banned.until).toBeGreaterThan(Date.now());
    await troll.closed();
    await expect(connect({ host: '127.0.0.1', port, name: 'troll' })).rejects.toMatchObject({ code: 'banned' });
    expect(await op.bans()).toMatchObject({ type: 'bans', more: false, bans: [{ name: 'troll', by: 'opbot', reason: 'spam' }] });
    expect(await op.unban({ name: 'troll' })).toMatchObject({ action: 'unban', name: 'troll' });
    await expect(op.unban({ name: 'troll' })).rejects.toMatchObject({ code: 'no_such_ban' });
    expect(await op.ban({ address: '192.0.2.7' }, { room: '#rust' })).toMatchObject({ address: '192.0.2.7', room: '#rust', kicked: 0 });
    expect(await op.bans({ room: '#rust' })).toMatchObject({ room: '#rust', bans: [{ address: '192.0.2.7' }] });
  });
});
