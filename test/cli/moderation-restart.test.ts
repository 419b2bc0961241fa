/**
 * The built chat-server on a data directory: an operator marked with `chat-server accounts oper`
 * kicks and bans from nc, and the ban still holds after the server is stopped and started again on
 * the same directory (bans are in the store, not in memory).
 */
import { describe, expect, it } from 'vitest';
import { hello, PASSWORD } from '../helpers/accounts.js';
import { RawClient, TextClient } from '../helpers/raw.js';
import { runServerBinary, startServerBinary, tempDataDir } from '../helpers/server-binary.js';

async function operatorAtNc(port: number): Promise<TextClient> {
  const op = await TextClient.connect(port);
  op.line('login op');
  await op.expect(/^op is a registered name/);
  op.line(PASSWORD);
  await op.expect(/^Welcome to /);
  return op;
}

describe('moderation with the server binary', () => {
  it('an operator made by the CLI kicks and bans from nc; the ban survives a restart, and is lifted', async () => {
    const dir = tempDataDir();
    expect(await runServerBinary(['accounts', 'add', 'op', '--data-dir', dir], { input: `${PASSWORD}\n` })).toMatchObject({ status: 0 });
    expect(await runServerBinary(['accounts', 'oper', 'op', 'on', '--data-dir', dir])).toMatchObject({
      status: 0,
      stdout: 'op is an operator\n',
    });
    expect(await runServerBinary(['accounts', 'oper', 'nobody', 'on', '--data-dir', dir])).toMatchObject({ status: 1 });
    expect(await runServerBinary(['accounts', 'oper', 'op', '--data-dir', dir])).toMatchObject({ status: 2 });

    let server = await startServerBinary(['--data-dir', dir]);
    let op = await operatorAtNc(server.port);
    const bob = await TextClient.login(server.port, 'bob');
    op.line('/kick bob');
    await op.expect('bob is kicked off the server.');
    await bob.expect('Kicked by op.');
    await bob.waitClosed();
    const troll = await RawClient.login(server.port, 'troll');
    op.line('/ban troll spam');
    await op.expect('troll is banned from the server until lifted (1 kicked).');
    expect(await troll.next('bye')).toMatchObject({ reason: 'kicked' });
    await server.waitForLog(/event=ban by=op kind=name target=troll reason=spam kicked=1/);
    await server.waitForLog(/event=kick by=op target=bob/);

    // Stopped (as a crash would: nothing is saved at exit) and started again on the same directory.
    await server.crash();
    server = await startServerBinary(['--data-dir', dir]);
    const refused = await hello(server.port, { name: 'troll' });
    expect(refused).toMatchObject({ type: 'error', code: 'banned', message: 'You are banned from this server until lifted: spam' });

    op = await operatorAtNc(server.port);
    op.line('/unban troll');
    await op.expect('troll is no longer banned from the server.');
    expect(await hello(server.port, { name: 'troll' })).toMatchObject({ type: 'welcome' });
  }, 60_000);

  it('--operators names operators at start (CHAT_OPERATORS too), and refuses an invalid name', async () => {
    const dir = tempDataDir();
    await runServerBinary(['accounts', 'add', 'op', '--data-dir', dir], { input: `${PASSWORD}\n` });
    const server = await startServerBinary(['--data-dir', dir], { env: { CHAT_OPERATORS: 'op, other' } });
    const op = await operatorAtNc(server.port);
    await TextClient.login(server.port, 'bob');
    op.line('/bans');
    await op.expect('No bans in force on the server.');
    const bad = await runServerBinary(['start', '--operators', 'a b', '--no-store', '--port', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--operators: "a b" is not a valid name');
  }, 60_000);
});
