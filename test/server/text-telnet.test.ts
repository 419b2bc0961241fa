/**
 * Ending a text-mode session: `quit` and `logout` close the server's side of the connection,
 * whatever the client sends around them. Telnet negotiates with IAC sequences and, in character
 * mode, sends Enter as CR NUL instead of CR LF; OpenBSD nc stays open until its input ends, so
 * `help` says how to get out of it.
 */
import { describe, expect, it } from 'vitest';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

const IAC = 0xff;
const DO = 253;
const WILL = 251;
const SGA = 3;
const ECHO = 1;
const NAWS = 31;

describe('quit from telnet', () => {
  it.each(['quit', 'logout', '/QUIT'])(
    '%s, typed in line mode after IAC negotiation, ends the connection from the server side',
    async (command) => {
      const { port } = await startServer();
      const watcher = await RawClient.login(port, 'watcher');
      const bob = await TextClient.connect(port);
      bob.write(Buffer.from([IAC, DO, SGA, IAC, WILL, NAWS, ...Buffer.from('login bob\r\n')]));
      await bob.expect(/^Welcome to test, bob!/);
      bob.write(Buffer.from([IAC, DO, ECHO, ...Buffer.from(`${command}\r\n`)]));
      await bob.expect('Goodbye.');
      await bob.waitClosed();
      expect(await watcher.next('left', (m) => m.name === 'bob')).toMatchObject({ reason: 'logout' });
    },
  );

  it('quit typed a key at a time in character mode (Enter is CR NUL) ends the connection', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const bob = await TextClient.connect(port);
    bob.write('login bob\r\n');
    await bob.expect(/^Welcome to test, bob!/);
    // What telnet sends after "mode character": DO SGA, DO ECHO, then each key as it is pressed.
    bob.write(Buffer.from([IAC, DO, SGA, IAC, DO, ECHO]));
    bob.write('hi\r\0');
    expect(await watcher.next('message')).toMatchObject({ from: 'bob', text: 'hi' });
    for (const key of ['q', 'u', 'i', 't', '\r\0']) bob.write(key);
    await bob.expect('Goodbye.');
    await bob.waitClosed();
    expect(await watcher.next('left', (m) => m.name === 'bob')).toMatchObject({ reason: 'logout' });
  });
});

describe('help in text mode', () => {
  it('says how to end an nc session that stays open after Goodbye', async () => {
    const { port } = await startServer();
    const bob = await TextClient.connect(port);
    bob.line('help');
    await bob.expect(/If nc is still open after "Goodbye\.", press Ctrl-D or Ctrl-C/);
    await bob.expect(/nc -N HOST PORT/);
  });
});
