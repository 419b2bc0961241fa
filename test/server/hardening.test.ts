/**
 * Hardening: each property here would fail without the mechanism it names (sendq bound, flood
 * control, liveness, admission limits, fault isolation, clean shutdown).
 */
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { connect, ConnectionError, encode, encodeFrame } from '../../src/protocol/internal.js';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startClockedServer, startServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';

const BIG_TEXT = 'x'.repeat(4000);

describe('a slow consumer', () => {
  it.each(['framed', 'text'] as const)('in %s mode is dropped with sendq_exceeded and never slows the others', async (mode) => {
    const { port, server } = await startServer({ maxSendq: 64 * 1024, rate: 0 });
    const slow = mode === 'framed' ? await RawClient.login(port, 'slow') : await TextClient.login(port, 'slow');
    slow.socket.pause(); // stops reading: the kernel buffers fill, then the server's send queue
    const reader = await RawClient.login(port, 'reader');
    const talker = await RawClient.login(port, 'talker');

    let said = 0;
    let dropped: Record<string, unknown> | undefined;
    for (let batch = 0; batch < 80 && !dropped; batch++) {
      for (let i = 0; i < 50; i++, said++) talker.send({ type: 'say', text: BIG_TEXT });
      await reader.sync();
      dropped = reader.messages.find((m) => m.type === 'left' && m.name === 'slow');
    }

    expect(dropped).toMatchObject({ reason: 'sendq_exceeded', room: '#main', clients: 2 });
    await talker.sync();
    const received = reader.messages.filter((m) => m.type === 'message');
    expect(received).toHaveLength(said);
    const ids = received.map((m) => m.id as number);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    expect(server.users.get('slow')).toBeUndefined();
    slow.socket.resume();
    await slow.waitClosed();
  });

  it.each([
    ['', 64 * 1024],
    [', also with a sendq below the 16 KiB at which Node reports drain', 20_000],
  ])(
    'is read from more slowly, not dropped, when it asks faster than it reads (read backpressure)%s',
    async (_what, maxSendq) => {
      const { port, server } = await startServer({ rate: 0, maxSendq });
      const greedy = await RawClient.login(port, 'greedy');
      greedy.socket.pause();
      // 200 000 `who` requests whose answers (about 8 MB) are not read: far more than the sendq and
      // the kernel's buffers hold, so without read backpressure the server would drop this client.
      const requests = Buffer.concat(Array.from({ length: 10_000 }, () => encode({ type: 'who' })));
      for (let i = 0; i < 20; i++) greedy.socket.write(requests);
      const other = await RawClient.login(port, 'other');
      await other.sync(30_000);
      expect(server.users.get('greedy')).toBeDefined();
      greedy.socket.resume();
      await greedy.sync(60_000); // generous: 8 MB of answers on a busy machine
      expect(greedy.messages.filter((m) => m.type === 'users')).toHaveLength(200_000);
      expect(greedy.closed).toBe(false);
    },
    90_000,
  );

  it('answers a bad frame header held back by read backpressure with frame_too_large, and closes', async () => {
    const { port, server } = await startServer({ rate: 0, maxSendq: 64 * 1024 });
    const greedy = await RawClient.login(port, 'greedy');
    greedy.socket.pause();
    const requests = Buffer.concat(Array.from({ length: 10_000 }, () => encode({ type: 'who' })));
    for (let i = 0; i < 19; i++) greedy.socket.write(requests);
    // The last chunk ends in a header declaring 16 MiB. Whether it waits in the decoder while reading
    // is paused or arrives after reading resumes depends on timing; either way it must be answered.
    greedy.socket.write(Buffer.concat([requests, Buffer.from([0x00, 0xff, 0xff, 0xff])]));
    const other = await RawClient.login(port, 'other');
    await other.sync(30_000);
    greedy.socket.resume();
    expect(await greedy.next('error', (m) => m.code === 'frame_too_large', 60_000)).toBeDefined();
    await greedy.waitClosed();
    expect(greedy.messages.filter((m) => m.type === 'users')).toHaveLength(200_000);
    expect(server.users.get('greedy')).toBeUndefined();
    await other.sync();
  }, 90_000);
});

