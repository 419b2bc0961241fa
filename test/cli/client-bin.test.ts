/**
 * The built `chat-client` binary as a child process, as a person runs it from a shell: what it
 * prints when the other end is not a framechat server, not there at all, or wants a password,
 * and when the command line itself is wrong. Each failure is one line on stderr and an exit code
 * from docs/CLIENT.md. The listeners are real TCP sockets on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/client/cli.js';
import { startServer } from '../helpers/server.js';
import { TmuxTerminal } from '../helpers/terminal.js';
import '../helpers/server-binary.js'; // builds dist/ when it is missing
import { CLIENT_BIN } from '../helpers/server-binary.js';

/** `chat-client ...args` with stdin at its end (so line mode ends), run to completion. */
async function runClient(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHAT_')));
  const child = spawn(process.execPath, [CLIENT_BIN, ...args], { env: { ...clean, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { status, stdout, stderr };
}

const listeners = new Set<net.Server>();
afterEach(() => {
  for (const l of listeners) l.close();
  listeners.clear();
});

/** A TCP listener on 127.0.0.1 that speaks another protocol: `onConnect` gets each socket. */
async function listener(onConnect: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    onConnect(socket);
  });
  listeners.add(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/** A port on 127.0.0.1 that was free a moment ago: nothing listens there. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('chat-client start-up errors, one line each', () => {
  it.each<[string, () => Promise<string>, (address: string) => string, number]>([
    [
      'an SSH server',
      async () => `127.0.0.1:${await listener((s) => s.write('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n'))}`,
      (at) => `chat-client: ${at} does not look like a framechat server: it sent "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13"`,
      EXIT.connect,
    ],
    [
      'an HTTP server',
      async () =>
        `127.0.0.1:${await listener((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')))}`,
      (at) => `chat-client: ${at} does not look like a framechat server: it sent "HTTP/1.1 400 Bad Request"`,
      EXIT.connect,
    ],
    [
      'a closed port',
      async () => `127.0.0.1:${await closedPort()}`,
      (at) => `chat-client: cannot connect to ${at}: nothing is listening on that port (ECONNREFUSED)`,
      EXIT.connect,
    ],
  ])('%s', async (_what, start, expected, code) => {
    const address = await start();
    const { status, stdout, stderr } = await runClient(['--name', 'alice', address]);
    expect(stderr.trimEnd().split('\n')).toEqual([expected(address)]);
    expect(status).toBe(code);
    expect(stdout).toBe('');
  });

  it('a host name that does not resolve', async () => {
    // .invalid never resolves (RFC 6761); the resolver says so without sending anything anywhere.
    const { status, stderr } = await runClient(['--name', 'alice', 'framechat-test.invalid:5005']);
    expect(stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^chat-client: cannot connect to framechat-test\.invalid:5005: (no host named "framechat-test\.invalid" was found \(ENOTFOUND\)|the name "framechat-test\.invalid" could not be looked up right now \(EAI_AGAIN\))$/,
      ),
    ]);
    expect(status).toBe(EXIT.connect);
  });

  it('a server that needs a password, with no terminal to ask on', async () => {
    const { port } = await startServer({ password: 's3cret' });
    const { status, stderr } = await runClient(['--name', 'alice', `127.0.0.1:${port}`]);
    expect(stderr.trimEnd().split('\n')).toEqual([
      `chat-client: 127.0.0.1:${port} needs a password: give it with --password-file FILE or CHAT_PASSWORD`,
    ]);
    expect(status).toBe(EXIT.refused);
  });

  it('a wrong password from CHAT_PASSWORD', async () => {
    const { port } = await startServer({ password: 's3cret' });
    const { status, stderr } = await runClient(['--name', 'alice', `127.0.0.1:${port}`], { CHAT_PASSWORD: 'guess' });
    expect(stderr.trimEnd().split('\n')).toEqual([
      `chat-client: 127.0.0.1:${port} refused the password: Wrong server password. (check --password, --password-file or CHAT_PASSWORD)`,
    ]);
    expect(status).toBe(EXIT.refused);
  });

  it.each<[string, string[], string]>([
    ['a flag given twice', ['-n', 'alice', '--name', 'bob'], 'chat-client: --name was given twice; give it once'],
    [
      'a --ca file that does not exist',
      ['-n', 'alice', '--ca', 'no/such/ca.pem', '127.0.0.1:1'],
      'chat-client: --ca no/such/ca.pem: no such file',
    ],
    [
      'a --password-file that does not exist',
      ['-n', 'alice', '--password-file', 'no/such/file'],
      'chat-client: --password-file no/such/file: no such file',
    ],
    [
      'a second address after --',
      ['-n', 'alice', '--', '127.0.0.1:1', '127.0.0.1:2'],
      'chat-client: unexpected argument "127.0.0.1:2" (give one address)',
    ],
  ])('%s is bad usage (exit 2)', async (_what, args, expected) => {
    const { status, stderr } = await runClient(args);
    expect(stderr.trimEnd().split('\n')).toEqual([expected, 'Try "chat-client --help".']);
    expect(status).toBe(EXIT.usage);
  });
});

describe('chat-client arguments after --', () => {
  it('connects to the address given after --', async () => {
    const { port } = await startServer();
    const { status, stdout } = await runClient(['--name', 'alice', '--', `127.0.0.1:${port}`]);
    expect(stdout).toMatch(new RegExp(`^-- Connected to test as alice\\.`, 'm'));
    expect(status).toBe(EXIT.ok);
  });
});

describe('chat-client asks for a password on a terminal', () => {
  const client = (port: number): Promise<TmuxTerminal> =>
    TmuxTerminal.start([process.execPath, CLIENT_BIN, '--name', 'alice', `127.0.0.1:${port}`]);

  it('asks without echoing, asks again after a wrong one, and logs in with the right one', async () => {
    const { port } = await startServer({ password: 's3cret' });
    const t = await client(port);
    await t.waitFor(`Password for 127.0.0.1:${port}:`);
    await t.text('guess1');
    await t.keys('Enter');
    const again = await t.waitFor((screen) => screen.filter((l) => l.startsWith('Password for')).length === 2);
    expect(again.filter((l) => l !== '')).toEqual([
      `Password for 127.0.0.1:${port}:`,
      'Wrong server password.',
      `Password for 127.0.0.1:${port}:`,
    ]);
    await t.text('s3cret');
    await t.keys('Enter');
    const screen = await t.waitFor('Connected to test as alice.');
    expect(screen.join('\n')).not.toMatch(/s3cret|guess1/);
    await t.keys('C-c');
    await t.waitFor('[exit 0]');
  });

  it('gives up with the one line and exit 3 on Ctrl-C at the prompt', async () => {
    const { port } = await startServer({ password: 's3cret' });
    const t = await client(port);
    await t.waitFor(`Password for 127.0.0.1:${port}:`);
    await t.keys('C-c');
    const screen = await t.waitFor(/\[exit \d+\]/);
    expect(screen.filter((l) => l !== '')).toEqual([
      `Password for 127.0.0.1:${port}:`,
      `chat-client: 127.0.0.1:${port} needs a password: give it with --password-file FILE or CHAT_PASSWORD`,
      '[exit 3]',
    ]);
  });
});
