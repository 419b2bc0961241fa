/**
 * The built chat-server binary with TLS and a password, as the docs tell people to run it: the
 * password from --password-file, CHAT_PASSWORD or --password, TLS beside the plain port, and
 * nothing secret on its stdout or stderr (its log).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src/protocol/internal.js';
import { TextClient } from '../helpers/raw.js';
import { runServerBinary, startServerBinary } from '../helpers/server-binary.js';
import { makeCerts, type Certs } from './certs.js';

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

let emptyFiles = 0;
function emptyFile(content = ''): string {
  const file = path.join(certs.selfSigned.dir, `empty-password-${emptyFiles++}.txt`);
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

const connections: Connection[] = [];
afterEach(() => {
  for (const c of connections.splice(0)) c.destroy();
});

const tlsArgs = (): string[] => ['--tls-port', '0', '--tls-cert', certs.selfSigned.certFile, '--tls-key', certs.selfSigned.keyFile];

describe('chat-server with TLS and a password', () => {
  it.each([
    ['--password-file', (): [string[], Record<string, string>] => [['--password-file', passwordFile], {}]],
    ['CHAT_PASSWORD', (): [string[], Record<string, string>] => [[], { CHAT_PASSWORD: SECRET }]],
    ['--password', (): [string[], Record<string, string>] => [['--password', SECRET], {}]],
  ])('takes the password from %s, enforces it over TLS and plain text, and never prints it', async (_source, setup) => {
    const [args, env] = setup();
    const server = await startServerBinary(['--max-conns-per-ip', '0', ...tlsArgs(), ...args, '--log-level', 'debug'], { env });
    expect(server.output()).toMatch(/TLS port \d+, password required/);

    const alice = await connect({
      host: 'localhost',
      port: server.tlsPort,
      name: 'alice',
      password: SECRET,
      tls: true,
      ca: certs.selfSigned.cert,
    });
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
    expect(await server.exited).toBe(0);
    const output = server.output();
    expect(output).toMatch(/event=auth_failed/); // the log is there to search...
    expect(output).not.toContain(SECRET); // ...and holds neither the password
    expect(output).not.toContain(WRONG); // nor a wrong guess
  });

  it.each([
    [
      'an empty --password-file',
      (): [string[], Record<string, string>] => [['--password-file', emptyFile()], {}],
      /--password-file .* is empty/,
    ],
    [
      'a --password-file holding only a newline',
      (): [string[], Record<string, string>] => [['--password-file', emptyFile('\n')], {}],
      /is empty/,
    ],
    [
      "CHAT_PASSWORD=''",
      (): [string[], Record<string, string>] => [[], { CHAT_PASSWORD: '' }],
      /password \(--password or CHAT_PASSWORD\) is empty/,
    ],
    ["--password ''", (): [string[], Record<string, string>] => [['--password', ''], {}], /is empty/],
  ])('refuses to start, rather than serve without a password, given %s', async (_what, setup, message) => {
    const [args, env] = setup();
    const { status, stdout, stderr } = await runServerBinary(['start', '--host', '127.0.0.1', '--port', '0', ...args], { env });
    expect(status).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).not.toMatch(/listening/);
  });

  it('exempts loopback from --max-conns-per-ip unless --limit-loopback is given', async () => {
    const exempt = await startServerBinary(['--max-conns-per-ip', '1']);
    connections.push(await connect({ host: '127.0.0.1', port: exempt.port, name: 'one' }));
    connections.push(await connect({ host: '127.0.0.1', port: exempt.port, name: 'two' }));
    const limited = await startServerBinary(['--max-conns-per-ip', '1', '--limit-loopback']);
    connections.push(await connect({ host: '127.0.0.1', port: limited.port, name: 'one' }));
    await expect(connect({ host: '127.0.0.1', port: limited.port, name: 'two' })).rejects.toMatchObject({ code: 'too_many_connections' });
  });

  it('refuses to start with --tls-port but no certificate', async () => {
    const { status, stderr } = await runServerBinary(['start', '--host', '127.0.0.1', '--port', '0', '--tls-port', '0']);
    expect(status).toBe(2);
    expect(stderr).toMatch(/--tls-port needs --tls-cert and --tls-key/);
  });
});