describe('flood control', () => {
  it('answers excess messages with rate_limited and keeps the connection', async () => {
    const { port } = await startServer({ rate: 5, burst: 5 });
    const alice = await RawClient.login(port, 'alice');
    for (let i = 0; i < 10; i++) alice.send({ type: 'say', text: `m${i}` });
    await alice.next('error', (m) => m.code === 'rate_limited');
    await new Promise((r) => setTimeout(r, 400)); // tokens refill at 5/s
    alice.send({ type: 'say', text: 'after the pause' });
    await alice.next('message', (m) => m.text === 'after the pause');
    const accepted = alice.messages.filter((m) => m.type === 'message').length;
    expect(accepted).toBeLessThan(10);
  });

  it('names the type of each refused request in ref, so a client knows what to send again', async () => {
    const { port } = await startServer({ rate: 5, burst: 5 });
    const alice = await RawClient.login(port, 'alice');
    alice.sendBytes(
      Buffer.concat([
        ...Array.from({ length: 5 }, (_, i) => encode({ type: 'say', text: `m${i}` })),
        encode({ type: 'msg', to: 'alice', text: 'over' }),
        encode({ type: 'who' }),
        encode({ type: 'nonsense' } as never),
      ]),
    );
    await alice.next('error', (m) => m.code === 'rate_limited' && m.ref === 'msg');
    await alice.next('error', (m) => m.code === 'rate_limited' && m.ref === 'who');
    // A frame that is not a valid request is refused without a ref.
    expect(await alice.next('error', (m) => m.code === 'rate_limited' && m.ref !== 'msg' && m.ref !== 'who')).not.toHaveProperty('ref');
  });

  it('takes --burst 0 as no limit, as --rate 0 is', async () => {
    const { port } = await startServer({ rate: 5, burst: 0 });
    const alice = await RawClient.login(port, 'alice');
    for (let i = 0; i < 20; i++) alice.send({ type: 'say', text: `m${i}` });
    await alice.next('message', (m) => m.text === 'm19');
    expect(alice.messages.filter((m) => m.type === 'error')).toEqual([]);
  });

  it.each(['framed', 'text'] as const)('disconnects sustained abuse in %s mode with reason flood', async (mode) => {
    const { port } = await startServer({ rate: 5, burst: 5 });
    const watcher = await RawClient.login(port, 'watcher');
    if (mode === 'framed') {
      const flooder = await RawClient.login(port, 'flooder');
      flooder.sendBytes(Buffer.concat(Array.from({ length: 200 }, (_, i) => encode({ type: 'say', text: `f${i}` }))));
      await flooder.next('bye', (m) => m.reason === 'flood');
      await flooder.waitClosed();
    } else {
      const flooder = await TextClient.login(port, 'flooder');
      flooder.write(Array.from({ length: 200 }, (_, i) => `f${i}\r\n`).join(''));
      await flooder.expect('Flooding; disconnected.');
      await flooder.waitClosed();
    }
    expect(await watcher.next('left', (m) => m.name === 'flooder')).toMatchObject({ reason: 'flood' });
  });
});

