import { describe, expect, it } from 'vitest';
import { describeStartError, EXIT, parseClientArgs, passwordToAsk, type ClientConfig } from '../../src/client/cli.js';
import { ConnectionError, ServerError } from '../../src/protocol/internal.js';

const base = {
  host: 'localhost',
  port: 5005,
  address: 'localhost:5005',
  tls: false,
  insecure: false,
  line: false,
  mouse: true,
  bell: true,
  seconds: false,
  retryMaxMs: 30_000,
};

describe('chat-client arguments', () => {
  it.each<[string, string[], Record<string, string>, Partial<ClientConfig>]>([
    ['defaults to localhost:5005 and the login name', [], { login: 'sam' }, { ...base, name: 'sam' }],
    ['takes CHAT_NAME over the login name', [], { login: 'sam', CHAT_NAME: 'alice' }, { name: 'alice' }],
    ['takes --name over CHAT_NAME', ['--name', 'bob'], { CHAT_NAME: 'alice' }, { name: 'bob' }],
    [
      'reads host:port',
      ['-n', 'a', 'chat.example.org:6000'],
      {},
      { host: 'chat.example.org', port: 6000, address: 'chat.example.org:6000' },
    ],
    ['reads an IPv6 address', ['-n', 'a', '[::1]:6000'], {}, { host: '::1', port: 6000, address: '[::1]:6000' }],
    [
      'turns on TLS for chats://, on the TLS port 5006 unless told',
      ['-n', 'a', 'chats://example.org'],
      {},
      { tls: true, port: 5006, address: 'example.org:5006' },
    ],
    ['keeps the port given with chats://', ['-n', 'a', 'chats://example.org:7000'], {}, { tls: true, port: 7000 }],
    [
      'uses the TLS port for --tls and --ca without a port',
      ['-n', 'a', '--ca', 'package.json', 'example.org'],
      {},
      { tls: true, port: 5006 },
    ],
    ['turns on TLS for --tls', ['-n', 'a', '--tls', 'example.org'], {}, { tls: true, port: 5006 }],
    ['turns on TLS (unchecked) for --insecure', ['-n', 'a', '--insecure', 'example.org'], {}, { tls: true, insecure: true }],
    ['normalizes --room', ['-n', 'a', '--room', 'rust'], {}, { rooms: ['#rust'] }],
    ['takes the password from CHAT_PASSWORD', ['-n', 'a'], { CHAT_PASSWORD: 's3cret' }, { password: 's3cret' }],
    ['takes --retry-max in seconds', ['-n', 'a', '--retry-max', '2.5'], {}, { retryMaxMs: 2_500 }],
    ['takes --line', ['-n', 'a', '--line'], {}, { line: true }],
    ['takes the address after --', ['--name', 'a', '--', 'chat.example.org:6000'], {}, { host: 'chat.example.org', port: 6000 }],
    ['takes an address that starts with - after --', ['--name', 'a', '--', '-odd:6000'], {}, { host: '-odd', port: 6000 }],
    ['takes --no-mouse', ['-n', 'a', '--no-mouse'], {}, { mouse: false }],
    ['takes the account password from CHAT_ACCOUNT_PASSWORD', ['-n', 'a'], { CHAT_ACCOUNT_PASSWORD: 'pw' }, { accountPassword: 'pw' }],
  ])('%s', async (_what, argv, env, expected) => {
    expect(await parseClientArgs(argv, env)).toMatchObject(expected);
  });

  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['no name at all', [], {}, /no name: use --name NAME/],
    ['an invalid name', ['--name', 'two words'], {}, /"two words" is not a valid name/],
    ['a bad port', ['-n', 'a', 'host:0'], {}, /bad address: bad port "0"/],
    ['an unknown scheme', ['-n', 'a', 'http://host'], {}, /bad address: unknown scheme/],
    ['a bad room', ['-n', 'a', '--room', 'no spaces'], {}, /"no spaces" is not a valid room name/],
    ['a zero --retry-max', ['-n', 'a', '--retry-max', '0'], {}, /--retry-max must be/],
    ['an unknown flag', ['-n', 'a', '--colour'], {}, /Unknown argument/],
    ['two addresses', ['-n', 'a', 'one:1', 'two:2'], {}, /Unknown argument|Too many/],
    ['two addresses, one after --', ['-n', 'a', 'one:1', '--', 'two:2'], {}, /^unexpected argument "two:2" \(give one address\)$/],
    ['two addresses after --', ['-n', 'a', '--', 'one:1', 'two:2'], {}, /^unexpected argument "two:2" \(give one address\)$/],
    ['--name twice', ['-n', 'a', '--name', 'b'], {}, /^--name was given twice; give it once$/],
    ['--room three times', ['-n', 'a', '-r', 'x', '-r', 'y', '--room', 'z'], {}, /^--room was given 3 times; give it once$/],
    [
      '--password twice, without showing either',
      ['-n', 'a', '--password', 'one', '--password', 'two'],
      {},
      /^--password was given twice; give it once$/,
    ],
    ['a --ca file that does not exist', ['-n', 'a', '--ca', 'no/such/ca.pem'], {}, /^--ca no\/such\/ca\.pem: no such file$/],
    [
      'an --account-password-file that does not exist',
      ['-n', 'a', '--account-password-file', 'no/such/file'],
      {},
      /^--account-password-file no\/such\/file: no such file$/,
    ],
    ['--account-password-file twice', ['-n', 'a', '--account-password-file', 'x', '--account-password-file', 'y'], {}, /given twice/],
    [
      'a password on the command line for the account (it would show in ps)',
      ['-n', 'a', '--account-password', 'pw'],
      {},
      /Unknown argument/,
    ],
    ['a --ca that is a directory', ['-n', 'a', '--ca', 'test'], {}, /^--ca test: is a directory, not a file$/],
    [
      'a --password-file that does not exist',
      ['-n', 'a', '--password-file', 'no/such/file'],
      {},
      /^--password-file no\/such\/file: no such file$/,
    ],
  ])('refuses %s', async (_what, argv, env, message) => {
    await expect(parseClientArgs(argv, env)).rejects.toThrow(message);
  });

  it.each<[string, Error, number, RegExp]>([
    [
      'a taken name',
      new ServerError('name_taken', 'The name "a" is taken.'),
      EXIT.refused,
      /refused the name "a": The name "a" is taken\. \(choose another with --name\)/,
    ],
    [
      'a password the server needs and was not given',
      new ServerError('auth_failed', 'Wrong server password.'),
      EXIT.refused,
      /^localhost:5005 needs a password: give it with --password-file FILE or CHAT_PASSWORD$/,
    ],
    [
      'a non-framechat port',
      new ConnectionError('not_framechat', 'localhost:5005 does not look like a framechat server: it sent "SSH-2.0-x"'),
      EXIT.connect,
      /^localhost:5005 does not look like a framechat server: it sent "SSH-2\.0-x"$/,
    ],
    [
      'a TLS port reached without TLS',
      new ConnectionError('not_framechat', 'localhost:5005 does not look like a framechat server: it answered in TLS (connect with TLS)'),
      EXIT.connect,
      /: it answered in TLS \(for TLS use chats:\/\/localhost:5005\)$/,
    ],
    [
      'an untrusted certificate',
      new ConnectionError('tls_failed', 'cannot connect to localhost:5005: self-signed certificate'),
      EXIT.connect,
      /^cannot connect to localhost:5005: self-signed certificate \(the server's certificate is not trusted for this name: give its CA with --ca FILE\)$/,
    ],
    [
      'TLS to a plain port',
      new ConnectionError('tls_failed', 'cannot connect to localhost:5005: SSL routines:ssl3_get_record:wrong version number'),
      EXIT.connect,
      /wrong version number \(is that port serving TLS\?\)$/,
    ],
    [
      'an unreachable server',
      new ConnectionError('connect_failed', 'cannot connect to localhost:5005: nothing is listening on that port (ECONNREFUSED)'),
      EXIT.connect,
      /^cannot connect to localhost:5005: nothing is listening on that port \(ECONNREFUSED\)$/,
    ],
  ])('explains %s in one line', (_what, err, code, message) => {
    const out = describeStartError(err, { ...base, name: 'a' });
    expect(out.code).toBe(code);
    expect(out.message).toMatch(message);
    expect(out.message).not.toContain('\n');
  });

  it.each<[string, boolean, RegExp]>([
    [
      'from a flag or CHAT_PASSWORD',
      false,
      /^localhost:5005 refused the password: Wrong server password\. \(check --password, --password-file or CHAT_PASSWORD\)$/,
    ],
    ['typed at the prompt', true, /^localhost:5005 refused the password: Wrong server password\.$/],
  ])('explains a wrong password %s', (_what, typed, message) => {
    const out = describeStartError(
      new ServerError('auth_failed', 'Wrong server password.'),
      { ...base, name: 'a', password: 'nope' },
      typed,
    );
    expect(out).toEqual({ code: EXIT.refused, message: expect.stringMatching(message) });
  });
});

