/**
 * TLS with real sockets and certificates made by scripts/make-cert.sh: the bot API verifies the
 * server by default, trusts a private CA when told, refuses a wrong certificate; plain and TLS
 * listeners serve the same rooms; text mode works over TLS (openssl s_client); admission limits
 * hold on the TLS port.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, ConnectionError, encode, type Connection } from '../../src/protocol/internal.js';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startClockedServer, startServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';
import { makeCerts, type Certs } from './certs.js';

let certs: Certs;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());

const open: { destroy(): void }[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.destroy();
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

async function tlsServer(pair: { cert: string; key: string }, extra: Parameters<typeof startServer>[0] = {}) {
  return startServer({ tlsPort: 0, tlsCert: pair.cert, tlsKey: pair.key, ...extra });
}

async function clockedTlsServer(pair: { cert: string; key: string }, extra: Parameters<typeof startServer>[0] = {}) {
  return startClockedServer({ tlsPort: 0, tlsCert: pair.cert, tlsKey: pair.key, ...extra });
}

async function bot(options: Parameters<typeof connect>[0]): Promise<Connection> {
  const connection = await connect({ host: 'localhost', timeout: 5_000, ...options });
  open.push(connection);
  return connection;
}

/** connect() must fail; resolves with its error. */
async function refused(options: Parameters<typeof connect>[0]): Promise<Error> {
  try {
    const connection = await bot(options);
    throw new Error(`connected, but should not have (as ${connection.name})`);
  } catch (err) {
    return err as Error;
  }
}

describe('TLS with the bot API', () => {
  it('connects to a self-signed server when given its certificate as the CA', async () => {
    const { tlsPort } = await tlsServer(certs.selfSigned);
    const alice = await bot({ port: tlsPort, name: 'alice', tls: true, ca: certs.selfSigned.cert });
    expect(alice.welcome).toMatchObject({ you: 'alice', rooms: [{ room: '#main' }] });
    expect(await alice.ping()).toBeGreaterThanOrEqual(0);
  });

  it('verifies by default: an untrusted self-signed certificate is refused with tls_failed', async () => {
    const { server, tlsPort } = await tlsServer(certs.selfSigned);
    const err = await refused({ port: tlsPort, name: 'alice', tls: true });
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'tls_failed' });
    expect(server.users.count).toBe(0);
  });

  it('refuses a certificate for another name, even one it trusts', async () => {
    const { tlsPort } = await tlsServer(certs.otherName);
    const err = await refused({ port: tlsPort, name: 'alice', tls: true, ca: certs.otherName.cert });
    expect(err).toMatchObject({ code: 'tls_failed' });
    expect(err.message).toMatch(/localhost|altname/i);
  });

  it('refuses a certificate for the right name signed by a key it does not trust', async () => {
    const { tlsPort } = await tlsServer(certs.impostor);
    const err = await refused({ port: tlsPort, name: 'alice', tls: true, ca: certs.selfSigned.cert });
    expect(err).toMatchObject({ code: 'tls_failed' });
  });

  it('accepts a server certificate signed by a private CA given as ca', async () => {
    const { tlsPort } = await tlsServer(certs.ca);
    const alice = await bot({ port: tlsPort, name: 'alice', tls: true, ca: certs.ca.caCert });
    expect(alice.welcome.you).toBe('alice');
    const err = await refused({ port: tlsPort, name: 'bob', tls: true, ca: certs.selfSigned.cert });
    expect(err).toMatchObject({ code: 'tls_failed' });
  });

  it('verifies the IP address too when connecting by IP', async () => {
    const { tlsPort } = await tlsServer(certs.selfSigned);
    const alice = await bot({ host: '127.0.0.1', port: tlsPort, name: 'alice', tls: true, ca: certs.selfSigned.cert });
    expect(alice.welcome.you).toBe('alice');
    const other = await tlsServer(certs.otherName);
    const err = await refused({ host: '127.0.0.1', port: other.tlsPort, name: 'bob', tls: true, ca: certs.otherName.cert });
    expect(err).toMatchObject({ code: 'tls_failed' });
  });

  it('skips verification only when insecure is set explicitly', async () => {
    const { tlsPort } = await tlsServer(certs.otherName);
    const alice = await bot({ port: tlsPort, name: 'alice', tls: true, insecure: true });
    expect(alice.welcome.you).toBe('alice');
  });

  it('serves plain and TLS clients side by side in the same rooms', async () => {
    const { port, tlsPort } = await tlsServer(certs.selfSigned);
    const plain = await RawClient.login(port, 'plain');
    const secure = await bot({ port: tlsPort, name: 'secure', tls: true, ca: certs.selfSigned.cert });
    expect(await plain.next('joined')).toMatchObject({ name: 'secure', clients: 2 });
    const heard = secure.waitFor('message', (m) => m.from === 'plain');
    plain.send({ type: 'say', text: 'over plain TCP' });
    expect(await heard).toMatchObject({ text: 'over plain TCP' });
    secure.say('over TLS');
    expect(await plain.next('message', (m) => m.from === 'secure')).toMatchObject({ text: 'over TLS' });
  });

  it('does not speak TLS on the plain port, nor plain frames on the TLS port (they get a hint)', async () => {
    const { port, tlsPort, server } = await tlsServer(certs.selfSigned);
    const err = await refused({ port, name: 'alice', tls: true, ca: certs.selfSigned.cert });
    expect(err).toBeInstanceOf(ConnectionError);
    const plain = await RawClient.connect(tlsPort!);
    plain.send({ type: 'hello', name: 'bob' });
    await plain.waitClosed();
    expect(plain.messages).toEqual([
      { type: 'error', code: 'bad_request', message: 'This port speaks TLS; use chat-client --tls or openssl s_client.' },
    ]);
    expect(server.users.count).toBe(0);
  });

  it('answers plain text on the TLS port with a one-line hint, then closes', async () => {
    const { tlsPort, server } = await tlsServer(certs.selfSigned);
    const person = await TextClient.connect(tlsPort!);
    person.line('login bob');
    await person.expect('This port speaks TLS; use chat-client --tls or openssl s_client.');
    await person.waitClosed();
    expect(person.lines).toEqual(['This port speaks TLS; use chat-client --tls or openssl s_client.']);
    expect(server.users.count).toBe(0);
  });
});

