import { describe, expect, it } from 'vitest';
import { parseClientMessage } from '../../src/protocol/internal.js';
import {
  helpLines,
  LOGIN_HINT,
  NO_PASSWORD_LINE,
  parseTextLine,
  passwordLine,
  PASSWORD_PROMPT,
  TEXT_COMMANDS,
} from '../../src/server/text/commands.js';

const send = (message: Record<string, unknown>) => ({ kind: 'send', message });
const reply = (...lines: string[]) => ({ kind: 'reply', lines });

describe('parseTextLine after login', () => {
  it.each([
    ['hello everyone', send({ type: 'say', text: 'hello everyone' })],
    ['  padded line  ', send({ type: 'say', text: 'padded line' })],
    ['say hi there', send({ type: 'say', text: 'hi there' })],
    ['say   keeps  inner   spaces', send({ type: 'say', text: 'keeps  inner   spaces' })],
    ['me waves', send({ type: 'say', text: 'waves', action: true })],
    ['msg bob hi bob', send({ type: 'msg', to: 'bob', text: 'hi bob' })],
    ['msg   bob    spaced  out', send({ type: 'msg', to: 'bob', text: 'spaced  out' })],
    ['who', send({ type: 'who' })],
    ['look', send({ type: 'look' })],
    ['rooms', send({ type: 'rooms' })],
    ['join #rust', send({ type: 'join', room: '#rust' })],
    ['join rust', send({ type: 'join', room: '#rust' })],
    ['nick carol', send({ type: 'nick', name: 'carol' })],
    ['logout', send({ type: 'logout' })],
    ['quit', send({ type: 'logout' })],
    ['你好，世界', send({ type: 'say', text: '你好，世界' })],
    ['msg 小明 你好', send({ type: 'msg', to: '小明', text: '你好' })],
    ['nick 小红', send({ type: 'nick', name: '小红' })],
    ['', { kind: 'none' }],
    ['   ', { kind: 'none' }],
  ])('%j → %j', (line, expected) => {
    expect(parseTextLine(line, true)).toEqual(expected);
  });

  describe('every command works with or without "/" and in any case', () => {
    const lines: [string, Record<string, unknown>][] = [
      ['say hi', { type: 'say', text: 'hi' }],
      ['me waves', { type: 'say', text: 'waves', action: true }],
      ['msg bob hi', { type: 'msg', to: 'bob', text: 'hi' }],
      ['who', { type: 'who' }],
      ['look', { type: 'look' }],
      ['rooms', { type: 'rooms' }],
      ['join #x', { type: 'join', room: '#x' }],
      ['nick bob', { type: 'nick', name: 'bob' }],
      ['logout', { type: 'logout' }],
      ['quit', { type: 'logout' }],
      ['login bob', { type: 'hello', name: 'bob', client: 'text' }],
    ];
    const variants = (line: string): string[] => {
      const [word, ...rest] = line.split(' ');
      const tail = rest.length ? ` ${rest.join(' ')}` : '';
      return [
        line,
        `/${line}`,
        `${word!.toUpperCase()}${tail}`,
        `/${word!.toUpperCase()}${tail}`,
        `${word![0]!.toUpperCase()}${word!.slice(1)}${tail}`,
      ];
    };
    it.each(lines.flatMap(([line, message]) => variants(line).map((v) => [v, message] as const)))('%j', (line, message) => {
      expect(parseTextLine(line, true)).toEqual(send(message));
    });
  });

  it.each([
    // Without "/", a command word whose arguments do not fit is ordinary speech.
    ['who are you', send({ type: 'say', text: 'who are you' })],
    ['look at this', send({ type: 'say', text: 'look at this' })],
    ['join us later', send({ type: 'say', text: 'join us later' })],
    ['rooms are full', send({ type: 'say', text: 'rooms are full' })],
    ['quit it', send({ type: 'say', text: 'quit it' })],
    ['help me', send({ type: 'say', text: 'help me' })],
    ['nick is here', send({ type: 'say', text: 'nick is here' })],
    ['msg', send({ type: 'say', text: 'msg' })],
    ['foo bar', send({ type: 'say', text: 'foo bar' })],
  ])('says %j (not a command: its arguments do not fit)', (line, expected) => {
    expect(parseTextLine(line, true)).toEqual(expected);
  });

  it.each([
    ['//shrug', send({ type: 'say', text: '/shrug' })],
    ['//who', send({ type: 'say', text: '/who' })],
    ['///', send({ type: 'say', text: '//' })],
  ])('says %j with one slash less ("//" escapes a leading slash)', (line, expected) => {
    expect(parseTextLine(line, true)).toEqual(expected);
  });

  it.each([
    ['/who are you', reply('Usage: who')],
    ['/msg bob', reply('Usage: msg NAME TEXT')],
    ['/join', reply('Usage: join ROOM')],
    ['/nick a b', reply('Usage: nick NAME')],
    ['/me', reply('Usage: me TEXT')],
    ['/foo', reply('Unknown command: foo. Type "help" for the list.')],
    ['/FOO bar', reply('Unknown command: FOO. Type "help" for the list.')],
    ['/', reply('Type "help" for the list of commands.')],
    ['/ who', reply('Type "help" for the list of commands.')],
  ])('answers %j locally with %j', (line, expected) => {
    expect(parseTextLine(line, true)).toEqual(expected);
  });

  it.each(['help', '/help', 'HELP', '/Help'])('%j lists every command', (line) => {
    const result = parseTextLine(line, true);
    expect(result).toEqual(reply(...helpLines()));
    const text = helpLines().join('\n');
    for (const command of Object.values(TEXT_COMMANDS)) expect(text).toContain(command.usage);
  });
});

