/**
 * Entering a room with an asynchronous store (the store thread, PostgreSQL): the history read
 * waits, and the newcomer is a member already. What others say and do in the room meanwhile comes
 * after the welcome (or the `room` answer) and the history, and a line that is in the page is not
 * sent again live. The store here is the memory store with its reads held until the test opens
 * them.
 */
import { afterEach, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';
import { MemoryStore } from '../../src/server/store/memory.js';
import type { Page, Topic } from '../../src/server/store/store.js';

type Msg = Record<string, unknown>;

/** Reads of history and topics wait while `gated`, until open(). */
class SlowReads extends MemoryStore {
  gated = false;
  /** Reads waiting, by what they read. */
  readonly waiting: string[] = [];
  private gates: (() => void)[] = [];

  private async gate(what: string): Promise<void> {
    if (!this.gated) return;
    this.waiting.push(what);
    await new Promise<void>((resolve) => this.gates.push(resolve));
  }

  override async latest(room: string, limit: number): Promise<Page> {
    await this.gate(`latest ${room}`);
    return super.latest(room, limit);
  }

  override async getTopic(room: string): Promise<Topic | undefined> {
    await this.gate(`topic ${room}`);
    return super.getTopic(room);
  }

  open(): void {
    this.gated = false;
    for (const g of this.gates.splice(0)) g();
  }
}

let server: TestServer | undefined;
let store: SlowReads | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  store?.open();
  for (const c of clients.splice(0)) c.close();
  await server?.stop();
  server = undefined;
});

async function login(name: string, extra: Msg = {}): Promise<RawClient> {
  const c = await RawClient.login(server!.port, name, extra);
  clients.push(c);
  return c;
}

/** Send `name`'s hello with reads held: resolves once its #main history read waits, the session in #main. */
async function heldLogin(name: string): Promise<RawClient> {
  store!.gated = true;
  const c = await RawClient.connect(server!.port);
  clients.push(c);
  c.send({ type: 'hello', name });
  await until(() => store!.waiting.includes('latest #main'));
  return c;
}

/** The types of what `c` received, with the text of each message and history page. */
function stream(c: RawClient): string[] {
  return c.messages.map((m) => {
    if (m.type === 'message') return `message ${String(m.text)}`;
    if (m.type === 'history') return `history ${(m.messages as Msg[]).map((x) => String(x.text)).join(',')}`;
    if (m.type === 'joined' || m.type === 'left') return `${m.type} ${String(m.name)}`;
    return String(m.type);
  });
}

it('sends a line said during the history read of a login once, after the welcome and the page', async () => {
  store = new SlowReads();
  server = await startServer({}, { store });
  const alice = await login('alice');
  alice.send({ type: 'say', text: 'before' });
  await alice.next('message', (m) => m.text === 'before');

  const bob = await heldLogin('bob');
  // bob is in #main, his history not read yet: alice talks, carol comes.
  await alice.next('joined', (m) => m.name === 'bob');
  alice.send({ type: 'say', text: 'during' });
  await alice.next('message', (m) => m.text === 'during');
  const carol = await login('carol');
  await alice.next('joined', (m) => m.name === 'carol');
  store.open();

  await bob.next('history');
  alice.send({ type: 'say', text: 'after' });
  await bob.next('message', (m) => m.text === 'after');
  // The page was read after "during" was stored: it holds it, so it does not come live too.
  expect(stream(bob)).toEqual(['welcome', 'history before,during', 'joined carol', 'message after']);
  await carol.next('message', (m) => m.text === 'after');
  expect(stream(carol).filter((t) => t.startsWith('message'))).toEqual(['message after']);
});

it('sends the room answer and history of a join first, then what the room said meanwhile', async () => {
  store = new SlowReads();
  server = await startServer({}, { store });
  const alice = await login('alice', { rooms: ['#rust'] });
  alice.send({ type: 'say', text: 'old', room: '#rust' });
  await alice.next('message', (m) => m.text === 'old');
  const bob = await login('bob');

  store.gated = true;
  bob.send({ type: 'join', room: '#rust' });
  await until(() => store!.waiting.includes('latest #rust'));
  await alice.next('joined', (m) => m.name === 'bob' && m.room === '#rust');
  alice.send({ type: 'say', text: 'meanwhile', room: '#rust' });
  await alice.next('message', (m) => m.text === 'meanwhile');
  store.open();

  await bob.next('history', (m) => m.room === '#rust');
  alice.send({ type: 'say', text: 'later', room: '#rust' });
  await bob.next('message', (m) => m.text === 'later');
  expect(stream(bob).slice(2)).toEqual(['room', 'history old,meanwhile', 'message later']);
});

it('sends nothing of a room before the welcome while a new room takes its topic from the store', async () => {
  store = new SlowReads();
  server = await startServer({}, { store });
  store.gated = true;
  const bob = await RawClient.connect(server.port);
  clients.push(bob);
  bob.send({ type: 'hello', name: 'bob', rooms: ['#new'] });
  await until(() => store!.waiting.includes('topic #new'));
  // bob is in #new already (his welcome waits for its topic): dave joins it and talks.
  store.gated = false;
  const dave = await login('dave', { rooms: ['#new'] });
  dave.send({ type: 'say', text: 'hi', room: '#new' });
  await dave.next('message', (m) => m.text === 'hi');
  expect(bob.messages).toEqual([]);
  store.open();

  await bob.next('history');
  await until(() => stream(bob).includes('message hi') || stream(bob).some((t) => t.startsWith('history') && t.includes('hi')));
  const got = stream(bob);
  expect(got[0]).toBe('welcome');
  expect(got[1]).toMatch(/^history/);
  // "hi" is in the page or live after it, once.
  expect(got.filter((t) => t === 'message hi' || (t.startsWith('history') && t.split(' ')[1]?.split(',').includes('hi'))).length).toBe(1);
});

it('holds at most 4096 lines for a slow read: past that they go out at once, in order, none lost', async () => {
  store = new SlowReads();
  server = await startServer({ rate: 0 }, { store });
  const alice = await login('alice');
  const bob = await heldLogin('bob');
  await alice.next('joined', (m) => m.name === 'bob');
  const lines = 4100;
  for (let i = 0; i < lines; i++) alice.send({ type: 'say', text: `l${i}` });
  const live = (): string[] => bob.messages.filter((m) => m.type === 'message').map((m) => String(m.text));
  // The read still waits: the first 4096 came out when the queue reached its bound, the rest at once.
  await until(
    () => live().length === lines,
    () => `bob has ${live().length} lines live`,
    20_000,
  );
  expect(bob.messages.some((m) => m.type === 'history')).toBe(false);
  expect(live()).toEqual(Array.from({ length: lines }, (_, i) => `l${i}`));
  store.open();
  await bob.next('history');
});