// openssl s_client is how a person reaches the TLS port without our client (CI installs openssl).
const hasOpenssl = spawnSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).status === 0;

describe('text mode over TLS', () => {
  it.skipIf(!hasOpenssl)('lets openssl s_client log in and chat with a plain framed client', async () => {
    const { port, tlsPort } = await tlsServer(certs.selfSigned);
    const alice = await RawClient.login(port, 'alice');
    const child = spawn(
      'openssl',
      [
        's_client',
        '-quiet',
        '-verify_return_error',
        '-CAfile',
        certs.selfSigned.certFile,
        '-verify_hostname',
        'localhost',
        '-connect',
        `127.0.0.1:${tlsPort}`,
      ],
      { stdio: 'pipe' },
    );
    children.push(child);
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (t: string) => (output += t));
    child.stdin.write('login bob\n');
    expect(await alice.next('joined')).toMatchObject({ name: 'bob' });
    child.stdin.write('hello over TLS\n');
    expect(await alice.next('message')).toMatchObject({ from: 'bob', text: 'hello over TLS' });
    alice.send({ type: 'say', text: 'hi bob' });
    await alice.next('message', (m) => m.text === 'hi bob');
    child.stdin.write('who\n');
    await until(
      () => output.includes('Online (2): alice, bob\r\n'),
      () => output,
    );
    expect(output).toContain('Welcome to test, bob!');
    expect(output).toContain('alice: hi bob\r\n');
  });

  it.skipIf(!hasOpenssl)('s_client with verification refuses a certificate it does not trust', async () => {
    const { server, tlsPort } = await tlsServer(certs.impostor);
    // Async spawn: the server runs in this process, so a blocking spawnSync would stall it.
    const child = spawn(
      'openssl',
      ['s_client', '-quiet', '-verify_return_error', '-CAfile', certs.selfSigned.certFile, '-connect', `127.0.0.1:${tlsPort}`],
      {
        stdio: 'pipe',
      },
    );
    children.push(child);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => (stderr += t));
    child.stdin.write('login bob\n');
    const [status] = (await once(child, 'exit')) as [number | null];
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/verify error|certificate verify failed/i);
    expect(server.users.count).toBe(0);
  });
});

