/**
 * `chat-server accounts add|remove|list|passwd NAME` run as the built binary on the same data
 * directory as a running server (a second SQLite connection): the server sees an account added or
 * removed at the next login, without a restart. The password comes from stdin when piped.
 */
import { describe, expect, it } from 'vitest';
import { hello, PASSWORD } from '../helpers/accounts.js';
import { runServerBinary, startServerBinary, tempDataDir } from '../helpers/server-binary.js';

describe('chat-server accounts', () => {
  it('adds, lists, changes and removes accounts while the server runs, which sees each at the next login', async () => {
    const dir = tempDataDir();
    const server = await startServerBinary(['--data-dir', dir, '--registration', 'closed']);
    expect(await hello(server.port, { name: 'alice' })).toMatchObject({ type: 'welcome' });

    const added = await runServerBinary(['accounts', 'add', 'alice', '--data-dir', dir], { input: `${PASSWORD}\n` });
    expect(added).toMatchObject({ status: 0, stdout: 'account alice added\n' });
    expect(added.stdout + added.stderr).not.toContain(PASSWORD);
    expect(await hello(server.port, { name: 'alice' })).toMatchObject({ code: 'name_reserved' });
    expect(await hello(server.port, { name: 'alice', auth: { password: PASSWORD } })).toMatchObject({ type: 'welcome', account: 'alice' });

    // A look-alike cannot be added; a weak password is refused.
    expect(await runServerBinary(['accounts', 'add', 'AIice', '--data-dir', dir], { input: `${PASSWORD}\n` })).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/looks like the registered name "alice"/),
    });
    expect(await runServerBinary(['accounts', 'add', 'bob', '--data-dir', dir], { input: 'short\n' })).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/at least 8 characters/),
    });

    const list = await runServerBinary(['accounts', 'list', '--data-dir', dir]);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^alice\t\d{4}-.*\tscrypt N=16384 r=8 p=2\n$/);

    expect(await runServerBinary(['accounts', 'passwd', 'alice', '--data-dir', dir], { input: 'a new long password\n' })).toMatchObject({
      status: 0,
    });
    expect(await hello(server.port, { name: 'alice', auth: { password: PASSWORD } })).toMatchObject({ code: 'login_failed' });
    expect(await hello(server.port, { name: 'alice', auth: { password: 'a new long password' } })).toMatchObject({ type: 'welcome' });

    expect(await runServerBinary(['accounts', 'remove', 'alice', '--data-dir', dir])).toMatchObject({ status: 0 });
    expect(await hello(server.port, { name: 'alice' })).toMatchObject({ type: 'welcome' });
    expect(await runServerBinary(['accounts', 'remove', 'alice', '--data-dir', dir])).toMatchObject({
      status: 1,
      stderr: 'chat-server accounts: no account "alice"\n',
    });
  }, 60_000);

  it('needs a valid NAME, and a second server on the data directory is still refused', async () => {
    const dir = tempDataDir();
    expect(await runServerBinary(['accounts', 'add', 'bad name', '--data-dir', dir])).toMatchObject({ status: 2 });
    await startServerBinary(['--data-dir', dir]);
    const second = await runServerBinary(['start', '--host', '127.0.0.1', '--port', '0', '--data-dir', dir]);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/in use by another process/);
  }, 60_000);
});
