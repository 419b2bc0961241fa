/**
 * Accounts and moderation from nc (text mode, raw sockets): `register` and `login NAME` of a
 * registered name ask for the password on the next line (never echoed back); operators kick, ban,
 * list bans and mute with slash commands, and the people concerned read one clear line.
 */
import { describe, expect, it } from 'vitest';
import { durationOf } from '../../src/server/text/commands.js';
import { CHEAP_SCRYPT } from '../helpers/accounts.js';
import { TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery';

async function registered(port: number, name: string): Promise<TextClient> {
  const c = await TextClient.login(port, name);
  c.line('register');
  await c.expect(/^Password for your new account \(the whole next line/);
  c.line(PASSWORD);
  await c.expect(`The name ${name} is now registered to you.`);
  return c;
}

describe('accounts in text mode', () => {
  it('register asks for the password on the next line; login NAME then asks for it too', async () => {
    const { port } = await startServer({ scrypt: CHEAP_SCRYPT });
    const alice = await registered(port, 'alice');
    alice.line('quit');
    await alice.waitClosed();

    const again = await TextClient.connect(port);
    again.line('login alice');
    await again.expect('alice is a registered name. Its password (the whole next line; an empty line cancels):');
    again.line('not the password');
    await again.expect('Wrong password for alice.');
    again.line('login alice');
    await again.expect(/^alice is a registered name/);
    again.line('');
    await again.expect('Login cancelled.');
    again.line('login alice');
    await again.expect(/^alice is a registered name/);
    again.line(PASSWORD);
    await again.expect(/^Welcome to test, alice!/);
    // The password is never sent back, in any line.
    expect([...alice.lines, ...again.lines].some((l) => l.includes(PASSWORD) || l.includes('not the password'))).toBe(false);
    // A guest name logs in at once, as before.
    await TextClient.login(port, 'bob');
  });

  it('an empty line cancels a registration; register before login is a hint', async () => {
    const { port } = await startServer({ scrypt: CHEAP_SCRYPT });
    const c = await TextClient.connect(port);
    c.line('register');
    await c.expect('Please log in first: login NAME');
    c.line('login carol');
    await c.expect(/^Welcome/);
    c.line('register');
    await c.expect(/^Password for your new account/);
    c.line('');
    await c.expect('Registration cancelled.');
    c.line('register');
    await c.expect(/^Password for your new account/);
    c.line('short');
    await c.expect('A password needs at least 8 characters.');
  });
});

describe('moderation in text mode', () => {
  it('an operator kicks, bans, lists bans, mutes and unbans from nc', async () => {
    const { port } = await startServer({ scrypt: CHEAP_SCRYPT, operators: ['op'] });
    const op = await registered(port, 'op');
    const bob = await TextClient.login(port, 'bob');
    const troll = await TextClient.login(port, 'troll');
    op.line('help');
    await op.expect(/^ {2}kick NAME \[#ROOM\] \[REASON\] +take NAME out of #ROOM/);
    await op.expect(/^ {2}ban NAME\|ADDRESS \[#ROOM\] \[DURATION\] \[REASON\]/);

    op.line('/kick bob #main be nice');
    await op.expect('bob is kicked from #main.');
    await bob.expect('You were kicked from #main by op: be nice');
    await troll.expect('bob was kicked from the room by op: be nice');

    op.line('/ban troll 1h spam');
    await op.expect(/^troll is banned from the server until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(1 kicked\)\.$/);
    await troll.expect(/^You are banned from this server until .* UTC: spam$/);
    await troll.expect('Goodbye.');
    await troll.waitClosed();
    const back = await TextClient.connect(port);
    back.line('login troll');
    await back.expect(/^You are banned from this server until .*: spam$/);
    await back.waitClosed();

    op.line('/bans');
    await op.expect('Bans on the server (1):');
    await op.expect(/^ {2}troll by op until .* UTC: spam$/);

    bob.line('join #main');
    await bob.expect(/^Room #main/);
    op.line('/mute bob 10m');
    await op.expect(/^bob is muted in #main until /);
    await bob.expect(/^\*\*\* op muted you in #main until /);
    bob.line('can I talk?');
    await bob.expect(/^You are muted in #main until /);
    op.line('/unmute bob');
    await op.expect('bob is no longer muted in #main.');
    bob.line('thanks');
    await op.expect('bob: thanks');

    op.line('/unban troll');
    await op.expect('troll is no longer banned from the server.');
    op.line('/unban troll');
    await op.expect('No ban of troll on this server is in force.');
  });

  it('a guest gets one clear line; bare words are chat, not commands', async () => {
    const { port } = await startServer({ scrypt: CHEAP_SCRYPT });
    const guest = await TextClient.login(port, 'guest');
    const other = await TextClient.login(port, 'other');
    guest.line('/kick other');
    await guest.expect('Only operators may kick on the whole server.');
    guest.line('kick off at five');
    await other.expect('guest: kick off at five');
  });

  it('reads durations as seconds, or with s, m, h, d', () => {
    expect([durationOf('90'), durationOf('30s'), durationOf('10m'), durationOf('2h'), durationOf('7D')]).toEqual([
      90, 30, 600, 7200, 604_800,
    ]);
    expect(durationOf('spam')).toBeUndefined();
    expect(durationOf('1.5h')).toBeUndefined();
  });
});
