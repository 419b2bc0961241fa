/**
 * Name claims that complete later (as a cluster's registry would): the session reads none of its
 * client's input until the claim is answered, so answers keep their order; a claim refused by the
 * registry is name_taken; a client gone while its claim was in flight leaves no name behind.
 */
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/protocol/internal.js';
import type { NameClaims } from '../../src/server/claims.js';
import { RawClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

/** The local claims, answered a few event-loop turns later; `refuse` names the registry denies. */
class SlowClaims implements NameClaims {
  readonly released: string[] = [];

  constructor(
    private readonly local: NameClaims,
    private readonly refuse: ReadonlySet<string> = new Set(),
  ) {}

  private later<T>(value: () => T): Promise<T> {
    return new Promise((resolve) => setTimeout(() => resolve(value()), 20));
  }

  claim(name: string, holder: number): Promise<boolean> {
    return this.later(() => !this.refuse.has(name) && (this.local.claim(name, holder) as boolean));
  }

  move(from: string, to: string, holder: number): Promise<boolean> {
    return this.later(() => !this.refuse.has(to) && (this.local.move(from, to, holder) as boolean));
  }

  release(name: string, holder: number): void {
    this.released.push(name);
    this.local.release(name, holder);
  }
}

describe('asynchronous name claims', () => {
  it('keep the order of answers: hello, say and who sent in one write come back in order', async () => {
    const { port } = await startServer({}, { claims: (local) => new SlowClaims(local) });
    const alice = await RawClient.connect(port);
    alice.sendBytes(
      Buffer.concat([encode({ type: 'hello', name: 'alice' }), encode({ type: 'say', text: 'first' }), encode({ type: 'who' })]),
    );
    await alice.next('users');
    expect(alice.messages.map((m) => m.type)).toEqual(['welcome', 'history', 'message', 'users']);
  });

  it('keep the order around a nick: the say after it is from the new name', async () => {
    const { port } = await startServer({}, { claims: (local) => new SlowClaims(local) });
    const alice = await RawClient.login(port, 'alice');
    const bob = await RawClient.login(port, 'bob');
    alice.sendBytes(Buffer.concat([encode({ type: 'nick', name: 'alicia', label: 'n' }), encode({ type: 'say', text: 'after' })]));
    expect(await bob.next('renamed')).toMatchObject({ from: 'alice', to: 'alicia' });
    expect(await bob.next('message')).toMatchObject({ from: 'alicia', text: 'after' });
    expect(await alice.next('renamed')).toMatchObject({ label: 'n' });
  });

  it('answer name_taken when the registry refuses, and the session can try another name', async () => {
    const { port } = await startServer({}, { claims: (local) => new SlowClaims(local, new Set(['taken'])) });
    const client = await RawClient.connect(port);
    client.send({ type: 'hello', name: 'taken', label: 'x' });
    expect(await client.next('error')).toMatchObject({ code: 'name_taken', ref: 'hello', label: 'x' });
    client.send({ type: 'hello', name: 'free' });
    expect(await client.next('welcome')).toMatchObject({ you: 'free' });
  });

  it('release the name of a client that left while its claim was in flight', async () => {
    let claims: SlowClaims | undefined;
    const { port, server } = await startServer({}, { claims: (local) => (claims = new SlowClaims(local)) });
    const ghost = await RawClient.connect(port);
    ghost.send({ type: 'hello', name: 'ghost' });
    ghost.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(claims!.released).toContain('ghost');
    expect(server.directory.user('ghost')).toBeUndefined();
    expect(await RawClient.login(port, 'ghost')).toBeDefined();
  });
});
