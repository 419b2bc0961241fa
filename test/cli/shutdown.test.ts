/**
 * Shutdown of the built binary: a second signal does not wait for slow clients.
 */
import { execSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { beforeAll, expect, it } from 'vitest';
import { encode } from '../../src/protocol/index.js';

beforeAll(() => {
  if (!existsSync('dist/server/cli.js')) execSync('npm run build', { stdio: 'ignore' });
});

function waitForOutput(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const match = pattern.exec(text);
      if (match) {
        stream.off('data', onData);
        resolve(match);
      }
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error(`stream ended before ${pattern}: ${text}`)));
  });
}

it('exits at once on a second SIGTERM while a client holds its connection open', async () => {
  const child = spawn(process.execPath, ['bin/chat-server.js', 'start', '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    const [, port] = await waitForOutput(child.stdout, /listening on [^\s]+:(\d+)/);
    // A client that never closes its side: a graceful shutdown would wait for it.
    const stubborn = net.connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
    await new Promise((r) => stubborn.once('connect', r));
    stubborn.on('error', () => {});
    stubborn.write(encode({ type: 'hello', name: 'stubborn' }));
    await waitForOutput(stubborn, /welcome/);

    child.kill('SIGTERM');
    await waitForOutput(child.stdout, /shutting down/);
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(stderr).toMatch(/SIGTERM again, exiting now/);
    stubborn.destroy();
  } finally {
    child.kill('SIGKILL');
  }
});
