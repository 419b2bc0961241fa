/**
 * Admission under attack from one address: refused connections never hold a session slot nor a
 * per-address slot, are answered in the client's mode (framed, text, text port, TLS), and are
 * closed within seconds; loopback is exempt from the per-address limit unless told otherwise.
 */
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, ServerError, type Connection } from '../../src/protocol/internal.js';
import { REFUSE_LINGER_MS, REFUSE_WAIT_MS } from '../../src/server/refusal.js';
import { PENDING_SLACK, REFUSING_PER_GROUP } from '../../src/server/server.js';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';
import { makeCerts, type Certs } from './certs.js';

let certs: Certs;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());

const sockets: net.Socket[] = [];
const bots: Connection[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const b of bots.splice(0)) b.destroy();
});

/** A TCP connection that sends nothing, recording what it receives. */
async function silent(port: number): Promise<net.Socket & { received: Buffer[]; gone: Promise<unknown> }> {
  const socket = net.connect({ port, host: '127.0.0.1' }) as net.Socket & { received: Buffer[]; gone: Promise<unknown> };
  sockets.push(socket);
  socket.received = [];
  socket.gone = once(socket, 'close');
  socket.on('data', (b: Buffer) => socket.received.push(b));
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

describe('refused connections', () => {
  it('never hold a session slot: 300 silent connections from one address leave the server its capacity', async () => {
    const { port, server } = await startServer({ maxConnsPerIp: 2, exemptLoopback: false, maxClients: 1, loginTimeout: 60_000 });
    const admitted = [await silent(port), await silent(port)];
    const flood = await Promise.all(Array.from({ length: 300 }, () => silent(port)));
    // Every one of the 300 is refused: REFUSING_PER_GROUP of them wait for a first byte, the rest
    // are closed at once. None becomes a session, so the global limit (maxClients + 256) is far away.
    await vi.waitFor(
      () => expect(flood.filter((s) => s.destroyed || s.readableEnded).length).toBeGreaterThanOrEqual(300 - REFUSING_PER_GROUP),
      {
        timeout: 10_000,
      },
    );
    expect(server.connectionCount).toBe(2);
    expect(server.refusingCount).toBeLessThanOrEqual(REFUSING_PER_GROUP);
    for (const s of admitted) expect(s.destroyed).toBe(false);
    // The ones that waited are told in text once the wait is over (a person at telnet), then closed.
    await Promise.all(flood.map((s) => s.gone));
    const told = flood.filter((s) => Buffer.concat(s.received).toString() === 'Too many connections from your address (limit 2).\r\n');
    expect(told.length).toBe(REFUSING_PER_GROUP);
    await vi.waitFor(() => expect(server.refusingCount).toBe(0)); // the server hears the closes a moment later
    expect(server.connectionCount).toBe(2);
  }, 30_000);

  it('do not count against the per-address limit: a slot freed is free at once, while refusals linger', async () => {
    const { port, server } = await startServer({ maxConnsPerIp: 1, exemptLoopback: false });
    const first = await RawClient.login(port, 'first');
    const lingering = await Promise.all(Array.from({ length: 5 }, () => silent(port)));
    await vi.waitFor(() => expect(server.refusingCount).toBe(5));
    first.close();
    await vi.waitFor(() => expect(server.connectionCount).toBe(0));
    const second = await RawClient.login(port, 'second');
    expect(second.messages[0]).toMatchObject({ type: 'welcome', you: 'second' });
    for (const s of lingering) expect(s.destroyed).toBe(false);
  });

  it('answer a framed client with one error frame and close within REFUSE_LINGER_MS, whatever it keeps sending', async () => {
    const { port, server } = await startServer({ maxConnsPerIp: 1, exemptLoopback: false });
    await RawClient.login(port, 'first');
    const c = await RawClient.connect(port);
    c.socket.allowHalfOpen = true; // a peer that never closes its side
    c.send({ type: 'hello', name: 'second' });
    expect(await c.next('error')).toMatchObject({ code: 'too_many_connections' });
    for (let i = 0; i < 50; i++) c.send({ type: 'ping' });
    expect(server.refusingCount).toBe(1);
    await vi.waitFor(() => expect(server.refusingCount).toBe(0), { timeout: REFUSE_LINGER_MS + 2_000 });
    expect(c.messages).toHaveLength(1);
  });

  it('answer at once on the text port, where the mode is known before any byte', async () => {
    const { textPort, server } = await startServer({ maxConnsPerIp: 1, exemptLoopback: false, textPort: 0 });
    const first = await TextClient.connect(textPort!);
    await first.expect(/Welcome to test/);
    const second = await TextClient.connect(textPort!);
    await second.expect('Too many connections from your address (limit 1).');
    await second.waitClosed();
    expect(second.lines).toEqual(['Too many connections from your address (limit 1).']);
    expect(server.connectionCount).toBe(1);
  });

  it('answer a silent connection in text after REFUSE_WAIT_MS (a person who has not typed yet)', async () => {
    const { port } = await startServer({ maxConnsPerIp: 1, exemptLoopback: false });
    await RawClient.login(port, 'first');
    const person = await silent(port);
    await person.gone;
    expect(Buffer.concat(person.received).toString()).toBe('Too many connections from your address (limit 1).\r\n');
    expect(REFUSE_WAIT_MS).toBeLessThanOrEqual(2_000);
  });

  it('send server_full, framed and text, when the server holds maxClients + slack connections', async () => {
    // Loopback is exempt from the per-address limit, so one local process can fill the server up
    // to the global bound, and not one connection further.
    const { port, server } = await startServer({ maxConnsPerIp: 100, maxClients: 2, loginTimeout: 60_000 });
    const held = await Promise.all(Array.from({ length: 2 + PENDING_SLACK }, () => silent(port)));
    await vi.waitFor(() => expect(server.connectionCount).toBe(2 + PENDING_SLACK));
    const framed = await RawClient.connect(port);
    framed.send({ type: 'hello', name: 'late' });
    expect(await framed.next('error')).toMatchObject({ code: 'server_full', message: 'The server is full (2 users).' });
    await framed.waitClosed();
    const text = await TextClient.connect(port);
    text.line('login later');
    await text.expect('The server is full (2 users).');
    await text.waitClosed();
    expect(server.connectionCount).toBe(2 + PENDING_SLACK);
    held[0]!.destroy();
    await vi.waitFor(() => expect(server.connectionCount).toBe(1 + PENDING_SLACK));
    await RawClient.login(port, 'now');
  }, 30_000);
});

describe('refusals over TLS', () => {
  const tlsServer = (extra: Parameters<typeof startServer>[0]) =>
    startServer({ tlsPort: 0, tlsCert: certs.selfSigned.cert, tlsKey: certs.selfSigned.key, ...extra });

  it('send too_many_connections to a bot over TLS instead of a bare reset', async () => {
    const { tlsPort } = await tlsServer({ maxConnsPerIp: 1, exemptLoopback: false });
    bots.push(await connect({ host: 'localhost', port: tlsPort, name: 'one', tls: true, ca: certs.selfSigned.cert }));
    const err = await connect({ host: 'localhost', port: tlsPort, name: 'two', tls: true, ca: certs.selfSigned.cert }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ code: 'too_many_connections' });
  });

  it('send the refusal as a line to a text client over TLS', async () => {
    const { tlsPort, server } = await tlsServer({ maxConnsPerIp: 1, exemptLoopback: false });
    bots.push(await connect({ host: 'localhost', port: tlsPort, name: 'one', tls: true, ca: certs.selfSigned.cert }));
    const socket = tls.connect({ port: tlsPort!, host: '127.0.0.1', servername: 'localhost', ca: certs.selfSigned.cert });
    sockets.push(socket);
    socket.on('error', () => {});
    await once(socket, 'secureConnect');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (t: string) => (text += t));
    socket.write('login two\r\n');
    await once(socket, 'close');
    expect(text).toBe('Too many connections from your address (limit 1).\r\n');
    expect(server.users.count).toBe(1);
  });
});

