/**
 * Every error code the server sends in framed mode (the hardening limits have their own tests in
 * hardening.test.ts): when it comes, what it carries, and whether the connection stays.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/internal.js';
import { RawClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

/** The connection is still open and in sync: a ping is answered. */
async function expectStillServed(client: RawClient): Promise<void> {
  await client.sync();
  expect(client.closed).toBe(false);
}

function lengthHeader(length: number): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length, 0);
  return header;
}

describe('errors before login', () => {
  it.each([
    ['say', { type: 'say', text: 'hi' }],
    ['msg', { type: 'msg', to: 'bob', text: 'hi' }],
    ['who', { type: 'who' }],
    ['look', { type: 'look' }],
    ['rooms', { type: 'rooms' }],
    ['join', { type: 'join', room: '#rust' }],
    ['nick', { type: 'nick', name: 'bob' }],
    ['pong', { type: 'pong', token: 1 }],
  ])('%s before hello gets not_logged_in, and the connection stays', async (type, message) => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    client.send(message);
    expect(await client.next('error')).toEqual({ type: 'error', code: 'not_logged_in', message: expect.any(String), ref: type });
    await expectStillServed(client);
    client.send({ type: 'hello', name: 'late' });
    expect(await client.next('welcome')).toMatchObject({ you: 'late' });
  });

  it('a second hello gets already_logged_in and changes nothing', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'hello', name: 'other' });
    expect(await alice.next('error')).toMatchObject({ code: 'already_logged_in', ref: 'hello' });
    alice.send({ type: 'who' });
    expect((await alice.next('users')).users).toEqual(['alice']);
  });
});

describe('name errors', () => {
  it.each([
    ['the same name', 'alice'],
    ['another case', 'ALICE'],
  ])('hello with %s as someone online gets name_taken; a different name then works', async (_what, name) => {
    const { port } = await startServer();
    await RawClient.login(port, 'alice');
    const client = await RawClient.connect(port);
    client.send({ type: 'hello', name });
    expect(await client.next('error')).toEqual({ type: 'error', code: 'name_taken', message: expect.stringContaining(name), ref: 'hello' });
    client.send({ type: 'hello', name: 'bob' });
    expect(await client.next('welcome')).toMatchObject({ you: 'bob' });
  });

  it('a name equal after NFC is taken: "Zoë" composed against "Zoe" + combining diaeresis', async () => {
    const { port } = await startServer();
    await RawClient.login(port, 'Zoë');
    const client = await RawClient.connect(port);
    client.send({ type: 'hello', name: 'zoe\u0308' });
    expect(await client.next('error')).toMatchObject({ code: 'name_taken' });
  });

  it('nick to a name someone has gets name_taken, and the old name is kept', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    await RawClient.login(port, 'bob');
    alice.send({ type: 'nick', name: 'Bob' });
    expect(await alice.next('error')).toMatchObject({ code: 'name_taken', ref: 'nick' });
    alice.send({ type: 'say', text: 'still me' });
    expect(await alice.next('message')).toMatchObject({ from: 'alice' });
  });

  it.each([
    ['hello', { type: 'hello', name: 'has space' }],
    ['hello', { type: 'hello', name: 'x'.repeat(33) }],
    ['hello', { type: 'hello' }],
    ['nick', { type: 'nick', name: 'bad!' }],
    ['msg', { type: 'msg', to: '', text: 'hi' }],
  ])('%s with an invalid name gets bad_name, and the connection stays', async (ref, message) => {
    const { port } = await startServer();
    const client = ref === 'hello' ? await RawClient.connect(port) : await RawClient.login(port, 'alice');
    client.send(message);
    expect(await client.next('error')).toMatchObject({ code: 'bad_name', ref });
    await expectStillServed(client);
  });

  it('msg to nobody online gets no_such_user', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'msg', to: 'ghost', text: 'anyone?' });
    expect(await alice.next('error')).toEqual({
      type: 'error',
      code: 'no_such_user',
      message: expect.stringContaining('ghost'),
      ref: 'msg',
    });
    await expectStillServed(alice);
  });
});

