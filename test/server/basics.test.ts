import { describe, expect, it } from 'vitest';
import { startServer } from '../helpers/server.js';
import { RawClient, TextClient } from '../helpers/raw.js';

describe('server basics', () => {
  it('welcomes a framed client and tells the room', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await RawClient.connect(port);
    bob.send({ type: 'hello', name: 'bob' });
    const welcome = await bob.next('welcome');
    expect(welcome).toMatchObject({ you: 'bob', rooms: [{ room: '#main', topic: '', users: ['alice', 'bob'] }], clients: 2, protocol: 2 });
    expect(await alice.next('joined')).toMatchObject({ name: 'bob', room: '#main', clients: 2 });
  });

  it('lets a text client and a framed client talk', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await TextClient.login(port, 'bob');
    bob.line('hello from telnet');
    expect(await alice.next('message')).toMatchObject({ from: 'bob', text: 'hello from telnet', room: '#main' });
    alice.send({ type: 'say', text: 'hi bob' });
    await bob.expect('alice: hi bob');
  });
});
