/**
 * An asynchronous store (PostgreSQL's shape): the Archive holds each turn's output until that
 * turn's commit settles, so no client has a message the store does not hold yet; output made while
 * a commit is pending waits for the next commit, and nothing is reordered.
 */
import { afterEach, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';
import { MemoryStore } from '../../src/server/store/memory.js';
import type { CommitReport } from '../../src/server/store/store.js';

/** The memory store, committing asynchronously: each commit waits until the test opens it. */
class GatedStore extends MemoryStore {
  readonly async = true;
  readonly gates: (() => void)[] = [];
  /** Messages in each commit, in call order. */
  readonly batches: number[] = [];
  private queued = 0;

  override append(...args: Parameters<MemoryStore['append']>): void {
    this.queued++;
    super.append(...args);
  }

  /** Commits open at once (logging in, stopping). */
  auto = true;

  // @ts-expect-error: this store commits asynchronously, as PostgreSQL's does (Store allows both shapes).
  override commit(): Promise<CommitReport> {
    const report = super.commit();
    const n = this.queued;
    this.queued = 0;
    if (n === 0 || this.auto) return Promise.resolve(report);
    this.batches.push(n);
    return new Promise((resolve) => this.gates.push(() => resolve(report)));
  }

  /** Open every commit made so far. */
  open(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

let server: TestServer | undefined;
const clients: RawClient[] = [];
let store: GatedStore | undefined;
afterEach(async () => {
  if (store) store.auto = true;
  store?.open();
  for (const c of clients.splice(0)) c.close();
  await server?.stop();
  server = undefined;
});

async function login(name: string): Promise<RawClient> {
  const c = await RawClient.login(server!.port, name);
  clients.push(c);
  return c;
}

it('delivers a message only after the commit that holds it has settled', async () => {
  store = new GatedStore();
  server = await startServer({}, { store });
  const alice = await login('alice');
  const bob = await login('bob');
  await alice.next('joined', (m) => m.name === 'bob');
  store.auto = false;

  alice.send({ type: 'say', text: 'one' });
  await until(
    () => store!.batches.includes(1),
    () => `no commit with the message: ${store!.batches.join(',')}`,
  );
  // The commit is pending: nothing of the turn may reach a socket. Given ample time to arrive, it has not.
  await new Promise((r) => setTimeout(r, 200));
  expect(bob.messages.filter((m) => m.type === 'message')).toEqual([]);
  expect(alice.messages.filter((m) => m.type === 'message')).toEqual([]);

  // A second message while the first commit is pending: it waits for its own commit, after the first.
  alice.send({ type: 'say', text: 'two' });
  await until(
    () => store!.batches.length === 2,
    () => `batches ${store!.batches.join(',')}`,
  );
  store.gates.shift()!();
  expect((await bob.next('message')).text).toBe('one');
  await new Promise((r) => setTimeout(r, 200));
  expect(bob.messages.filter((m) => m.type === 'message').map((m) => m.text)).toEqual(['one']);
  store.open();
  expect((await bob.next('message')).text).toBe('two');
  await alice.sync();
  expect(alice.messages.filter((m) => m.type === 'message').map((m) => m.text)).toEqual(['one', 'two']);
});
