/**
 * Redis killed under a running cluster (issue #15, faults item 2): real redis-server, real
 * PostgreSQL, two chat-server nodes, real clients. While Redis is away each node serves its own
 * users and says the cluster link is down; once redis-server is back on the same port the nodes
 * resynchronise presence and names and fill what was said meanwhile from the store, each message
 * once and in id order.
 */
import { expect, it } from 'vitest';
import { useCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw.js';
import type { ServerBinary } from '../helpers/server-binary.js';

const cluster = useCluster();
const clients = cluster.clients;

type Msg = Record<string, unknown>;

async function node(id: string): Promise<{ server: ServerBinary; metrics: number }> {
  const server = await cluster.node(id, '--metrics-port', '0', '--log-level', 'info');
  const [, port] = /metrics on http:\/\/[^:]+:(\d+)\//.exec(server.stdout())!;
  return { server, metrics: Number(port) };
}

function login(server: ServerBinary, name: string, extra: Record<string, unknown> = {}): Promise<RawClient> {
  return cluster.login(server.port, name, extra);
}

async function health(port: number): Promise<Msg> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) });
  return (await res.json()) as Msg;
}

async function linkMetric(port: number): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return /^framechat_cluster_link_up (\d)$/m.exec(await res.text())?.[1];
}

/** Resolves once `c` has received a room message of each text (in any order, before or after any other message). */
async function received(c: RawClient, texts: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const have = new Set(said(c).map(([t]) => t));
    if (texts.every((t) => have.has(t))) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${texts.join(', ')}; have ${[...have].join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves with the first message `c` has received, at any time, that matches. */
async function ever(c: RawClient, match: (m: Msg) => boolean, timeoutMs: number): Promise<Msg> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = c.messages.find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for a message that never came`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The room messages a client has received so far, as [text, id]. */
function said(c: RawClient): [string, number][] {
  return c.messages.filter((m) => m.type === 'message').map((m) => [m.text as string, m.id as number]);
}

it('serves each node alone while Redis is down, then resyncs presence and names and fills the gap once', async () => {
  const [a, b] = await Promise.all([node('a'), node('b')]);
  try {
    await outage(a, b);
  } catch (err) {
    // The nodes' logs say where the resync stopped.
    throw new Error(
      `${(err as Error).message}\n--- node a ---\n${a.server.stderr().slice(-6000)}\n--- node b ---\n${b.server.stderr().slice(-6000)}`,
    );
  }
}, 120_000);

async function outage(a: { server: ServerBinary; metrics: number }, b: { server: ServerBinary; metrics: number }): Promise<void> {
  const alice = await login(a.server, 'alice');
  const carol = await login(a.server, 'carol');
  const bob = await login(b.server, 'bob');
  await alice.next('joined', (m) => m.name === 'bob', 10_000);
  await carol.next('joined', (m) => m.name === 'bob', 10_000);
  expect(await health(a.metrics)).toMatchObject({ status: 'ok', cluster: 'up' });
  expect(await linkMetric(a.metrics)).toBe('1');

  alice.send({ type: 'say', text: 'before' });
  const before = (await bob.next('message', (m) => m.text === 'before')).id as number;

  await cluster.redis.halt(); // SIGKILL: as a crash
  for (const c of [alice, carol, bob])
    expect((await c.next('notice', (m) => /cluster link is down/.test(String(m.text)), 15_000)).text).toBeTruthy();
  expect(await health(a.metrics)).toMatchObject({ status: 'degraded', cluster: 'down' });
  expect(await linkMetric(a.metrics)).toBe('0');

  // Each node goes on serving its own users: local chat is delivered (and stored) at once.
  for (const text of ['a1', 'a2', 'a3']) alice.send({ type: 'say', text });
  for (const text of ['b1', 'b2']) bob.send({ type: 'say', text });
  for (const text of ['a1', 'a2', 'a3']) await carol.next('message', (m) => m.text === text, 10_000);
  await alice.next('message', (m) => m.text === 'a3', 10_000);
  await bob.next('message', (m) => m.text === 'b2', 10_000);
  // A private message to a user on the other node cannot be delivered now: the sender is told.
  alice.send({ type: 'msg', to: 'bob', text: 'psst' });
  expect(await alice.next('error', (m) => m.ref === 'msg', 10_000)).toMatchObject({ code: 'server_busy' });
  // The name of a user on the other node stays taken (this node's view of it).
  const clashDown = await RawClient.connect(b.server.port);
  clients.push(clashDown);
  clashDown.send({ type: 'hello', name: 'alice' });
  expect(await clashDown.next(undefined, (m) => m.type === 'welcome' || m.type === 'error', 10_000)).toMatchObject({ code: 'name_taken' });
  expect(said(bob).map(([t]) => t)).toEqual(['before', 'b1', 'b2']);
  // Logins while the link is down are provisional: dave (on B only) keeps his name; zed, taken
  // on both nodes meanwhile, goes to one of the two at the return and the other is told.
  const dave = await login(b.server, 'dave');
  const zeds = [await login(a.server, 'zed'), await login(b.server, 'zed')];

  await cluster.redis.resume(); // same port, empty (no persistence): every claim and heartbeat is lost
  for (const c of [alice, carol, bob]) await c.next('notice', (m) => /cluster link is back/.test(String(m.text)), 30_000);
  await received(bob, ['a1', 'a2', 'a3'], 20_000);
  await received(alice, ['b1', 'b2'], 20_000);
  await received(carol, ['b1', 'b2'], 20_000);
  expect(await health(a.metrics)).toMatchObject({ status: 'ok', cluster: 'up' });
  expect(await linkMetric(a.metrics)).toBe('1');

  // Who came meanwhile is told as joined; exactly one zed is closed with name_taken.
  // (Whichever node is back first sends its snapshot; the other may take it before its own
  // "link is back" notice, so the joined is looked for among everything alice has had.)
  expect(await ever(alice, (m) => m.type === 'joined' && m.name === 'dave', 10_000)).toMatchObject({ room: '#main' });
  const lost = await Promise.race(zeds.map((z, i) => z.next('error', (m) => m.code === 'name_taken', 15_000).then(() => i)));
  const kept = zeds[1 - lost]!;
  kept.send({ type: 'say', text: 'zed here' });
  await received(dave, ['zed here'], 10_000);
  // `who` on both nodes lists everyone (the closed zed's `out` may still be on its way: ask again).
  for (const c of [alice, bob]) {
    let users: Msg | undefined;
    for (let tries = 0; tries < 20; tries++) {
      c.send({ type: 'who' });
      users = await c.next('users', () => true, 10_000);
      if ((users.users as string[]).length === 5) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(users).toMatchObject({ users: ['alice', 'bob', 'carol', 'dave', 'zed'], clients: 5 });
  }
  // A name held on A before the outage is claimed again in Redis: B refuses it.
  const clash = await RawClient.connect(b.server.port);
  clients.push(clash);
  clash.send({ type: 'hello', name: 'Alice' });
  expect(await clash.next(undefined, (m) => m.type === 'welcome' || m.type === 'error', 10_000)).toMatchObject({ code: 'name_taken' });

  // Then a new line crosses normally, numbered above everything before it.
  bob.send({ type: 'say', text: 'after' });
  const after = (await alice.next('message', (m) => m.text === 'after', 10_000)).id as number;
  await carol.next('message', (m) => m.text === 'after', 10_000);
  for (const c of [alice, carol, bob]) await c.sync(10_000);

  // Everyone has every line exactly once; the gap arrived in id order; ids are unique.
  for (const c of [alice, carol, bob]) {
    const got = said(c).filter(([t]) => t !== 'zed here');
    expect(got.map(([t]) => t).sort()).toEqual(['a1', 'a2', 'a3', 'after', 'b1', 'b2', 'before']);
    const ids = got.map(([, id]) => id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toBeGreaterThanOrEqual(before);
    expect(Math.max(...ids)).toBe(after);
  }
  const idsOf = (c: RawClient, texts: string[]): number[] =>
    said(c)
      .filter(([t]) => texts.includes(t))
      .map(([, id]) => id);
  const increasing = (ids: number[]): boolean => ids.every((id, i) => i === 0 || id > ids[i - 1]!);
  expect(increasing(idsOf(bob, ['a1', 'a2', 'a3']))).toBe(true);
  expect(increasing(idsOf(alice, ['b1', 'b2']))).toBe(true);
  expect(
    said(bob)
      .filter(([t]) => /^a\d$/.test(t))
      .map(([t]) => t),
  ).toEqual(['a1', 'a2', 'a3']);
  expect(
    said(alice)
      .filter(([t]) => /^b\d$/.test(t))
      .map(([t]) => t),
  ).toEqual(['b1', 'b2']);
  // Each node's ids agree with the other's: bob's copy of a2 is alice's.
  expect(idsOf(bob, ['a1', 'a2', 'a3'])).toEqual(idsOf(alice, ['a1', 'a2', 'a3']));
  expect(idsOf(alice, ['b1', 'b2'])).toEqual(idsOf(bob, ['b1', 'b2']));
}
