/**
 * Broadcasts: one message is encoded once and the same bytes go to every recipient, and a room of
 * many members each receives it.
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decode, HEADER_BYTES } from '../../src/protocol/internal.js';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * Record every Buffer written to a socket in this process, with the socket it went to. The
 * server runs in-process, so its sockets are among them; a server-side socket is the one whose
 * remote port is a client's local port.
 */
function recordSocketWrites(): (client: { socket: net.Socket }) => Buffer[] {
  const spy = vi.spyOn(net.Socket.prototype, 'write');
  return (client) =>
    spy.mock.calls.flatMap((args, i) => {
      const socket = spy.mock.contexts[i] as net.Socket;
      const chunk = args[0];
      return socket.remotePort === client.socket.localPort && socket.localPort === client.socket.remotePort && Buffer.isBuffer(chunk)
        ? [chunk]
        : [];
    });
}

/** The frames written to `client` that decode to a message with this text. */
function framesWithText(written: Buffer[], text: string): Buffer[] {
  return written.filter((b) => {
    if (b.length <= HEADER_BYTES || b[0] !== 0) return false;
    const m = decode(b.subarray(HEADER_BYTES)) as { text?: unknown };
    return m.text === text;
  });
}

describe('a broadcast', () => {
  it('is encoded once: every framed member is written the very same Buffer', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await RawClient.login(port, 'bob');
    const carol = await RawClient.login(port, 'carol');
    await alice.sync();
    const writtenTo = recordSocketWrites();
    bob.send({ type: 'say', text: 'encoded once' });
    await Promise.all([alice, bob, carol].map((c) => c.next('message')));

    const toAlice = framesWithText(writtenTo(alice), 'encoded once');
    const toBob = framesWithText(writtenTo(bob), 'encoded once');
    const toCarol = framesWithText(writtenTo(carol), 'encoded once');
    expect(toAlice).toHaveLength(1);
    expect(toBob).toHaveLength(1);
    expect(toCarol).toHaveLength(1);
    expect(toBob[0]).toBe(toAlice[0]);
    expect(toCarol[0]).toBe(toAlice[0]);
  });

  it('of a private message writes the same Buffer to the recipient and the sender', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await RawClient.login(port, 'bob');
    const writtenTo = recordSocketWrites();
    alice.send({ type: 'msg', to: 'bob', text: 'one copy' });
    await Promise.all([alice.next('private'), bob.next('private')]);
    const toAlice = framesWithText(writtenTo(alice), 'one copy');
    const toBob = framesWithText(writtenTo(bob), 'one copy');
    expect(toAlice).toHaveLength(1);
    expect(toBob[0]).toBe(toAlice[0]);
  });

  it('is rendered once for text-mode members: each is written the same line Buffer', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const tom = await TextClient.login(port, 'tom');
    const tina = await TextClient.login(port, 'tina');
    await tom.expect('tina has entered the room.');
    const writtenTo = recordSocketWrites();
    alice.send({ type: 'say', text: 'to telnet' });
    await tom.expect('alice: to telnet');
    await tina.expect('alice: to telnet');
    const line = (c: TextClient): Buffer[] => writtenTo(c).filter((b) => b.toString('utf8') === 'alice: to telnet\r\n');
    expect(line(tom)).toHaveLength(1);
    expect(line(tina)[0]).toBe(line(tom)[0]);
  });

  it('reaches framed and text members of the room alike, each in its own form', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const tom = await TextClient.login(port, 'tom');
    const bob = await RawClient.login(port, 'bob');
    bob.send({ type: 'say', text: 'everyone', action: true });
    expect(await alice.next('message')).toMatchObject({ from: 'bob', text: 'everyone', action: true });
    await tom.expect('* bob everyone');
  });

  it('reaches every one of 200 logged-in clients', async () => {
    const { port } = await startServer();
    // 200 logins at once on a loaded 2-core machine: a generous bound on the wait, not a timing claim.
    const login = async (name: string): Promise<RawClient> => {
      const client = await RawClient.connect(port);
      client.send({ type: 'hello', name });
      await client.next('welcome', () => true, 30_000);
      return client;
    };
    const clients = await Promise.all(Array.from({ length: 200 }, (_, i) => login(`user${i}`)));
    // Every welcome has arrived, so all 200 are in #main.
    clients[0]!.send({ type: 'who' });
    expect((await clients[0]!.next('users')).clients).toBe(200);

    clients[123]!.send({ type: 'say', text: 'to all 200' });
    const received = await Promise.all(clients.map((c) => c.next('message', (m) => m.text === 'to all 200', 10_000)));
    expect(received).toHaveLength(200);
    const ids = new Set(received.map((m) => m.id));
    expect(ids.size).toBe(1);
    expect(received.every((m) => m.from === 'user123' && m.room === '#main')).toBe(true);
  });
});
