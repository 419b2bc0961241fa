/**
 * The server password: checked at `hello` (framed) and `login NAME PASSWORD` (text), refused with
 * auth_failed and a close, failures rate-limited per address, and never written to the log.
 */
import { describe, expect, it } from 'vitest';
import { connect, ServerError } from '../../src/protocol/internal.js';
import { passwordMatches } from '../../src/server/handlers/session.js';
import { Logger } from '../../src/server/log.js';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

const SECRET = 'Sekr1t-7f3a-pass';
const WRONG = 'Wr0ng-9c2e-guess';

describe('passwordMatches', () => {
  it.each([
    [SECRET, SECRET, true],
    [SECRET, WRONG, false],
    [SECRET, undefined, false],
    [SECRET, '', false],
    [SECRET, SECRET.slice(0, -1), false],
    [SECRET, SECRET + 'x', false],
    [SECRET, SECRET.toUpperCase(), false],
    ['correct horse battery staple', 'correct horse battery staple', true],
    ['пароль密码', 'пароль密码', true],
    ['e\u0301', '\u00e9', false], // compared as given: no Unicode normalization of secrets
  ])('(%j, %j) → %s', (expected, given, result) => {
    expect(passwordMatches(expected, given)).toBe(result);
  });
});

describe('framed hello with a server password', () => {
  it('welcomes the right password', async () => {
    const { port } = await startServer({ password: SECRET });
    const alice = await RawClient.connect(port);
    alice.send({ type: 'hello', name: 'alice', password: SECRET });
    expect(await alice.next('welcome')).toMatchObject({ you: 'alice' });
  });

  it.each([
    ['a wrong password', { password: WRONG }],
    ['no password', {}],
    ['an empty password', { password: '' }],
  ])('refuses %s with auth_failed and closes the connection', async (_what, extra) => {
    const { server, port } = await startServer({ password: SECRET });
    const watcher = await RawClient.login(port, 'watcher', { password: SECRET });
    const mallory = await RawClient.connect(port);
    mallory.send({ type: 'hello', name: 'mallory', ...extra });
    expect(await mallory.next('error')).toMatchObject({ code: 'auth_failed', ref: 'hello' });
    await mallory.waitClosed();
    expect(mallory.messages.some((m) => m.type === 'welcome')).toBe(false);
    await watcher.sync();
    expect(watcher.messages.some((m) => m.type === 'joined')).toBe(false);
    expect(server.users.count).toBe(1);
  });

  it('rejects connect() of the bot API with ServerError auth_failed', async () => {
    const { port } = await startServer({ password: SECRET });
    const attempt = connect({ host: '127.0.0.1', port, name: 'bot', password: WRONG, timeout: 5_000 });
    await expect(attempt).rejects.toBeInstanceOf(ServerError);
    await expect(attempt).rejects.toMatchObject({ code: 'auth_failed' });
    const ok = await connect({ host: '127.0.0.1', port, name: 'bot', password: SECRET, timeout: 5_000 });
    expect(ok.welcome.you).toBe('bot');
    await ok.close();
  });

  it('needs no password when the server has none, and ignores one that is sent', async () => {
    const { port } = await startServer();
    const alice = await RawClient.connect(port);
    alice.send({ type: 'hello', name: 'alice', password: 'anything' });
    expect(await alice.next('welcome')).toMatchObject({ you: 'alice' });
  });
});

describe('text-mode login with a server password', () => {
  it('logs in with "login NAME PASSWORD" and chats with framed users', async () => {
    const { port } = await startServer({ password: SECRET });
    const alice = await RawClient.login(port, 'alice', { password: SECRET });
    const bob = await TextClient.connect(port);
    bob.line(`login bob ${SECRET}`);
    await bob.expect(/^Welcome to test, bob!/);
    bob.line('hi alice');
    expect(await alice.next('message')).toMatchObject({ from: 'bob', text: 'hi alice' });
  });

  it('takes a passphrase with spaces as the rest of the line', async () => {
    const { port } = await startServer({ password: 'correct horse battery staple' });
    const bob = await TextClient.connect(port);
    bob.line('/LOGIN bob correct horse battery staple');
    await bob.expect(/^Welcome to test, bob!/);
  });

  it.each([
    ['a wrong password', `login bob ${WRONG}`],
    // `login bob` alone asks for the password (test/server/text-login.test.ts); a wrong one closes.
    ['a wrong password at the prompt', `login bob\r\n${WRONG}`],
  ])('refuses %s in words, says how to give one, and closes', async (_what, line) => {
    const { server, port } = await startServer({ password: SECRET });
    const bob = await TextClient.connect(port);
    bob.line(line);
    await bob.expect('Wrong server password.');
    await bob.expect('This server needs a password: login NAME PASSWORD');
    await bob.waitClosed();
    expect(server.users.count).toBe(0);
  });
});

