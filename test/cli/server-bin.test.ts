/**
 * The built `chat-server` binary, run as a child process the way a person or a service manager
 * runs it, and talked to with the bot API.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { connect, type ServerMessage } from '../../src/protocol/internal.js';
import { runServerBinary, startServerBinary } from '../helpers/server-binary.js';
import { makeCerts } from '../security/certs.js';

describe('chat-server start', () => {
  it('prints where it listens, and two bots chat through it', async () => {
    const server = await startServerBinary(['--name', 'bin-test', '--motd', 'hello from the binary']);
    expect(server.host).toBe('127.0.0.1');
    const alice = await connect({ host: '127.0.0.1', port: server.port, name: 'alice' });
    expect(alice.welcome).toMatchObject({ server: 'bin-test', motd: 'hello from the binary', you: 'alice' });
    const bob = await connect({ host: '127.0.0.1', port: server.port, name: 'bob' });

    const heard = bob.waitFor('message', (m) => m.from === 'alice');
    alice.say('hi bob');
    expect(await heard).toMatchObject({ text: 'hi bob', room: '#main' });

    const whispered = alice.waitFor('private');
    bob.msg('alice', 'hi alice');
    expect(await whispered).toMatchObject({ from: 'bob', to: 'alice', text: 'hi alice' });

    expect((await alice.who()).users.sort()).toEqual(['alice', 'bob']);
    await alice.close();
    await bob.close();
  });

  it('logs logfmt lines on stderr with connect, login and logout events', async () => {
    const server = await startServerBinary();
    const alice = await connect({ host: '127.0.0.1', port: server.port, name: 'alice' });
    await alice.logout();
    await server.waitForLog(/event=logout/);

    const lines = server.stderr().trimEnd().split('\n');
    const logfmt = /^(?:[\w.-]+=(?:"(?:[^"\\]|\\.)*"|[^\s"=]+)(?: |$))+$/;
    for (const line of lines) expect(line).toMatch(logfmt);
    const events = lines.map((l) => /(?:^| )event=(\S+)/.exec(l)?.[1]);
    expect(events).toEqual(expect.arrayContaining(['connect', 'login', 'logout']));
    expect(lines.find((l) => l.includes('event=login'))).toMatch(/ name=alice( |$)/);
    expect(lines.every((l) => /^ts=\S+ level=(error|warn|info|debug) event=/.test(l))).toBe(true);
  });

  it('on SIGTERM sends every client a notice and bye "shutdown", then exits 0', async () => {
    const server = await startServerBinary();
    const alice = await connect({ host: '127.0.0.1', port: server.port, name: 'alice' });
    const seen: ServerMessage[] = [];
    alice.on('message', (m) => seen.push(m));

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(await alice.closed()).toBeUndefined();
    const types = seen.map((m) => m.type);
    expect(types).toEqual(expect.arrayContaining(['notice', 'bye']));
    expect(types.indexOf('notice')).toBeLessThan(types.indexOf('bye'));
    expect(seen.find((m) => m.type === 'bye')).toEqual({ type: 'bye', reason: 'shutdown' });
  });
});

describe('chat-server usage', () => {
  it('--help lists the flags and examples and exits 0', async () => {
    const { status, stdout } = await runServerBinary(['start', '--help']);
    expect(status).toBe(0);
    for (const flag of [
      '--host',
      '--port',
      '--text-port',
      '--tls-port',
      '--password',
      '--motd',
      '--max-frame',
      '--max-sendq',
      '--rate',
      '--log-level',
    ]) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toMatch(/Examples:\n {2}# serve on 0\.0\.0\.0:5005\n {2}chat-server start\n/);
  });

  it('prints the same help without the command word', async () => {
    const { status, stdout } = await runServerBinary(['--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('--port');
  });

  it('says in one line on stderr that a port is in use, and exits 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { status, stderr, stdout } = await runServerBinary(['start', '--host', '127.0.0.1', '--port', String(port)]);
      expect(status).toBe(1);
      expect(stderr.trimEnd().split('\n')).toEqual([
        `chat-server: cannot listen: 127.0.0.1:${port} is already in use (is another server running?)`,
      ]);
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(stdout).toBe('');
    } finally {
      blocker.close();
    }
  });

  it.each([
    ['a port that is not a number', ['--port', 'abc'], /--port/],
    ['a port above 65535', ['--port', '70000'], /--port must be a port number/],
    ['a max-frame below 64', ['--max-frame', '10'], /--max-frame/],
    ['a negative rate', ['--rate', '-1'], /--rate/],
    ['a log level that does not exist', ['--log-level', 'chatty'], /log-level/],
    ['an unknown flag', ['--colour', 'blue'], /Unknown argument/],
    ['a port given twice', ['-p', '17001', '--port', '17002'], /^chat-server: --port was given twice; give it once\n/],
    [
      'a log level given twice',
      ['--log-level', 'info', '--log-level', 'debug'],
      /^chat-server: --log-level was given twice; give it once\n/,
    ],
    [
      'a --tls-cert that does not exist',
      ['--tls-cert', '/nonexist', '--tls-key', '/nonexist'],
      /^chat-server: --tls-cert \/nonexist: no such file\n/,
    ],
    [
      'a --tls-key that is a directory',
      ['--tls-cert', 'package.json', '--tls-key', 'test'],
      /^chat-server: --tls-key test: is a directory, not a file\n/,
    ],
    [
      'a --tls-cert that is not a certificate',
      ['--tls-cert', 'package.json', '--tls-key', 'package.json'],
      /^chat-server: --tls-cert package\.json: not a PEM certificate\n/,
    ],
    [
      'a --password-file that does not exist',
      ['--password-file', 'no/such/file'],
      /^chat-server: --password-file no\/such\/file: no such file\n/,
    ],
  ])('refuses %s with a message and exit code 2', async (_what, args, message) => {
    const { status, stderr } = await runServerBinary(['start', ...args]);
    expect(status).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a certificate and a key that do not belong together, naming both flags', async () => {
    const certs = makeCerts();
    try {
      const { status, stderr } = await runServerBinary([
        'start',
        '--tls-cert',
        certs.selfSigned.certFile,
        '--tls-key',
        certs.impostor.keyFile,
      ]);
      expect(status).toBe(2);
      expect(stderr.split('\n')[0]).toMatch(/^chat-server: --tls-cert \S+ and --tls-key \S+ do not go together: .*key values mismatch/);
    } finally {
      certs.remove();
    }
  });
});
