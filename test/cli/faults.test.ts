/**
 * Process-level faults in the real server process: an uncaught exception and an unhandled
 * rejection are logged with their stack, and the server keeps serving.
 */
import { execSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { connect } from '../../src/protocol/internal.js';
import { until } from '../helpers/wait.js';

beforeAll(() => {
  if (!existsSync('dist/server/cli.js')) execSync('npm run build', { stdio: 'ignore' });
});

it('logs an uncaught exception and an unhandled rejection, then keeps serving', { timeout: 60_000 }, async () => {
  // The real CLI entry point, plus two faults injected from outside the server's code.
  const script = `
    import { main } from './dist/server/cli.js';
    await main(['start', '--host', '127.0.0.1', '--port', '0', '--no-store']);
    setTimeout(() => { throw new Error('injected exception'); }, 10);
    setTimeout(() => { Promise.reject(new Error('injected rejection')); }, 20);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    await until(
      () => /listening on [^\s]+:\d+/.test(stdout),
      () => `no listening line; stderr: ${stderr}`,
      // A cold start of node and the CLI on a loaded machine; the faults themselves come at once.
      30_000,
    );
    await until(
      () => stderr.includes('event=unhandled_rejection'),
      () => `no rejection logged; stderr: ${stderr}`,
    );
    expect(stderr).toMatch(/level=error event=uncaught_exception error="Error: injected exception\\n\s+at /);
    expect(stderr).toMatch(/level=error event=unhandled_rejection error="Error: injected rejection/);

    const port = Number(/listening on [^\s]+:(\d+)/.exec(stdout)![1]);
    const alice = await connect({ host: '127.0.0.1', port, name: 'alice' });
    expect((await alice.who()).users).toEqual(['alice']);
    await alice.close();
    expect(child.exitCode).toBeNull();
  } finally {
    child.kill('SIGKILL');
  }
});