describe('field errors', () => {
  it.each([
    ['a room without "#"', { type: 'join', room: 'rust' }, 'bad_room'],
    ['a room with a space', { type: 'join', room: '#two words' }, 'bad_room'],
    ['empty text', { type: 'say', text: '' }, 'bad_text'],
    ['a newline in text', { type: 'say', text: 'one\ntwo' }, 'bad_text'],
    ['an escape in a private message', { type: 'msg', to: 'alice', text: '\u001b[2J' }, 'bad_text'],
    ['4097 bytes of text', { type: 'say', text: 'a'.repeat(4097) }, 'text_too_long'],
    ['4098 bytes of Chinese text', { type: 'say', text: '字'.repeat(1366) }, 'text_too_long'],
    ['a non-boolean action', { type: 'say', text: 'hi', action: 1 }, 'bad_request'],
    ['a ping token of 65 characters', { type: 'ping', token: 'x'.repeat(65) }, 'bad_request'],
    ['a numeric logout reason', { type: 'logout', reason: 3 }, 'bad_request'],
  ])('%s gets %s, and the connection stays', async (_what, message, code) => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    alice.send(message);
    expect(await alice.next('error')).toMatchObject({ type: 'error', code, ref: message.type });
    await expectStillServed(alice);
  });

  it('a tab in text is fine', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'say', text: 'a\tb' });
    expect(await alice.next('message')).toMatchObject({ text: 'a\tb' });
  });

  it('unknown extra fields are ignored', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'say', text: 'hi', colour: 'red', v2: { nested: true } });
    expect(await alice.next('message')).toEqual({
      type: 'message',
      id: expect.any(Number),
      ts: expect.any(Number),
      room: '#main',
      from: 'alice',
      text: 'hi',
    });
  });
});

describe('payload errors keep the connection', () => {
  it.each([
    ['a payload that is not MessagePack (truncated)', Buffer.from([0x82, 0xa4, 0x74])],
    ['a payload with bytes after the value', Buffer.from([0x80, 0x80])],
    ['a MessagePack array instead of a map', Buffer.from([0x91, 0xa3, 0x77, 0x68, 0x6f])],
    ['a MessagePack string instead of a map', Buffer.from([0xa3, 0x77, 0x68, 0x6f])],
    ['a map without "type"', Buffer.from([0x81, 0xa4, 0x74, 0x65, 0x78, 0x74, 0xa2, 0x68, 0x69])],
    ['a map whose "type" is a number', Buffer.from([0x81, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x07])],
  ])('%s gets bad_frame', async (_what, payload) => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    alice.sendBytes(encodeFrame(payload));
    const error = await alice.next('error');
    expect(error).toMatchObject({ type: 'error', code: 'bad_frame' });
    expect(error).not.toHaveProperty('ref');
    await expectStillServed(alice);
  });

  it('an unknown type gets unknown_type naming it', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'dance', style: 'waltz' });
    expect(await alice.next('error')).toMatchObject({ code: 'unknown_type', ref: 'dance' });
    await expectStillServed(alice);
  });

  it('a payload error before login does not log the connection in or out', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    client.sendBytes(encodeFrame(Buffer.from([0x01])));
    expect(await client.next('error')).toMatchObject({ code: 'bad_frame' });
    client.send({ type: 'hello', name: 'alice' });
    expect(await client.next('welcome')).toMatchObject({ you: 'alice' });
  });
});

describe('framing errors close the connection', () => {
  it('a zero length gets bad_frame and the connection is closed', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await RawClient.login(port, 'bob');
    alice.sendBytes(lengthHeader(0));
    expect(await alice.next('error')).toMatchObject({ code: 'bad_frame' });
    await alice.waitClosed();
    expect(await bob.next('left', (m) => m.name === 'alice')).toMatchObject({ reason: 'disconnect', clients: 1 });
  });

  it('a declared length over maxFrame gets frame_too_large and a close, before any body is sent', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    const bob = await RawClient.login(port, 'bob');
    alice.sendBytes(lengthHeader(65_537));
    expect(await alice.next('error')).toMatchObject({ code: 'frame_too_large', message: expect.stringContaining('65536') });
    await alice.waitClosed();
    expect(await bob.next('left', (m) => m.name === 'alice')).toMatchObject({ reason: 'disconnect' });
  });

  it('a frame of exactly maxFrame bytes is read (and then judged by its content)', async () => {
    const { port } = await startServer({ maxFrame: 1000 });
    const alice = await RawClient.login(port, 'alice');
    const payload = Buffer.alloc(1000, 0x00);
    payload[0] = 0x80; // an empty map, then 999 trailing bytes: a payload error, not a framing one
    alice.sendBytes(encodeFrame(payload));
    expect(await alice.next('error')).toMatchObject({ code: 'bad_frame' });
    await expectStillServed(alice);
  });
});
