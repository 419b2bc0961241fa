/**
 * The built chat-server binary with TLS and a password, as the docs tell people to run it: the
 * password from --password-file, CHAT_PASSWORD or --password, TLS beside the plain port, and
 * nothing secret on its stdout or stderr (its log).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src/protocol/index.js';
import { TextClient } from '../helpers/raw.js';
import { makeCerts, type Certs } from './certs.js';

const SERVER_BIN = fileURLToPath(new URL('../../bin/chat-server.js', import.meta.url));
const SECRET = 'Cl1-secret-4b9d';
const WRONG = 'Cl1-wrong-77aa';

let certs: Certs;
let passwordFile: string;
beforeAll(() => {
  certs = makeCerts();
  passwordFile = path.join(certs.selfSigned.dir, 'password.txt');
  writeFileSync(passwordFile, `${SECRET}\n`, { mode: 0o600 });
});
afterAll(() => certs.remove());

interface Running {
  child: ChildProcessWithoutNullStreams;
  port: number;
  tlsPort: number;
  output: () => string;
}
const running: Running[] = [];
const connections: Connection[] = [];
afterEach(async () => {
  for (const c of connections.splice(0)) c.destroy();
  for (const r of running.splice(0)) {
    if (r.child.exitCode === null) {
      r.child.kill('SIGKILL');
      await once(r.child, 'exit');
    }
  }
});

/** Start the binary; resolves once it has printed its listening line. */
async function startBinary(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [SERVER_BIN, 'start', '--host', '127.0.0.1', '--port', '0', '--max-conns-per-ip', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (t: string) => (output += t));
  child.stderr.on('data', (t: string) => (output += t));
  const handle: Running = { child, port: 0, tlsPort: 0, output: () => output };
  running.push(handle);
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line; output: ${output}`)), 10_000);
    const check = (): void => {
      const match = /listening on .*\n/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => reject(new Error(`chat-server exited with ${code}: ${output}`)));
  });
  handle.port = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
  handle.tlsPort = Number(/TLS port (\d+)/.exec(line)?.[1] ?? 0);
  return handle;
}

const tlsArgs = (): string[] => ['--tls-port', '0', '--tls-cert', certs.selfSigned.certFile, '--tls-key', certs.selfSigned.keyFile];

describe('chat-server with TLS and a password', () => {
  it.each([
    ['--password-file', (): [string[], Record<string, string>] => [['--password-file', passwordFile], {}]],
    ['CHAT_PASSWORD', (): [string[], Record<string, string>] => [[], { CHAT_PASSWORD: SECRET }]],
    ['--password', (): [string[], Record<string, string>] => [['--password', SECRET], {}]],
  ])('takes the password from %s, enforces it over TLS and plain text, and never prints it', async (_source, setup) => {
    const [args, env] = setup();
    const server = await startBinary([...tlsArgs(), ...args, '--log-level', 'debug'], env);
    expect(server.output()).toMatch(/TLS port \d+, password required/);

    const alice = await connect({ host: 'localhost', port: server.tlsPort, name: 'alice', password: SECRET, tls: true, ca: certs.selfSigned.cert });
    connections.push(alice);
    expect(alice.welcome.you).toBe('alice');
    await expect(
      connect({ host: 'localhost', port: server.tlsPort, name: 'mallory', password: WRONG, tls: true, ca: certs.selfSigned.cert }),
    ).rejects.toMatchObject({ code: 'auth_failed' });

    const bob = await TextClient.connect(server.port);
    bob.line(`login bob ${SECRET}`);
    await bob.expect(/^Welcome/);
    const eve = await TextClient.connect(server.port);
    eve.line(`login eve ${WRONG}`);
    await eve.expect('Wrong server password.');

    server.child.kill('SIGTERM');
    const [code] = (await once(server.child, 'exit')) as [number | null];
    expect(code).toBe(0);
    const output = server.output();
    expect(output).toMatch(/event=auth_failed/); // the log is there to search...
    expect(output).not.toContain(SECRET); // ...and holds neither the password
    expect(output).not.toContain(WRONG); // nor a wrong guess
  });

  it('refuses to start with --tls-port but no certificate', async () => {
    const child = spawn(process.execPath, [SERVER_BIN, 'start', '--host', '127.0.0.1', '--port', '0', '--tls-port', '0'], { stdio: 'pipe' });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => (stderr += t));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toMatch(/--tls-port needs --tls-cert and --tls-key/);
  });
});