describe('chat-client and accounts at login', () => {
  const none = { server: 0, account: 0 };
  it.each<[string, string, Parameters<typeof passwordToAsk>[1], 'server' | 'account' | undefined]>([
    [
      'asks for the account password when the name is registered',
      'name_reserved',
      { tty: true, serverGiven: false, accountGiven: false, asked: none },
      'account',
    ],
    ['never asks without a terminal', 'name_reserved', { tty: false, serverGiven: false, accountGiven: false, asked: none }, undefined],
    [
      'does not ask over a password that was given',
      'name_reserved',
      { tty: true, serverGiven: false, accountGiven: true, asked: none },
      undefined,
    ],
    [
      'asks again after a wrong typed one',
      'login_failed',
      { tty: true, serverGiven: false, accountGiven: false, asked: { server: 0, account: 1 } },
      'account',
    ],
    [
      'does not ask after a wrong one from a file or CHAT_ACCOUNT_PASSWORD',
      'login_failed',
      { tty: true, serverGiven: false, accountGiven: true, asked: none },
      undefined,
    ],
    [
      'gives up after the third typed one',
      'login_failed',
      { tty: true, serverGiven: false, accountGiven: false, asked: { server: 0, account: 3 } },
      undefined,
    ],
    [
      'asks for the server password on auth_failed',
      'auth_failed',
      { tty: true, serverGiven: false, accountGiven: true, asked: none },
      'server',
    ],
    [
      'asks for the account after the server password was typed',
      'name_reserved',
      { tty: true, serverGiven: false, accountGiven: false, asked: { server: 1, account: 0 } },
      'account',
    ],
    ['never asks on a taken name', 'name_taken', { tty: true, serverGiven: false, accountGiven: false, asked: none }, undefined],
  ])('%s', (_what, code, s, expected) => {
    expect(passwordToAsk(code, s)).toBe(expected);
  });

  it.each<[string, string, boolean, string]>([
    [
      'a registered name without its password',
      'name_reserved',
      false,
      'localhost:5005: "alice" is a registered name: give its password with --account-password-file FILE or CHAT_ACCOUNT_PASSWORD, or choose another with --name',
    ],
    [
      'a wrong account password from a file or the environment',
      'login_failed',
      false,
      'localhost:5005 refused the password for "alice": Wrong password. (check --account-password-file, CHAT_ACCOUNT_PASSWORD or account_password_file)',
    ],
    [
      'a wrong account password typed at the prompt',
      'login_failed',
      true,
      'localhost:5005 refused the password for "alice": Wrong password.',
    ],
  ])('explains %s in one line, exit 3', (_what, code, typed, message) => {
    const err = new ServerError(code as never, code === 'login_failed' ? 'Wrong password.' : 'That name is registered.');
    expect(describeStartError(err, { ...base, name: 'alice' }, false, typed)).toEqual({ code: EXIT.refused, message });
  });
});