describe('stalled TLS handshakes', () => {
  it('closes a TCP connection that never starts its handshake after handshakeTimeout', async () => {
    const { server, tlsPort, logs } = await tlsServer(certs.selfSigned, { handshakeTimeout: 300 });
    const socket = await tcp(tlsPort!);
    await once(socket, 'close'); // the 20 s test timeout is the failure guard; the server closes after ~300 ms
    server.log.flush();
    expect(logs.some((l) => l.includes('event=tls_error') && /timeout/i.test(l))).toBe(true);
  });

  it('closes a connection that stalls in the middle of its handshake', async () => {
    const { server, tlsPort, logs } = await tlsServer(certs.selfSigned, { handshakeTimeout: 300 });
    const socket = await tcp(tlsPort!);
    // The first bytes of a ClientHello record header, then nothing.
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
    await once(socket, 'close');
    server.log.flush();
    expect(logs.some((l) => l.includes('event=tls_error') && /timeout/i.test(l))).toBe(true);
  });

  it('counts connections still in their handshake against the per-address limit', async () => {
    // A handshake timeout longer than the test: any close seen here is the admission limit.
    const { tlsPort } = await tlsServer(certs.selfSigned, { maxConnsPerIp: 2, exemptLoopback: false, handshakeTimeout: 60_000 });
    const stalled = [await tcp(tlsPort!), await tcp(tlsPort!)];
    const third = await tcp(tlsPort!);
    await once(third, 'close');
    for (const s of stalled) expect(s.destroyed).toBe(false);
    for (const s of stalled) s.destroy();
    // Once the stalled ones are gone their slots are free again (the server hears of the closes
    // a moment later, hence a bounded retry).
    let alice: Connection | undefined;
    for (let attempt = 0; attempt < 50 && !alice; attempt++) {
      alice = await bot({ port: tlsPort, name: 'alice', tls: true, ca: certs.selfSigned.cert }).catch(async () => {
        await new Promise((r) => setTimeout(r, 20));
        return undefined;
      });
    }
    expect(alice?.welcome.you).toBe('alice');
  });
});

describe('admission on the TLS port', () => {
  it('closes a TLS connection that completes the handshake but never sends a byte, after loginTimeout', async () => {
    const { server, tlsPort, logs, advance } = await clockedTlsServer(certs.selfSigned, { loginTimeout: 10_000 });
    const socket = tls.connect({ port: tlsPort!, host: '127.0.0.1', servername: 'localhost', ca: certs.selfSigned.cert });
    open.push(socket);
    socket.on('error', () => {});
    await once(socket, 'secureConnect');
    await until(
      () => server.connectionCount === 1,
      () => String(server.connectionCount),
    );
    advance(10_000);
    await once(socket, 'close');
    // The server's own close event may come a moment after ours.
    await until(
      () => server.connectionCount === 0,
      () => String(server.connectionCount),
    );
    server.log.flush();
    expect(logs.some((l) => l.includes('event=disconnect') && l.includes('reason=timeout'))).toBe(true);
  });

  it('answers a framed client over TLS that does not log in with login_timeout', async () => {
    const { tlsPort, advance, handled } = await clockedTlsServer(certs.selfSigned, { loginTimeout: 10_000 });
    const socket = tls.connect({ port: tlsPort!, host: '127.0.0.1', servername: 'localhost', ca: certs.selfSigned.cert });
    open.push(socket);
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    socket.write(encode({ type: 'ping' }));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    await handled('ping'); // framed now, and not logged in
    advance(10_000);
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    expect(received.toString('latin1')).toContain('login_timeout');
  });

  it('enforces the per-address connection limit on TLS connections', async () => {
    const { tlsPort, server } = await tlsServer(certs.selfSigned, { maxConnsPerIp: 2, exemptLoopback: false });
    await bot({ port: tlsPort, name: 'one', tls: true, ca: certs.selfSigned.cert });
    await bot({ port: tlsPort, name: 'two', tls: true, ca: certs.selfSigned.cert });
    const err = await refused({ port: tlsPort, name: 'three', tls: true, ca: certs.selfSigned.cert });
    expect(err).toBeInstanceOf(Error);
    expect(server.users.count).toBe(2);
  });
});

/** A plain TCP connection that sends nothing (a stalled TLS handshake). */
async function tcp(port: number): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  open.push(socket);
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}
