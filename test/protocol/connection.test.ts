/**
 * The bot API (connect / Connection) against a real server, and against a scripted peer where the
 * test needs the server to say something ours never does (a future message type).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, ConnectionError, encode, ServerError, type ServerMessage } from '../../src/protocol/internal.js';
import { makeCerts } from '../security/certs.js';
import { startServer } from '../helpers/server.js';
import { errorOf } from '../helpers/wait.js';

const peers = new Set<net.Server>();
afterEach(() => {
  for (const p of peers) p.close();
  peers.clear();
});

/** A one-connection peer on 127.0.0.1 that answers the first bytes it gets with `script`. */
async function scriptedPeer(script: object[]): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.write(Buffer.concat(script.map((m) => encode(m)))));
  });
  peers.add(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

const WELCOME = {
  type: 'welcome',
  server: 'peer',
  version: 1,
  you: 'bot',
  address: '127.0.0.1:1',
  room: '#main',
  users: ['bot'],
  clients: 1,
  maxFrame: 65536,
};

describe('connect', () => {
  it('resolves with the welcome, our name and our room', async () => {
    const { port } = await startServer({ motd: 'hi bots' });
    const bot = await connect({ host: '127.0.0.1', port, name: 'bot' });
    expect(bot.welcome).toMatchObject({
      you: 'bot',
      protocol: 2,
      rooms: [{ room: '#main', topic: '', users: ['bot'] }],
      motd: 'hi bots',
      maxFrame: 65536,
    });
    expect(bot.name).toBe('bot');
    expect(bot.room).toBe('#main');
    expect(bot.isOpen).toBe(true);
    await bot.close();
  });

  it("rejects with ServerError carrying the server's code when the name is taken", async () => {
    const { port } = await startServer();
    const first = await connect({ host: '127.0.0.1', port, name: 'bot' });
    const err = await errorOf(connect({ host: '127.0.0.1', port, name: 'BOT' }));
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ code: 'name_taken', ref: 'hello' });
    await first.close();
  });

  it('rejects with ConnectionError connect_failed when nothing listens', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    await new Promise<void>((r) => blocker.close(() => r()));
    const err = await errorOf(connect({ host: '127.0.0.1', port, name: 'bot' }));
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe('connect_failed');
  });
});

/**
 * A one-connection peer on 127.0.0.1 that is not a framechat server: it sends `greeting` as soon
 * as a client connects (as SSH does), and/or `reply` to the first bytes it gets (as HTTP does),
 * then with `hangUp` closes.
 */
