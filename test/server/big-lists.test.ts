/**
 * Big list replies, from the wire up: a list longer than --max-sendq is still delivered to a
 * reader that keeps up, and a request for a big list costs more of the flood budget than one
 * token, in proportion to the entries it returns (1 + floor(entries / 100)).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encode } from '../../src/protocol/internal.js';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';

/** A name of the full 32 characters: 500 of them make a `users` list of about 17 KB. */
const longName = (i: number): string => `${'n'.repeat(27)}${String(i).padStart(5, '0')}`;

const open: net.Socket[] = [];
afterEach(() => {
  for (const socket of open.splice(0)) socket.destroy();
});

/**
 * Log in `count` users, a batch at a time, each on a socket that reads and discards what it gets
 * (decoding the quarter million `joined` frames of 500 logins would only slow the test). Resolves
 * once each is logged in or closed, with the number closed.
 */
async function crowd(port: number, count: number, name = longName): Promise<{ sockets: net.Socket[]; closed: number }> {
  const sockets: net.Socket[] = [];
  let closed = 0;
  for (let start = 0; start < count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start) }, (_, j) => name(start + j));
    await Promise.all(
      batch.map(
        (who) =>
          new Promise<void>((resolve, reject) => {
            const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(encode({ type: 'hello', name: who })));
            sockets.push(socket);
            open.push(socket);
            let seen = Buffer.alloc(0);
            const onData = (chunk: Buffer): void => {
              // The welcome is the first frame; its type string is near the start.
              seen = Buffer.concat([seen, chunk]).subarray(0, 64);
              if (seen.includes('welcome')) {
                socket.off('data', onData);
                socket.on('data', () => {});
                resolve();
              }
            };
            socket.on('data', onData);
            socket.once('close', () => {
              closed++;
              resolve();
            });
            socket.once('error', reject);
          }),
      ),
    );
  }
  return { sockets, closed };
}

describe('a list bigger than --max-sendq', () => {
  it('reaches every new login in its welcome, framed and text, with nobody dropped', async () => {
    const maxSendq = 8 * 1024;
    const { port, server, logs } = await startServer({ maxSendq, maxClients: 1000 });
    const { closed } = await crowd(port, 500);
    expect(closed).toBe(0);
    expect(server.users.count).toBe(500);

    const framed = await RawClient.connect(port);
    framed.send({ type: 'hello', name: 'newcomer' });
    const welcome = await framed.next('welcome');
    const users = (welcome.rooms as { users: string[] }[])[0]!.users;
    expect(users).toHaveLength(501);
    expect(encode(welcome).length).toBeGreaterThan(2 * maxSendq);

    const text = await TextClient.login(port, 'typist');
    expect(text.lines.find((l) => l.startsWith('Welcome to '))).toContain('with 502 users: ');

    // Later replies as big as that are delivered too, on an empty queue.
    framed.send({ type: 'who' });
    expect(((await framed.next('users')).users as string[]).length).toBe(502);
    text.line('look');
    await text.expect(/^Room #main \(502\): newcomer, n{27}00000, /);
    expect(framed.closed || text.closed).toBe(false);
    expect(logs.filter((l) => l.includes('sendq_exceeded'))).toEqual([]);
    expect(server.users.count).toBe(502);
  }, 60_000);
});

/** Send `count` copies of `request` in one write; count the answers and the refusals. */
async function burstOf(
  client: RawClient,
  request: Record<string, unknown>,
  answer: string,
  count: number,
): Promise<{ answered: number; refused: number }> {
  const from = client.messages.length;
  client.sendBytes(Buffer.concat(Array.from({ length: count }, () => encode(request))));
  const isAnswer = (m: Record<string, unknown>): boolean => m.type === answer;
  const isRefusal = (m: Record<string, unknown>): boolean => m.type === 'error' && m.code === 'rate_limited' && m.ref === request.type;
  const done = (): number => client.messages.slice(from).filter((m) => isAnswer(m) || isRefusal(m)).length;
  while (done() < count) await client.next(undefined, () => true, 10_000);
  const got = client.messages.slice(from);
  return { answered: got.filter(isAnswer).length, refused: got.filter(isRefusal).length };
}

describe('a request for a big list', () => {
  it('costs 1 + floor(entries / 100) tokens: a burst of 40 admits 40 small ones and far fewer big ones', async () => {
    // Default flood control: 20 a second, bursts of 40.
    const { port, server } = await startServer({ maxClients: 1000 });
    const { sockets } = await crowd(port, 300, (i) => `user${i}`);
    // 200 of them move to a room each: #main keeps 100, and there are 201 rooms.
    for (let i = 0; i < 200; i++)
      sockets[i]!.write(Buffer.concat([encode({ type: 'join', room: `#r${i}` }), encode({ type: 'part', room: '#main' })]));
    await until(
      () => server.rooms.count === 201 && server.rooms.members('#main').size === 100,
      () => `${server.rooms.count} rooms`,
      10_000,
    );

    const cases: [Record<string, unknown>, string, number][] = [
      [{ type: 'ping' }, 'pong', 1], // 1 token
      [{ type: 'look' }, 'room', 2], // #main with 101 people: 2 tokens
      [{ type: 'rooms' }, 'rooms', 3], // 201 rooms: 3 tokens
      [{ type: 'who' }, 'users', 4], // 301 users: 4 tokens
    ];
    for (const [request, answer, cost] of cases) {
      const asker = await RawClient.login(port, `asker${cost}`);
      const { answered, refused } = await burstOf(asker, request, answer, 40);
      expect(answered + refused).toBe(40);
      // The hello took one of the 40 tokens: 39 buy ceil(39 / cost) requests, and a little
      // refills while they are handled.
      expect(answered).toBeGreaterThanOrEqual(Math.ceil(39 / cost));
      expect(answered).toBeLessThan(Math.ceil(39 / cost) + 3);
      expect(asker.closed).toBe(false);
      asker.close();
    }
  }, 60_000);
});