describe('parseTextLine before login', () => {
  it.each([
    ['login alice', send({ type: 'hello', name: 'alice', client: 'text' })],
    ['LOGIN alice', send({ type: 'hello', name: 'alice', client: 'text' })],
    ['/login alice', send({ type: 'hello', name: 'alice', client: 'text' })],
    ['login 小明', send({ type: 'hello', name: '小明', client: 'text' })],
    // No password is expected, so extra words are a mistake (a name with a space), not a password.
    ['login bad name!', reply(NO_PASSWORD_LINE)],
    ['/login alice s3cret', reply(NO_PASSWORD_LINE)],
    ['hello', reply(LOGIN_HINT)],
    ['who are you', reply(LOGIN_HINT)],
    ['login', reply(LOGIN_HINT)],
    ['/login', reply('Usage: login NAME [PASSWORD]')],
    ['help', reply(...helpLines())],
    ['/nonsense', reply('Unknown command: nonsense. Type "help" for the list.')],
    ['//shrug', reply(LOGIN_HINT)],
    // Commands that need a login go to the server, which answers not_logged_in (one place decides).
    ['who', send({ type: 'who' })],
    ['quit', send({ type: 'logout' })],
  ])('%j → %j', (line, expected) => {
    expect(parseTextLine(line, false)).toEqual(expected);
  });
});

describe('parseTextLine before login, on a server with a password', () => {
  it.each([
    // `login NAME` asks; the next line is the password (passwordLine).
    ['login alice', { kind: 'password', name: 'alice', lines: [PASSWORD_PROMPT] }],
    ['/LOGIN 小明', { kind: 'password', name: '小明', lines: [PASSWORD_PROMPT] }],
    // An invalid name goes to validation (bad_name) without a password asked for.
    ['login b@d', send({ type: 'hello', name: 'b@d', client: 'text' })],
    // For scripts: the password is the rest of the line, so a passphrase may contain spaces.
    ['login alice s3cret', send({ type: 'hello', name: 'alice', password: 's3cret', client: 'text' })],
    ['login alice correct horse  battery', send({ type: 'hello', name: 'alice', password: 'correct horse  battery', client: 'text' })],
  ])('%j → %j', (line, expected) => {
    expect(parseTextLine(line, false, true)).toEqual(expected);
  });

  it.each([
    ['s3cret', send({ type: 'hello', name: 'alice', password: 's3cret', client: 'text' })],
    // The whole line, spaces and all; it is never read as a command.
    [' correct horse ', send({ type: 'hello', name: 'alice', password: ' correct horse ', client: 'text' })],
    ['quit', send({ type: 'hello', name: 'alice', password: 'quit', client: 'text' })],
    ['', reply('Login cancelled.')],
  ])('takes %j after the prompt as → %j', (line, expected) => {
    expect(passwordLine('alice', line)).toEqual(expected);
  });
});

describe('every message parseTextLine sends', () => {
  it.each([
    'say hi',
    'me waves',
    'msg bob hi',
    'who',
    'look',
    'rooms',
    'join rust',
    'nick bob',
    'logout',
    'quit',
    'login bob',
    'login bob pw',
    'just talking',
  ])('%j is a valid client message', (line) => {
    const result = parseTextLine(line, line.startsWith('login') ? false : true, line === 'login bob pw');
    expect(result.kind).toBe('send');
    if (result.kind === 'send') expect(() => parseClientMessage(result.message)).not.toThrow();
  });
});
