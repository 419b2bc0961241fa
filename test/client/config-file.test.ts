import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseClientArgs } from '../../src/client/cli.js';
import { ConfigError, defaultConfigPath, loadConfig, parseConfig } from '../../src/client/config-file.js';

const FILE = '/home/sam/.config/framechat/config.toml';

/** The example in docs/CLIENT.md, every key set. */
const EVERY_KEY = `
server = "chats://chat.example.org"
name = "alice"
rooms = ["#main", "rust"]
bell = false
seconds = true
mouse = false
tls = true
ca = "ca.pem"
insecure = false
retry_max = 10
log_dir = "~/chat-logs"
password_file = "/etc/framechat/server-password"
account_password_file = "account-password"
`;

describe('the config file', () => {
  it('reads every key, with paths resolved against its folder and ~ expanded', () => {
    expect(parseConfig(EVERY_KEY, FILE, '/home/sam')).toEqual({
      server: 'chats://chat.example.org',
      name: 'alice',
      rooms: ['#main', '#rust'],
      bell: false,
      seconds: true,
      mouse: false,
      tls: true,
      ca: '/home/sam/.config/framechat/ca.pem',
      insecure: false,
      retryMax: 10,
      logDir: '/home/sam/chat-logs',
      passwordFile: '/etc/framechat/server-password',
      accountPasswordFile: '/home/sam/.config/framechat/account-password',
    });
  });

  it('reads the example in docs/CLIENT.md, which sets every key', () => {
    const doc = readFileSync(new URL('../../docs/CLIENT.md', import.meta.url), 'utf8');
    const example = /```toml\n([\s\S]*?)```/.exec(doc)![1]!;
    const config = parseConfig(example, FILE, '/home/sam');
    expect(Object.keys(config).sort()).toEqual(Object.keys(parseConfig(EVERY_KEY, FILE, '/home/sam')).sort());
    expect(config).toMatchObject({ server: 'chats://chat.example.org', rooms: ['#main', '#rust'], logDir: '/home/sam/chat-logs' });
  });

  it('takes an empty file (or only comments) as no settings', () => {
    expect(parseConfig('# nothing yet\n', FILE)).toEqual({});
  });

  it.each<[string, string, string]>([
    ['bad TOML', 'name = "alice"\nbell = yes\n', `${FILE}:2:8: invalid value (not valid TOML)`],
    ['an unclosed string', 'name = "alice\n', `${FILE}:1:14: control characters are not allowed in strings (not valid TOML)`],
    [
      'a key given twice',
      'bell = true\nbell = false\n',
      `${FILE}:2:1: trying to redefine an already defined table or value (not valid TOML)`,
    ],
    [
      'an unknown key',
      'name = "a"\n  colour = "red"\n',
      `${FILE}:2:3: unknown key "colour" (known keys: account_password_file, bell, ca, insecure, log_dir, mouse, name, password_file, retry_max, rooms, seconds, server, tls)`,
    ],
    [
      'a password in the file',
      'password = "s3cret"\n',
      `${FILE}:1:1: unknown key "password" (passwords do not go in the config file: put the server password in a file and name it with password_file)`,
    ],
    [
      'an account password in the file',
      '\naccount_password = "s3cret"\n',
      `${FILE}:2:1: unknown key "account_password" (passwords do not go in the config file: put it in a file and name it with account_password_file)`,
    ],
    ['room for rooms', 'room = "#rust"\n', `${FILE}:1:1: unknown key "room" (the key is rooms, a list: rooms = ["#main"])`],
    ['a table', '[server]\nhost = "x"\n', `${FILE}:1:1: server must be a string, not a table`],
    ['a string for a boolean', 'bell = "no"\n', `${FILE}:1:1: bell must be true or false, not "no"`],
    ['a number for a string', 'name = 7\n', `${FILE}:1:1: name must be a string, not 7`],
    ['one room, not a list', 'rooms = "#rust"\n', `${FILE}:1:1: rooms must be a list of rooms, such as ["#main", "#rust"], not "#rust"`],
    ['an empty list of rooms', 'rooms = []\n', `${FILE}:1:1: rooms must be a list of rooms, such as ["#main", "#rust"], not a list`],
    ['a bad room', 'rooms = ["#ok", "no spaces"]\n', `${FILE}:1:1: "no spaces" is not a valid room name`],
    ['a room twice', 'rooms = ["#Rust", "rust"]\n', `${FILE}:1:1: rooms lists #rust twice`],
    ['a number in rooms', 'rooms = [1]\n', `${FILE}:1:1: rooms must hold room names (strings), not 1`],
    ['a zero retry_max', 'retry_max = 0\n', `${FILE}:1:1: retry_max must be a number of seconds above 0, not 0`],
    ['an empty path', 'ca = ""\n', `${FILE}:1:1: ca must be a path (a string), not ""`],
    ['a bad name', 'name = "two words"\n', `${FILE}:1:1: "two words" is not a valid name: use 1-32 letters, digits, "_", "-" or "."`],
    ['a bad server', '# where\nserver = "host:99999"\n', `${FILE}:2:1: bad server address: bad port "99999" in "host:99999" (1-65535)`],
  ])('refuses %s in one line naming the file, the line and the column', (_what, text, message) => {
    let caught: unknown;
    try {
      parseConfig(text, FILE);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).code).toBe('bad_config');
    expect((caught as ConfigError).message).toBe(message);
  });

  it.each<[string, { XDG_CONFIG_HOME?: string; HOME?: string }, string | undefined]>([
    ['is under $XDG_CONFIG_HOME', { XDG_CONFIG_HOME: '/x/conf', HOME: '/home/sam' }, '/x/conf/framechat/config.toml'],
    ['is under ~/.config without it', { HOME: '/home/sam' }, '/home/sam/.config/framechat/config.toml'],
    [
      'ignores a relative $XDG_CONFIG_HOME, as the XDG spec says',
      { XDG_CONFIG_HOME: 'conf', HOME: '/h' },
      '/h/.config/framechat/config.toml',
    ],
    ['is not looked for without either', {}, undefined],
  ])('the default path %s', (_what, env, expected) => {
    expect(defaultConfigPath(env)).toBe(expected);
  });
});

