/**
 * Logging in from telnet or nc cannot be confused with giving a password: extra words after the
 * name are refused on a server without a password, and a server with one asks for it on its own
 * line (while `login NAME PASSWORD` still works, for scripts).
 */
import { describe, expect, it } from 'vitest';
import { NO_PASSWORD_LINE, PASSWORD_PROMPT } from '../../src/server/text/commands.js';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

describe('text-mode login on a server without a password', () => {
  it('refuses "login bad name!" and says why, instead of logging in as "bad"', async () => {
    const { port, server } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const bob = await TextClient.connect(port);
    bob.line('login bad name!');
    await bob.expect(NO_PASSWORD_LINE);
    expect(server.users.get('bad')).toBeUndefined();
    bob.line('who');
    await bob.expect('Please log in first: login NAME');
    bob.line('login bad');
    await bob.expect(/^Welcome to test, bad!/);
    expect(await watcher.next('joined')).toMatchObject({ name: 'bad' });
  });
});

describe('text-mode login on a server with a password', () => {
  it('asks for the password on its own line, and the next line is the password', async () => {
    const { port, logs } = await startServer({ password: 'two words' });
    const bob = await TextClient.connect(port);
    bob.line('login bob');
    await bob.expect(PASSWORD_PROMPT);
    bob.line('two words');
    await bob.expect(/^Welcome to test, bob!/);
    expect(logs.join('\n')).not.toContain('two words');
  });

  it('reads a command word at the prompt as the password, not as the command', async () => {
    const { port } = await startServer({ password: 'quit' });
    const bob = await TextClient.connect(port);
    bob.line('login bob');
    await bob.expect(PASSWORD_PROMPT);
    bob.line('quit');
    await bob.expect(/^Welcome to test, bob!/);
  });

  it('lets an empty line cancel, and takes a login again after it', async () => {
    const { port } = await startServer({ password: 'sekrit' });
    const bob = await TextClient.connect(port);
    bob.line('login bob');
    await bob.expect(PASSWORD_PROMPT);
    bob.line('');
    await bob.expect('Login cancelled.');
    bob.line('login robert');
    await bob.expect(PASSWORD_PROMPT);
    bob.line('sekrit');
    await bob.expect(/^Welcome to test, robert!/);
  });

  it('closes on a wrong password at the prompt, as the framed hello does', async () => {
    const { port } = await startServer({ password: 'sekrit' });
    const bob = await TextClient.connect(port);
    bob.line('login bob');
    await bob.expect(PASSWORD_PROMPT);
    bob.line('guess');
    await bob.expect('Wrong server password.');
    await bob.waitClosed();
  });

  it('still takes "login NAME PASSWORD" on one line, for scripts', async () => {
    const { port } = await startServer({ password: 'correct horse' });
    const bob = await TextClient.connect(port);
    bob.line('login bob correct horse');
    await bob.expect(/^Welcome to test, bob!/);
  });

  it('refuses an invalid name before asking for a password', async () => {
    const { port } = await startServer({ password: 'sekrit' });
    const bob = await TextClient.connect(port);
    bob.line('login b@d');
    await bob.expect(/name/i);
    expect(bob.lines).not.toContain(PASSWORD_PROMPT);
  });
});