describe('liveness', () => {
  const PING = 30_000;

  it('pings a silent client at pingInterval and drops it with reason timeout at pingTimeout', async () => {
    const clocked = await startClockedServer({ pingInterval: PING, pingTimeout: PING });
    const start = clocked.server.now();
    const watcher = await RawClient.login(clocked.port, 'watcher');
    const silent = await RawClient.login(clocked.port, 'silent');
    watcher.pongs = true; // `watcher` answers pings; `silent` does not.
    clocked.advance(PING - 1);
    clocked.advance(1);
    // The token is the server's clock when it pinged: the sweep at pingInterval, not an earlier one.
    expect(await silent.next('ping')).toMatchObject({ token: start + PING });
    await clocked.handled('pong'); // the watcher's answer
    clocked.advance(PING - 1);
    clocked.server.log.flush();
    expect(clocked.logs.filter((l) => l.includes('event=timeout'))).toEqual([]);
    clocked.advance(1);
    await silent.waitClosed();
    expect(await watcher.next('left', (m) => m.name === 'silent')).toMatchObject({ reason: 'timeout' });
    expect(watcher.closed).toBe(false);
  });

  it('keeps a bot that answers pings by itself (the protocol module auto-pongs)', async () => {
    const clocked = await startClockedServer({ pingInterval: PING, pingTimeout: PING });
    const bot = await connect({ port: clocked.port, host: '127.0.0.1', name: 'bot' });
    for (let round = 1; round <= 3; round++) {
      const ping = bot.waitFor('ping');
      clocked.advance(PING);
      await ping;
      await clocked.handled('pong', round);
    }
    // Without those pongs this would be pingTimeout after the last ping, and the bot dropped.
    clocked.advance(PING);
    await bot.waitFor('ping');
    expect(bot.isOpen).toBe(true);
    expect(clocked.server.users.get('bot')).toBeDefined();
    await bot.close();
  });

  it('closes a connection that does not log in within the login timeout, and not before', async () => {
    const clocked = await startClockedServer({ loginTimeout: 10_000 });
    const lazy = await RawClient.connect(clocked.port);
    await lazy.sync(); // framed from its first byte, and not logged in
    clocked.advance(9_999);
    await lazy.sync();
    expect(lazy.messages.filter((m) => m.type === 'error')).toEqual([]);
    clocked.advance(1);
    expect(await lazy.next('error')).toMatchObject({ code: 'login_timeout' });
    await lazy.waitClosed();
  });

  it('gives a person in text mode six login timeouts to log in, and not more', async () => {
    const clocked = await startClockedServer({ loginTimeout: 10_000 });
    const person = await TextClient.connect(clocked.port);
    person.line('who'); // text from the first byte, not logged in
    await person.expect('Please log in first: login NAME');
    clocked.advance(6 * 10_000 - 1);
    person.line('who');
    await person.expect('Please log in first: login NAME');
    clocked.advance(1);
    await person.expect('No login within 60 s; closing.');
    await person.waitClosed();
  });

  it('drops a connection that never sends a byte, without writing to it', async () => {
    const clocked = await startClockedServer({ loginTimeout: 10_000 });
    const mute = await RawClient.connect(clocked.port);
    let received = 0;
    mute.socket.on('data', (chunk: Buffer) => (received += chunk.length));
    await until(() => clocked.server.connectionCount === 1);
    clocked.advance(9_999);
    const canary = await RawClient.connect(clocked.port);
    await canary.sync(); // the server has gone round its loop since that sweep
    expect(clocked.server.connectionCount).toBe(2);
    clocked.advance(1);
    await mute.waitClosed();
    expect(received).toBe(0);
  });

  it('lets the bot API detect a dead server', async () => {
    // A server that logs the bot in and then never says anything again.
    const dead = net.createServer((socket) => {
      socket.once('data', () =>
        socket.write(
          encode({
            type: 'welcome',
            server: 'dead',
            version: 1,
            you: 'bot',
            address: 'x',
            room: '#main',
            users: ['bot'],
            clients: 1,
            maxFrame: 65536,
          }),
        ),
      );
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    try {
      const port = (dead.address() as net.AddressInfo).port;
      const bot = await connect({ port, host: '127.0.0.1', name: 'bot', pingInterval: 100, pingTimeout: 100 });
      const err = await bot.closed();
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).code).toBe('timeout');
    } finally {
      dead.close();
    }
  });
});