describe('loopback', () => {
  it('is exempt from the per-address limit by default: 150 local bots log in with the limit at 100', async () => {
    const { port, server } = await startServer({ maxConnsPerIp: 100 });
    const clients: RawClient[] = [];
    for (let i = 0; i < 150; i++) clients.push(await RawClient.login(port, `bot${i}`));
    expect(server.users.count).toBe(150);
  }, 30_000);

  it('includes ::1, which counts as itself (not as a /64)', async () => {
    const exempt = await startServer({ host: '::1', maxConnsPerIp: 1 });
    await RawClient.login(exempt.port, 'one', {}, '::1');
    expect((await RawClient.login(exempt.port, 'two', {}, '::1')).messages[0]).toMatchObject({
      address: expect.stringMatching(/^\[::1\]:\d+$/),
    });
    const limited = await startServer({ host: '::1', maxConnsPerIp: 1, exemptLoopback: false });
    await RawClient.login(limited.port, 'one', {}, '::1');
    const c = await RawClient.connect(limited.port, '::1');
    c.send({ type: 'hello', name: 'two' });
    expect(await c.next('error')).toMatchObject({ code: 'too_many_connections' });
  });

  it('is limited like any address with exemptLoopback off (--limit-loopback)', async () => {
    const { port, server } = await startServer({ maxConnsPerIp: 3, exemptLoopback: false });
    for (let i = 0; i < 3; i++) await RawClient.login(port, `bot${i}`);
    const c = await RawClient.connect(port);
    c.send({ type: 'hello', name: 'bot3' });
    expect(await c.next('error')).toMatchObject({ code: 'too_many_connections' });
    expect(server.users.count).toBe(3);
  });
});
