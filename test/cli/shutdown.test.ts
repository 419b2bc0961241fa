/**
 * Shutdown of the built binary: a second signal does not wait for slow clients.
 */
import { once } from 'node:events';
import net from 'node:net';
import { expect, it } from 'vitest';
import { encode } from '../../src/protocol/internal.js';
import { startServerBinary, waitForText } from '../helpers/server-binary.js';

it('exits at once on a second SIGTERM while a client holds its connection open', async () => {
  const server = await startServerBinary();
  // A client that never closes its side: a graceful shutdown would wait for it.
  const stubborn = net.connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
  await once(stubborn, 'connect');
  stubborn.on('error', () => {});
  stubborn.write(encode({ type: 'hello', name: 'stubborn' }));
  await waitForText(stubborn, /welcome/);

  server.child.kill('SIGTERM');
  await server.waitForStdout(/shutting down/);
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(1);
  expect(server.stderr()).toMatch(/SIGTERM again, exiting now/);
  stubborn.destroy();
});

it('shuts down cleanly on a SIGTERM sent the moment it says it is listening', async () => {
  // A supervisor may signal as soon as it reads the listening line; the handler must already be
  // in place then. The race is narrow, so try a few times.
  for (let i = 0; i < 4; i++) {
    const server = await startServerBinary();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.stdout()).toMatch(/SIGTERM, shutting down/);
  }
});