describe('limits', () => {
  it('refuses a client over --max-clients with server_full, then closes', async () => {
    const { port } = await startServer({ maxClients: 2 });
    await RawClient.login(port, 'a');
    await RawClient.login(port, 'b');
    const c = await RawClient.connect(port);
    c.send({ type: 'hello', name: 'c' });
    expect(await c.next('error')).toMatchObject({ code: 'server_full' });
    await c.waitClosed();
  });

  it('refuses connections over --max-conns-per-ip with too_many_connections, in the mode the client speaks', async () => {
    const { port } = await startServer({ maxConnsPerIp: 2, exemptLoopback: false });
    await RawClient.login(port, 'a');
    await RawClient.login(port, 'b');
    const framed = await RawClient.connect(port);
    framed.send({ type: 'hello', name: 'c' });
    expect(await framed.next('error')).toMatchObject({ code: 'too_many_connections' });
    await framed.waitClosed();
    const text = await TextClient.connect(port);
    text.line('login d');
    await text.expect(/^Too many connections from your address/);
    await text.waitClosed();
  });

  it('closes on a frame over --max-frame, from its header alone', async () => {
    const { port } = await startServer({ maxFrame: 1024 });
    const alice = await RawClient.login(port, 'alice');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1025);
    alice.sendBytes(header); // no body at all: the header is enough to refuse
    expect(await alice.next('error')).toMatchObject({ code: 'frame_too_large' });
    await alice.waitClosed();
  });

  it.each([
    ['a name over 32 characters', { type: 'hello', name: 'n'.repeat(33) }, 'bad_name'],
    ['a text over 4096 bytes', { type: 'say', text: '好'.repeat(1366) }, 'text_too_long'],
  ])('answers %s with its error code', async (_what, message, code) => {
    const { port } = await startServer();
    const client = message.type === 'hello' ? await RawClient.connect(port) : await RawClient.login(port, 'alice');
    client.send(message);
    expect(await client.next('error')).toMatchObject({ code });
    await client.sync();
    expect(client.closed).toBe(false);
  });

  it('closes a connection after more than 10 payload errors in a minute', async () => {
    const { port } = await startServer({ rate: 0 });
    const bad = await RawClient.login(port, 'bad');
    const garbage = encodeFrame(Buffer.from([0xc1])); // 0xc1 is never valid MessagePack
    for (let i = 0; i < 11; i++) bad.sendBytes(garbage);
    await bad.next('bye', (m) => m.reason === 'too_many_errors');
    expect(bad.messages.filter((m) => m.type === 'error' && m.code === 'bad_frame')).toHaveLength(11);
    await bad.waitClosed();
  });

  it.each([
    ['bad lines (a name over 32 characters)', `nick ${'n'.repeat(33)}`, /^name must be 1-32 letters/],
    ['over-long lines', 'x'.repeat(5000), /^Line refused/],
  ])('counts %s in text mode toward the same limit, and closes after more than 10', async (_what, line, reply) => {
    const { port } = await startServer({ rate: 0 });
    const watcher = await RawClient.login(port, 'watcher');
    const bad = await TextClient.login(port, 'bad');
    for (let i = 0; i < 11; i++) bad.line(line);
    await bad.expect('Goodbye.');
    await bad.waitClosed();
    expect(bad.lines.filter((l) => reply.test(l)).length).toBeGreaterThanOrEqual(11);
    expect(await watcher.next('left', (m) => m.name === 'bad')).toMatchObject({ reason: 'flood' });
  });

  it('lets a person at telnet make 10 mistakes a minute and stay', async () => {
    const { port } = await startServer({ rate: 0 });
    const person = await TextClient.login(port, 'person');
    for (let i = 0; i < 10; i++) person.line(`nick ${'n'.repeat(33)}`);
    person.line('who');
    await person.expect(/^Online \(1\): person$/);
    expect(person.closed).toBe(false);
  });
});

