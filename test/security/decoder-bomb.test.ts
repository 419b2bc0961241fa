/**
 * The decoder bomb from the attack run: a few hundred bytes that msgpackr's structured-clone
 * extensions would expand exponentially, sent before `hello` to the built server (in a child
 * process, so a frozen server shows as a stalled canary rather than a frozen test), over plain
 * TCP and TLS, with a server password. Decoding must cost what the bytes cost: a 30-level payload
 * gets the same `bad_frame` as a 20-level one, and a pair of canaries keeps chatting throughout.
 */
import tls from 'node:tls';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encodeFrame, FrameDecoder } from '../../src/protocol/internal.js';
import { referenceBomb } from '../helpers/msgpack-bombs.js';
import { RawClient } from '../helpers/raw.js';
import { startServerBinary } from '../helpers/server-binary.js';
import { makeCerts, type Certs } from './certs.js';

let certs: Certs;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());

const PASSWORD = 'correct horse';

/** alice says `text` and bob receives it: the server is serving others. */
async function canary(alice: RawClient, bob: RawClient, text: string): Promise<void> {
  alice.send({ type: 'say', text });
  await bob.next('message', (m) => m.text === text, 5_000);
}

/** Send one frame over TLS before any hello; resolve with the server's first answer. */
async function overTls(port: number, payload: Buffer): Promise<Record<string, unknown>> {
  const socket = tls.connect({ host: '127.0.0.1', port, ca: certs.selfSigned.cert, servername: 'localhost' });
  await once(socket, 'secureConnect');
  const answer = new Promise<Record<string, unknown>>((resolve) => {
    const decoder = new FrameDecoder((p) => resolve(decode(p) as Record<string, unknown>));
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  });
  socket.write(encodeFrame(payload));
  try {
    return await answer;
  } finally {
    socket.destroy();
  }
}

describe('a MessagePack payload built to expand when decoded', () => {
  it('is refused as bad_frame at 20 and at 30 levels while a canary pair keeps chatting', async () => {
    const server = await startServerBinary([
      '--password',
      PASSWORD,
      '--tls-port',
      '0',
      '--tls-cert',
      certs.selfSigned.certFile,
      '--tls-key',
      certs.selfSigned.keyFile,
    ]);
    const alice = await RawClient.login(server.port, 'alice', { password: PASSWORD });
    const bob = await RawClient.login(server.port, 'bob', { password: PASSWORD });
    await canary(alice, bob, 'before');

    for (const levels of [20, 30]) {
      const attacker = await RawClient.connect(server.port);
      const bomb = referenceBomb(levels);
      expect(bomb.length).toBeLessThan(700);
      attacker.sendBytes(encodeFrame(bomb));
      const answer = await attacker.next('error', () => true, 5_000);
      await canary(alice, bob, `after ${levels} levels`);
      expect(answer).toMatchObject({ code: 'bad_frame' });
      expect(String(answer.message)).toMatch(/extension/);
      // The connection stays (a payload error), so the attacker is still answered.
      await attacker.sync();
      attacker.close();
    }

    expect(await overTls(server.tlsPort!, referenceBomb(30))).toMatchObject({ type: 'error', code: 'bad_frame' });
    await canary(alice, bob, 'after TLS');
    // A well-formed hello still works after all that.
    const carol = await RawClient.login(server.port, 'carol', { password: PASSWORD });
    expect(carol.messages[0]).toMatchObject({ type: 'welcome' });
  });

  it('answers ten of them sent in one write with ten bad_frame errors, and the canaries go on', async () => {
    const server = await startServerBinary();
    const alice = await RawClient.login(server.port, 'alice');
    const bob = await RawClient.login(server.port, 'bob');
    const attacker = await RawClient.connect(server.port);
    attacker.sendBytes(Buffer.concat(Array.from({ length: 10 }, () => encodeFrame(referenceBomb(30)))));
    for (let i = 0; i < 10; i++) await attacker.next('error', (m) => m.code === 'bad_frame');
    await canary(alice, bob, 'still here');
  });
});
