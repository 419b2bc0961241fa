/**
 * The built chat-server on a data directory: an operator marked with `chat-server accounts oper`
 * kicks and bans from nc, and the ban still holds after the server is stopped and started again on
 * the same directory (bans are in the store, not in memory); so does a mute, and one with a
 * duration still ends.
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

  it('a mute survives a SIGKILL and a restart on the same directory; unmute lifts it', async () => {
    const dir = tempDataDir();
    await runServerBinary(['accounts', 'add', 'op', '--data-dir', dir], { input: `${PASSWORD}\n` });
    await runServerBinary(['accounts', 'oper', 'op', 'on', '--data-dir', dir]);
    let server = await startServerBinary(['--data-dir', dir]);
    let op = await operatorAtNc(server.port);
    op.line('/mute carol');
    await op.expect('carol is muted in #main until lifted.');
    op.line('/mute dave #main 1h');
    await op.expect(/^dave is muted in #main until \d{4}-/);

    await server.crash();
    server = await startServerBinary(['--data-dir', dir]);
    const carol = await RawClient.login(server.port, 'carol');
    carol.send({ type: 'say', text: 'still muted?' });
    expect(await carol.next('error')).toMatchObject({ code: 'muted', ref: 'say', message: 'You are muted in #main until lifted.' });
    const dave = await RawClient.login(server.port, 'dave');
    dave.send({ type: 'say', text: 'me too?' });
    expect((await dave.next('error')).message).toMatch(/^You are muted in #main until \d{4}-/);
    // A rename carries the stored mute too: after another restart, the new name is muted.
    carol.send({ type: 'nick', name: 'caroline' });
    await carol.next('renamed');

    op = await operatorAtNc(server.port);
    op.line('/unmute dave');
    await op.expect('dave is no longer muted in #main.');
    dave.send({ type: 'say', text: 'thanks' });
    expect(await dave.next('message')).toMatchObject({ text: 'thanks' });

    await server.crash();
    server = await startServerBinary(['--data-dir', dir]);
    const again = await RawClient.login(server.port, 'caroline');
    again.send({ type: 'say', text: 'and now?' });
    expect(await again.next('error')).toMatchObject({ code: 'muted' });
    const dave2 = await RawClient.login(server.port, 'dave');
    dave2.send({ type: 'say', text: 'free' });
    expect(await dave2.next('message')).toMatchObject({ text: 'free' });
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