describe('faults', () => {
  it('survives a client that resets in the middle of a frame', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const vanishing = await RawClient.login(port, 'vanishing');
    const frame = encode({ type: 'say', text: 'never finished' });
    vanishing.sendBytes(frame.subarray(0, 7));
    await new Promise((r) => setTimeout(r, 50));
    vanishing.socket.resetAndDestroy();
    expect(await watcher.next('left', (m) => m.name === 'vanishing')).toMatchObject({ reason: 'disconnect' });
    expect(watcher.messages.some((m) => m.type === 'message')).toBe(false);
    watcher.send({ type: 'say', text: 'still here' });
    await watcher.next('message', (m) => m.text === 'still here');
  });

  it('answers an exception in a handler with internal_error and keeps serving that session', async () => {
    const { port, server, logs } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const spy = vi.spyOn(server.users, 'names').mockImplementationOnce(() => {
      throw new Error('injected fault');
    });
    alice.send({ type: 'who' });
    expect(await alice.next('error')).toMatchObject({ code: 'internal_error', ref: 'who' });
    alice.send({ type: 'who' });
    expect(await alice.next('users')).toMatchObject({ users: ['alice'] });
    spy.mockRestore();
    await new Promise((r) => setImmediate(r));
    expect(logs.some((l) => l.includes('event=handler_failed') && l.includes('injected fault'))).toBe(true);
  });

  it('does not write to a socket after it was closed (logout followed by more frames)', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    const leaver = await RawClient.login(port, 'leaver');
    leaver.sendBytes(Buffer.concat([encode({ type: 'logout' }), encode({ type: 'say', text: 'too late' }), encode({ type: 'who' })]));
    await leaver.next('bye');
    await leaver.waitClosed();
    expect(leaver.messages.filter((m) => m.type === 'users')).toHaveLength(0);
    expect(await watcher.next('left', (m) => m.name === 'leaver')).toMatchObject({ reason: 'logout' });
    await watcher.sync();
    expect(watcher.messages.some((m) => m.type === 'message' && m.text === 'too late')).toBe(false);
  });
});

describe('shutdown', () => {
  it('tells everyone (notice, then bye shutdown), flushes and closes every connection', async () => {
    const handle = await startServer();
    const alice = await RawClient.login(handle.port, 'alice');
    const bob = await TextClient.login(handle.port, 'bob');
    await handle.server.shutdown(2000);
    expect(await alice.next('notice')).toMatchObject({ text: expect.stringContaining('shutting down') });
    expect(await alice.next('bye')).toMatchObject({ reason: 'shutdown' });
    await alice.waitClosed();
    await bob.expect('The server is shutting down. Goodbye.');
    await bob.waitClosed();
    expect(handle.server.connectionCount).toBe(0);
  });

  it('closes a connection that has not sent a byte without writing to it', async () => {
    const handle = await startServer();
    const silent = net.connect({ host: '127.0.0.1', port: handle.port });
    await once(silent, 'connect');
    const received: Buffer[] = [];
    silent.on('data', (b: Buffer) => received.push(b));
    const closed = once(silent, 'close');
    await vi.waitFor(() => expect(handle.server.connectionCount).toBe(1));
    await handle.server.shutdown(2000);
    await closed;
    expect(Buffer.concat(received)).toHaveLength(0);
  });
});

describe('listener faults', () => {
  it('logs an error on the listening socket and keeps accepting', async () => {
    const { port, server, logs } = await startServer();
    // Fault injection: the error an accept() failure (EMFILE, ENFILE) raises on the listener.
    const listeners = (server as unknown as { listeners: net.Server[] }).listeners;
    listeners[0]!.emit('error', Object.assign(new Error('accept failed: too many open files'), { code: 'EMFILE' }));
    const alice = await RawClient.login(port, 'alice');
    await alice.sync();
    await new Promise((r) => setImmediate(r));
    expect(logs.some((l) => l.includes('event=listener_error') && l.includes('too many open files'))).toBe(true);
  });
});