describe('the config file under the flags', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  /** A HOME with `text` as its default config file (none when undefined). */
  function home(text?: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'framechat-home-'));
    dirs.push(dir);
    if (text !== undefined) {
      mkdirSync(path.join(dir, '.config', 'framechat'), { recursive: true });
      writeFileSync(path.join(dir, '.config', 'framechat', 'config.toml'), text);
    }
    return dir;
  }
  const CONFIG =
    'server = "chat.example.org:6000"\nname = "alice"\nrooms = ["#rust", "#go"]\nbell = false\nseconds = true\nretry_max = 5\n';

  it('gives the settings when no flag does', async () => {
    const HOME = home(CONFIG);
    expect(await parseClientArgs([], { HOME, login: 'sam' })).toMatchObject({
      host: 'chat.example.org',
      port: 6000,
      name: 'alice',
      rooms: ['#rust', '#go'],
      bell: false,
      seconds: true,
      retryMaxMs: 5_000,
      configFile: path.join(HOME, '.config', 'framechat', 'config.toml'),
    });
  });

  it.each<[string, string[], Record<string, string>, object]>([
    ['the address argument over server', ['other:7000'], {}, { host: 'other', port: 7000 }],
    ['--name over name', ['--name', 'bob'], {}, { name: 'bob' }],
    ['CHAT_NAME over name', [], { CHAT_NAME: 'carol' }, { name: 'carol' }],
    ['--room over rooms (one room, not added to them)', ['--room', 'lua'], {}, { rooms: ['#lua'] }],
    ['--bell over bell = false', ['--bell'], {}, { bell: true }],
    ['--no-seconds over seconds = true', ['--no-seconds'], {}, { seconds: false }],
    ['--retry-max over retry_max', ['--retry-max', '2'], {}, { retryMaxMs: 2_000 }],
  ])('puts %s', async (_what, argv, env, expected) => {
    expect(await parseClientArgs(argv, { HOME: home(CONFIG), ...env })).toMatchObject(expected);
  });

  it('reads $XDG_CONFIG_HOME/framechat/config.toml over ~/.config', async () => {
    const xdg = home();
    mkdirSync(path.join(xdg, 'framechat'));
    writeFileSync(path.join(xdg, 'framechat', 'config.toml'), 'name = "xdg"\n');
    expect(await parseClientArgs([], { HOME: home('name = "dot"\n'), XDG_CONFIG_HOME: xdg })).toMatchObject({ name: 'xdg' });
  });

  it('reads --config FILE instead of the default file', async () => {
    const other = path.join(home(), 'other.toml');
    writeFileSync(other, 'name = "other"\n');
    expect(await parseClientArgs(['--config', other], { HOME: home(CONFIG) })).toMatchObject({ name: 'other', configFile: other });
  });

  it('reads no file with --no-config, not even a broken one', async () => {
    const config = await parseClientArgs(['--no-config'], { HOME: home('this is not toml'), login: 'sam' });
    expect(config).toMatchObject({ name: 'sam', host: 'localhost', port: 5005 });
    expect(config?.configFile).toBeUndefined();
  });

  it('takes a missing default file as no settings', async () => {
    expect(await parseClientArgs([], { HOME: home(), login: 'sam' })).toMatchObject({ name: 'sam', host: 'localhost' });
  });

  it('refuses a --config FILE that does not exist', async () => {
    await expect(parseClientArgs(['--config', 'no/such.toml'], { HOME: home(CONFIG) })).rejects.toThrow(
      /^--config no\/such\.toml: no such file$/,
    );
  });

  it('turns on TLS on its port for a chats:// server in the file', async () => {
    expect(await parseClientArgs([], { HOME: home('server = "chats://example.org"\nname = "a"\n') })).toMatchObject({
      tls: true,
      port: 5006,
    });
  });

  it('reads the password files it names, relative to its folder, flags and variables first', async () => {
    const HOME = home('name = "a"\npassword_file = "server.pw"\naccount_password_file = "account.pw"\n');
    const dir = path.join(HOME, '.config', 'framechat');
    writeFileSync(path.join(dir, 'server.pw'), 'from-file\n');
    writeFileSync(path.join(dir, 'account.pw'), 'account-from-file\n');
    expect(await parseClientArgs([], { HOME })).toMatchObject({ password: 'from-file', accountPassword: 'account-from-file' });
    expect(await parseClientArgs([], { HOME, CHAT_PASSWORD: 'env', CHAT_ACCOUNT_PASSWORD: 'env2' })).toMatchObject({
      password: 'env',
      accountPassword: 'env2',
    });
    const flagFile = path.join(HOME, 'flag.pw');
    writeFileSync(flagFile, 'from-flag\r\n');
    expect(await parseClientArgs(['--account-password-file', flagFile], { HOME, CHAT_ACCOUNT_PASSWORD: 'env2' })).toMatchObject({
      accountPassword: 'from-flag',
    });
  });

  it('names the config file and the key when a file it names cannot be read', async () => {
    const HOME = home('name = "a"\naccount_password_file = "missing.pw"\n');
    const file = path.join(HOME, '.config', 'framechat', 'config.toml');
    await expect(parseClientArgs([], { HOME })).rejects.toThrow(
      `${file}: account_password_file ${path.join(HOME, '.config', 'framechat', 'missing.pw')}: no such file`,
    );
  });

  it('keeps log_dir for the log files', async () => {
    expect(await parseClientArgs([], { HOME: home('name = "a"\nlog_dir = "logs"\n') })).toMatchObject({
      logDir: expect.stringMatching(/framechat[\\/]logs$/),
    });
  });

  it('loadConfig says which --config file is missing, and passes the default one by', () => {
    expect(() => loadConfig('nope.toml', {})).toThrow(/^--config nope\.toml: no such file$/);
    expect(loadConfig(undefined, { HOME: home() })).toEqual({ config: {} });
  });
});
