/**
 * The built chat-client in tmux against accounts and moderation: a registered alice is asked for
 * her password without echo and is in once she types it; a wrong one (from the environment) is one
 * line and exit 3; an operator kicks and bans from the full screen, with Tab completing the name.
 */
import { describe, expect, it } from 'vitest';
import { connect } from '../../src/protocol/internal.js';
import { CHEAP_SCRYPT } from '../helpers/accounts.js';
import { startServer } from '../helpers/server.js';
import { TmuxTerminal } from '../helpers/terminal.js';
import '../helpers/server-binary.js'; // builds dist/ when it is missing
import { CLIENT_BIN } from '../helpers/server-binary.js';

const PASSWORD = 'correct horse battery';

async function registeredAndGone(port: number, name: string): Promise<void> {
  const c = await connect({ host: '127.0.0.1', port, name });
  await c.register(PASSWORD);
  await c.logout();
}

describe('chat-client with accounts', () => {
  it('asks a registered alice for her password without echo, and she is in', async () => {
    const { port } = await startServer({ scrypt: CHEAP_SCRYPT });
    await registeredAndGone(port, 'alice');
    const t = await TmuxTerminal.start([process.execPath, CLIENT_BIN, '--name', 'alice', `127.0.0.1:${port}`]);
    await t.waitFor(`Password for alice on 127.0.0.1:${port}:`);
    await t.text(PASSWORD);
    await t.keys('Enter');
    const screen = await t.waitFor('Connected to test as alice.');
    expect(screen.join('\n')).not.toContain(PASSWORD);
    await t.keys('C-c');
    await t.waitFor('[exit 0]');
  });

  it('a wrong password from CHAT_ACCOUNT_PASSWORD is one line and exit 3', async () => {
    const { port } = await startServer({ scrypt: CHEAP_SCRYPT });
    await registeredAndGone(port, 'alice');
    const t = await TmuxTerminal.start(
      ['env', 'CHAT_ACCOUNT_PASSWORD=not her password', process.execPath, CLIENT_BIN, '--name', 'alice', `127.0.0.1:${port}`],
      { cols: 200 },
    );
    const screen = await t.waitFor(/\[exit \d+\]/);
    expect(screen.filter((l) => l !== '')).toEqual([
      `chat-client: 127.0.0.1:${port} refused the password for "alice": Wrong password for alice. (check --account-password-file, CHAT_ACCOUNT_PASSWORD or account_password_file)`,
      '[exit 3]',
    ]);
  });

  it('shows an operator as alice(+o) in the status bar, and a plain account without it', async () => {
    const { port } = await startServer({ scrypt: CHEAP_SCRYPT, operators: ['op'] });
    await registeredAndGone(port, 'op');
    await registeredAndGone(port, 'carol');
    const run = (name: string): Promise<TmuxTerminal> =>
      TmuxTerminal.start(['env', `CHAT_ACCOUNT_PASSWORD=${PASSWORD}`, process.execPath, CLIENT_BIN, '--name', name, `127.0.0.1:${port}`], {
        cols: 120,
      });
    const op = await run('op');
    const opScreen = await op.waitFor((s) => s.some((l) => l.includes('connected │')));
    expect(opScreen.find((l) => l.includes('connected │'))).toMatch(/^ op\(\+o\) \(account\) │ #main \(1\) │ 1 online │ connected │/);
    const carol = await run('carol');
    const carolScreen = await carol.waitFor((s) => s.some((l) => l.includes('2 online │ connected │')));
    expect(carolScreen.find((l) => l.includes('connected │'))).toMatch(/^ carol \(account\) │ #main \(2\) │ 2 online │ connected │/);
    for (const t of [op, carol]) {
      await t.keys('C-c');
      await t.waitFor('[exit 0]');
    }
  });

  it('an operator kicks and bans from the full screen, Tab completing the name', async () => {
    const { port } = await startServer({ scrypt: CHEAP_SCRYPT, operators: ['op'] });
    await registeredAndGone(port, 'op');
    const bob = await connect({ host: '127.0.0.1', port, name: 'bobby' });
    const t = await TmuxTerminal.start([
      'env',
      `CHAT_ACCOUNT_PASSWORD=${PASSWORD}`,
      process.execPath,
      CLIENT_BIN,
      '--name',
      'op',
      `127.0.0.1:${port}`,
    ]);
    await t.waitFor('Connected to test as op.');
    const kicked = bob.waitFor('left', (m) => m.reason === 'kicked');
    await t.text('/kick bob');
    await t.keys('Tab');
    await t.waitFor((s) => s.some((l) => l.includes('/kick bobby')));
    await t.text(' be nice');
    await t.keys('Enter');
    expect(await kicked).toMatchObject({ room: '#main', name: 'bobby', by: 'op', text: 'be nice' });
    await t.waitFor(/bobby is kicked from #main/);
    await t.text('/ban bobby 1h spam');
    await t.keys('Enter');
    await t.waitFor(/bobby is banned from the server, until \d{4}-.* UTC \(1 kicked\)/);
    await bob.closed();
    await expect(connect({ host: '127.0.0.1', port, name: 'bobby' })).rejects.toMatchObject({ code: 'banned' });
    await t.text('/bans');
    await t.keys('Enter');
    await t.waitFor(/bobby by op, until .*: spam/);
    await t.keys('C-c');
    await t.waitFor('[exit 0]');
  });
});