async function foreignPeer({
  greeting,
  reply,
  hangUp = false,
}: {
  greeting?: string | Buffer;
  reply?: string | Buffer;
  hangUp?: boolean;
}): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    if (greeting !== undefined) socket.write(greeting);
    socket.once('data', () => {
      if (reply !== undefined) socket.write(reply);
      if (hangUp) socket.end();
    });
  });
  peers.add(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

describe('connect to something that is not a framechat server', () => {
  it.each<[string, { greeting?: string | Buffer; reply?: string | Buffer }, RegExp]>([
    [
      'an SSH server, which speaks first',
      { greeting: 'SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n' },
      /: it sent "SSH-2\.0-OpenSSH_9\.6p1 Ubuntu-3ubuntu13"$/,
    ],
    [
      'an HTTP server, which answers the hello',
      { reply: 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n' },
      /: it sent "HTTP\/1\.1 400 Bad Request"$/,
    ],
    [
      'a TLS server reached without TLS',
      { reply: Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]) },
      /: it answered in TLS \(connect with TLS\)$/,
    ],
    ['a binary protocol', { greeting: Buffer.from([0xff, 0xfe, 0x01, 0x02]) }, /: it sent the bytes ff fe 01 02$/],
    ['a peer whose first frame is empty', { reply: Buffer.alloc(4) }, /: it sent a bad frame \(frame length 0/],
    [
      'a peer whose first frame is not MessagePack',
      { reply: Buffer.from([0, 0, 0, 2, 0xc1, 0xc1]) },
      /: its first frame is not a framechat message/,
    ],
  ])('says so for %s (not_framechat)', async (_what, peer, why) => {
    const port = await foreignPeer(peer);
    const err = await errorOf(connect({ host: '127.0.0.1', port, name: 'bot' }));
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'not_framechat' });
    expect(err.message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${port} does not look like a framechat server: `));
    expect(err.message).toMatch(why);
  });

  it('says so for a peer that accepts the connection and never answers hello', async () => {
    const port = await foreignPeer({});
    const err = await errorOf(connect({ host: '127.0.0.1', port, name: 'bot', timeout: 300 }));
    expect(err).toMatchObject({
      code: 'not_framechat',
      message: `127.0.0.1:${port} does not look like a framechat server: it accepted the connection but did not answer hello within 0.3 s`,
    });
  });

  it('says so for a peer that hangs up on the hello without a word', async () => {
    const port = await foreignPeer({ hangUp: true });
    const err = await errorOf(connect({ host: '127.0.0.1', port, name: 'bot' }));
    expect(err).toMatchObject({ code: 'not_framechat' });
  });

  it('keeps `timeout` for a framechat server that pings but never welcomes', async () => {
    const port = await foreignPeer({ reply: encode({ type: 'ping', token: 'x' }) });
    const err = await errorOf(connect({ host: '127.0.0.1', port, name: 'bot', timeout: 300 }));
    expect(err).toMatchObject({ code: 'timeout', message: `no welcome from 127.0.0.1:${port} within 300 ms` });
  });

  it('passes on the server’s hint for the TLS port of a real server reached without TLS', async () => {
    const certs = makeCerts();
    try {
      const { tlsPort } = await startServer({ tlsPort: 0, tlsCert: certs.selfSigned.cert, tlsKey: certs.selfSigned.key });
      const err = await errorOf(connect({ host: '127.0.0.1', port: tlsPort!, name: 'bot', timeout: 5_000 }));
      // The TLS port reads the first byte and answers a plain frame with a framed hint.
      expect(err).toMatchObject({ name: 'ServerError', code: 'bad_request' });
      expect(err.message).toMatch(/This port speaks TLS; use chat-client --tls/);
    } finally {
      certs.remove();
    }
  });
});

describe('connect failures in plain words', () => {
  it('says nothing is listening for a closed port, keeping the code in the cause', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    await new Promise<void>((r) => blocker.close(() => r()));
    const err = await errorOf(connect({ host: '127.0.0.1', port, name: 'bot' }));
    expect(err).toMatchObject({
      code: 'connect_failed',
      message: `cannot connect to 127.0.0.1:${port}: nothing is listening on that port (ECONNREFUSED)`,
    });
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('says the host was not found for a name that does not resolve', async () => {
    // .invalid never resolves (RFC 6761), and the resolver answers that without asking anyone.
    const err = await errorOf(connect({ host: 'framechat-test.invalid', port: 5005, name: 'bot' }));
    expect(err).toMatchObject({ code: 'connect_failed' });
    // A machine with no resolver at all answers EAI_AGAIN instead: a sentence too.
    expect(err.message).toMatch(
      /^cannot connect to framechat-test\.invalid:5005: (no host named "framechat-test\.invalid" was found \(ENOTFOUND\)|the name "framechat-test\.invalid" could not be looked up right now \(EAI_AGAIN\))$/,
    );
  });
});

describe('Connection', () => {
  it('resolves who, look and rooms with their replies', async () => {
    const { port } = await startServer();
    const alice = await connect({ host: '127.0.0.1', port, name: 'alice' });
    const bob = await connect({ host: '127.0.0.1', port, name: 'bob' });
    expect((await alice.who()).users.sort()).toEqual(['alice', 'bob']);
    expect((await alice.look()).room).toBe('#main');
    expect((await alice.rooms()).rooms).toEqual([{ room: '#main', users: 2, topic: '' }]);
    expect(await alice.ping()).toBeGreaterThanOrEqual(0);
    await alice.close();
    await bob.close();
  });

  it('join adds the "#" and follows the room; nick follows the name', async () => {
    const { port } = await startServer();
    const bot = await connect({ host: '127.0.0.1', port, name: 'bot' });
    expect((await bot.join('Rust')).room).toBe('#rust');
    expect(bot.room).toBe('#rust');
    await bot.nick('robot');
    expect(bot.name).toBe('robot');
    await bot.close();
  });

  it('rejects a request the server refuses with ServerError, and stays open', async () => {
    const { port } = await startServer();
    const alice = await connect({ host: '127.0.0.1', port, name: 'alice' });
    const bob = await connect({ host: '127.0.0.1', port, name: 'bob' });
    expect(await errorOf(alice.nick('Bob'))).toMatchObject({ name: 'ServerError', code: 'name_taken', ref: 'nick' });
    expect(await errorOf(alice.join('#not valid'))).toMatchObject({ code: 'bad_room' });
    expect(alice.isOpen).toBe(true);
    expect(alice.name).toBe('alice');
    await alice.close();
    await bob.close();
  });

  it('say, me and msg take a label, which comes back on our own copy and on the refusal; without one, nothing is labelled', async () => {
    const { port } = await startServer();
    const alice = await connect({ host: '127.0.0.1', port, name: 'alice' });
    const bob = await connect({ host: '127.0.0.1', port, name: 'bob' });
    alice.say('hi', { label: 's1' });
    expect(await alice.waitFor('message', (m) => m.text === 'hi')).toMatchObject({ label: 's1' });
    alice.me('waves', { label: 'm1' });
    expect(await alice.waitFor('message', (m) => m.text === 'waves')).toMatchObject({ action: true, label: 'm1' });
    alice.msg('bob', 'psst', { label: 'p1' });
    expect(await alice.waitFor('private', (m) => m.text === 'psst')).toMatchObject({ to: 'bob', label: 'p1' });
    alice.msg('nobody', 'hello?', { label: 'p2' });
    expect(await alice.waitFor('error')).toMatchObject({ code: 'no_such_user', label: 'p2' });
    alice.say('plain');
    expect(await alice.waitFor('message', (m) => m.text === 'plain')).not.toHaveProperty('label');
    await alice.close();
    await bob.close();
  });

  it('delivers every server message to `for await`, in order, and ends after logout', async () => {
    const { port } = await startServer();
    const bot = await connect({ host: '127.0.0.1', port, name: 'bot' });
    bot.say('one');
    bot.me('two');
    bot.msg('bot', 'three');
    void bot.logout();
    const seen: ServerMessage[] = [];
    for await (const m of bot) seen.push(m);
    expect(seen.map((m) => m.type)).toEqual(['history', 'message', 'message', 'private', 'bye']);
    expect(await bot.closed()).toBeUndefined();
    expect(() => bot.say('too late')).toThrow(ConnectionError);
  });

  it('rejects what is still waiting when the server closes the connection', async () => {
    const { port, stop } = await startServer();
    const bot = await connect({ host: '127.0.0.1', port, name: 'bot' });
    const waiting = errorOf(bot.waitFor('renamed'));
    await stop();
    expect(await waiting).toMatchObject({ name: 'ConnectionError', code: 'closed' });
    expect(await bot.closed()).toBeUndefined();
    expect(bot.isOpen).toBe(false);
  });

  it('ignores a server message type it does not know (a newer server), and carries on', async () => {
    const port = await scriptedPeer([
      WELCOME,
      { type: 'reaction', emoji: '👍', id: 1 },
      { type: 'message', id: 2, ts: 1_700_000_000_000, room: '#main', from: 'peer', text: 'still here' },
    ]);
    const bot = await connect({ host: '127.0.0.1', port, name: 'bot' });
    // All three frames came in one chunk, before connect() resolved: the queue holds them.
    const seen: ServerMessage[] = [];
    for await (const m of bot) {
      seen.push(m);
      if (m.type === 'message') break;
    }
    expect(seen).toEqual([{ type: 'message', id: 2, ts: 1_700_000_000_000, room: '#main', from: 'peer', text: 'still here' }]);
    expect(bot.isOpen).toBe(true);
    bot.destroy();
  });
});