describe('failed password attempts', () => {
  it('are limited per address: after maxAuthFailures even the right password is refused', async () => {
    const { port } = await startServer({ password: SECRET, maxAuthFailures: 3 });
    for (let i = 0; i < 3; i++) {
      const guess = await RawClient.connect(port);
      guess.send({ type: 'hello', name: `guess${i}`, password: `${WRONG}${i}` });
      expect(await guess.next('error')).toMatchObject({ code: 'auth_failed', message: 'Wrong server password.' });
      await guess.waitClosed();
    }
    const right = await RawClient.connect(port);
    right.send({ type: 'hello', name: 'alice', password: SECRET });
    const refusal = await right.next('error');
    expect(refusal).toMatchObject({ code: 'auth_failed' });
    expect(refusal.message).toMatch(/too many/i);
    await right.waitClosed();
  });

  it('count text-mode attempts too', async () => {
    const { port } = await startServer({ password: SECRET, maxAuthFailures: 2 });
    for (let i = 0; i < 2; i++) {
      const guess = await TextClient.connect(port);
      guess.line(`login bob ${WRONG}`);
      await guess.expect('Wrong server password.');
      await guess.waitClosed();
    }
    const right = await TextClient.connect(port);
    right.line(`login bob ${SECRET}`);
    await right.expect(/too many/i);
    await right.waitClosed();
  });

  it('do not count against anyone while the limit is not reached', async () => {
    const { port } = await startServer({ password: SECRET, maxAuthFailures: 3 });
    for (let i = 0; i < 2; i++) {
      const guess = await RawClient.connect(port);
      guess.send({ type: 'hello', name: 'x', password: WRONG });
      await guess.next('error');
    }
    const alice = await RawClient.login(port, 'alice', { password: SECRET });
    expect(alice.messages[0]).toMatchObject({ type: 'welcome', you: 'alice' });
  });
});

describe('logs', () => {
  it('never contain the password, right or wrong, framed or text', async () => {
    const { server, port, logs } = await startServer({ password: SECRET, maxAuthFailures: 100 });
    const alice = await RawClient.login(port, 'alice', { password: SECRET });
    const mallory = await RawClient.connect(port);
    mallory.send({ type: 'hello', name: 'mallory', password: WRONG });
    await mallory.waitClosed();
    const bob = await TextClient.connect(port);
    bob.line(`login bob ${SECRET}`);
    await bob.expect(/^Welcome/);
    const eve = await TextClient.connect(port);
    eve.line(`login eve ${WRONG}`);
    await eve.waitClosed();
    // A hello that fails validation after the password field was read (bad name).
    const bad = await RawClient.connect(port);
    bad.send({ type: 'hello', name: 'bad name!', password: WRONG });
    await bad.next('error');
    bob.line('logout');
    await bob.waitClosed();
    await alice.sync();
    server.log.flush();

    const text = logs.join('\n');
    // The log did record these events (so the search below is over real content)...
    expect(text).toMatch(/event=login .*name=alice/);
    expect(text).toMatch(/event=login .*name=bob/);
    expect(text).toMatch(/event=auth_failed .*name=mallory/);
    expect(text).toMatch(/event=auth_failed .*name=eve/);
    // ...and nothing secret: not the password, not the guess, not a fragment of either.
    for (const secret of [SECRET, WRONG, SECRET.slice(0, 8), WRONG.slice(0, 8)]) expect(text).not.toContain(secret);
  });

  it('redact any field whose key names a password, as a second guard', () => {
    const lines: string[] = [];
    const log = new Logger('debug', (t) => lines.push(t));
    log.info('test', { password: SECRET, serverPassword: SECRET, PASS: SECRET, name: 'alice' });
    log.flush();
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.join('')).toContain('password=[redacted]');
    expect(lines.join('')).toContain('name=alice');
  });
});
