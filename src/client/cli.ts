/**
 * @module
 * `chat-client [--name NAME] [host:port]`: flags over the config file (config-file.ts) →
 * ClientConfig (a pure parse), then the full screen when stdin and stdout are terminals, line
 * mode otherwise. The first login happens before the screen is set up, so a refused name or an
 * unreachable server gives one line on stderr and a non-zero exit with the terminal untouched.
 *
 * When the server wants a password that was not given (its own, or a registered name's) and stdin
 * is a terminal, the client asks for it (no echo) before giving up: passwordToAsk() decides.
 *
 * Exit codes: 0 after /quit, Ctrl-C or end of input; 1 could not connect (or lost lines in line
 * mode); 2 bad usage (flags, address, name, the config file); 3 the server refused the login.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { ConnectionError, isValidName, isValidRoom, normalizeRoom, ServerError } from '../protocol/internal.js';
import { AddressError, formatAddress, parseAddress } from './address.js';
import { ChatApp, type AppOptions } from './app.js';
import { Autolog, checkLogDir } from './autolog.js';
import { runLineMode } from './line-mode.js';
import { ConfigError, loadConfig, type FileConfig } from './config-file.js';
import { DEFAULT_BACKOFF } from './reconnect.js';

export const EXIT = { ok: 0, connect: 1, usage: 2, refused: 3 } as const;

/** What the command line decides: the app's options as given, plus how to run. */
export interface ClientConfig extends Pick<AppOptions, 'host' | 'port' | 'address' | 'name' | 'password' | 'accountPassword'> {
  /** Rooms to start in, the first focused (--room, else the config file's rooms; default: the server's). */
  rooms?: string[];
  tls: boolean;
  ca?: string;
  insecure: boolean;
  /** Force line mode even on a terminal. */
  line: boolean;
  /** Report the mouse to the full screen (false: the terminal's own selection works). */
  mouse: boolean;
  /** Ring the bell on a mention or private message in a window not focused. */
  bell: boolean;
  /** Times with seconds. */
  seconds: boolean;
  /** Longest wait between reconnect attempts, ms. */
  retryMaxMs: number;
  /** Where each window is logged to a file (--log-dir, else the config file's log_dir; autolog.ts). */
  logDir?: string;
  /** The config file that was read, if any. */
  configFile?: string;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'usage';
}

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** The flags that take one value; yargs makes one given twice an array. */
const SINGLE_FLAGS = [
  'name',
  'password',
  'password-file',
  'account-password-file',
  'room',
  'ca',
  'retry-max',
  'config',
  'log-dir',
] as const;

/** A flag given twice is a mistake (which one did you mean?), not a list. */
export function refuseRepeats(a: Record<string, unknown>, flags: readonly string[]): void {
  for (const flag of flags) {
    const value = a[flag];
    if (Array.isArray(value))
      throw new UsageError(`--${flag} was given ${value.length === 2 ? 'twice' : `${value.length} times`}; give it once`);
  }
}

/** The text of a file a flag names; a file that cannot be read is a usage error naming the flag. */
export function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--${flag} ${path}: ${fileProblem(err as NodeJS.ErrnoException)}`);
  }
}

export function fileProblem(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return err.message;
  }
}

/**
 * Help at the terminal's width; piped (no terminal) at $COLUMNS if set, else 80, as most tools
 * do. Never wider than `max`, where long lines stop being readable.
 */
export function helpWidth(max: number, columns = process.stdout.isTTY ? process.stdout.columns : Number(process.env['COLUMNS'])): number {
  return Math.min(max, Number.isInteger(columns) && columns > 0 ? columns : 80);
}

function loginName(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return undefined;
  }
}

/** The text of a file the config file names (`key`); one that cannot be read is a config error naming the file and key. */
function readConfigFile(configFile: string | undefined, key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${configFile ?? 'config'}: ${key} ${path}: ${fileProblem(err as NodeJS.ErrnoException)}`);
  }
}

/** A password file's text less one trailing line break (as an editor leaves it). */
const passwordText = (text: string): string => text.replace(/\r?\n$/, '');

export interface ClientEnv {
  CHAT_NAME?: string;
  CHAT_PASSWORD?: string;
  CHAT_ACCOUNT_PASSWORD?: string;
  /** Where the default config file is looked for; neither given: no config file is read. */
  XDG_CONFIG_HOME?: string;
  HOME?: string;
  login?: string;
}

/**
 * Parse the command line, over the config file's settings. `env` supplies CHAT_NAME,
 * CHAT_PASSWORD, CHAT_ACCOUNT_PASSWORD, HOME / XDG_CONFIG_HOME (where the config file is) and the
 * login-name fallback, so the parse is a pure function of its arguments (apart from reading the
 * config file and the files flags or the config name). Resolves to undefined when --help or
 * --version was printed. Precedence: a flag, then the environment, then the config file, then
 * the default.
 */
export async function parseClientArgs(argv: string[], env: ClientEnv = {}): Promise<ClientConfig | undefined> {
  let config: ClientConfig | undefined;
  await yargs(argv)
    .scriptName('chat-client')
    .usage('$0 [options] [host:port]\n\nChat in a full-screen terminal, or line by line when piped.')
    .version(VERSION)
    .strict()
    .command(
      '$0 [address]',
      'connect to a framechat server',
      (y) =>
        y
          .positional('address', { type: 'string', describe: 'host:port, [v6]:port or chats://host:port (default localhost:5005)' })
          .option('name', { alias: 'n', type: 'string', describe: 'your name (default: $CHAT_NAME, else your login name)' })
          .option('password', { type: 'string', describe: 'server password (prefer $CHAT_PASSWORD or --password-file)' })
          .option('password-file', { type: 'string', describe: 'read the server password from this file' })
          .option('account-password-file', {
            type: 'string',
            describe: 'read the password of your account (a registered name) from this file (or set $CHAT_ACCOUNT_PASSWORD)',
          })
          .option('room', { alias: 'r', type: 'string', describe: 'room to start in (#rust or rust)' })
          .option('config', {
            type: 'string',
            describe: 'read settings from this TOML file (default: ~/.config/framechat/config.toml); --no-config reads none',
          })
          // No yargs defaults where the config file may set the value: a flag not given must be told from one given.
          .option('tls', { type: 'boolean', describe: 'connect with TLS (same as a chats:// address)' })
          .option('ca', { type: 'string', describe: 'PEM file with the CA (or self-signed) certificate to trust' })
          .option('insecure', { type: 'boolean', describe: 'do not check the server certificate (testing only)' })
          .option('retry-max', { type: 'number', describe: 'longest wait between reconnect attempts, in seconds (default 30)' })
          .option('line', { type: 'boolean', default: false, describe: 'line mode even on a terminal' })
          .option('mouse', {
            type: 'boolean',
            describe: 'scroll with the mouse wheel; --no-mouse leaves the mouse to the terminal (select, copy)',
          })
          .option('bell', {
            type: 'boolean',
            describe: 'ring the bell on a mention or private message in another window; --no-bell for silence',
          })
          .option('seconds', { type: 'boolean', describe: 'show times with seconds (14:05:09)' })
          .option('log-dir', { type: 'string', describe: 'write each room and private window to a log file under this folder' })
          .example('# chat as alice', '')
          .example('$0 --name alice chat.example.org:5005', '')
          .example('# say one line from a script', '')
          .example("printf 'hello\\n' | $0 --name bot localhost:5005", ''),
      (a) => {
        refuseRepeats(a, SINGLE_FLAGS);
        // --no-config is yargs' negation of --config: false.
        const { file, config: f } = loadConfig(a.config as string | false | undefined, env);
        // yargs leaves what follows `--` in `_`: the address may be there (`-- host:port`).
        const rest = a._.map(String);
        const address = a.address ?? rest.shift();
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}" (give one address)`);
        const insecure = a.insecure ?? f.insecure ?? false;
        const caPath = a.ca ?? f.ca;
        const wantTls = (a.tls ?? f.tls ?? false) || caPath !== undefined || insecure;
        let where;
        try {
          where = parseAddress(address ?? f.server, wantTls);
        } catch (err) {
          // The config's server was checked when the file was read: a bad one here is the argument's.
          throw new UsageError(`bad address: ${(err as AddressError).message}`);
        }
        const name = a.name ?? env.CHAT_NAME ?? f.name ?? env.login;
        if (name === undefined || name === '') throw new UsageError('no name: use --name NAME (or set CHAT_NAME)');
        if (!isValidName(name)) throw new UsageError(`"${name}" is not a valid name: use 1-32 letters, digits, "_", "-" or "."`);
        const retryMax = a['retry-max'] ?? f.retryMax ?? 30;
        if (!(retryMax > 0)) throw new UsageError('--retry-max must be a number of seconds above 0');
        if (a.room !== undefined && !isValidRoom(normalizeRoom(a.room))) throw new UsageError(`"${a.room}" is not a valid room name`);
        const rooms = a.room !== undefined ? [normalizeRoom(a.room)] : f.rooms;
        const password =
          a['password-file'] !== undefined
            ? passwordText(readFlagFile('password-file', a['password-file']))
            : (a.password ??
              env.CHAT_PASSWORD ??
              (f.passwordFile === undefined ? undefined : passwordText(readConfigFile(file, 'password_file', f.passwordFile))));
        const accountPassword = accountPasswordOf(a['account-password-file'], env, f, file);
        config = {
          host: where.host,
          port: where.port,
          address: formatAddress(where),
          name,
          tls: where.tls,
          insecure,
          line: a.line,
          mouse: a.mouse ?? f.mouse ?? true,
          bell: a.bell ?? f.bell ?? true,
          seconds: a.seconds ?? f.seconds ?? false,
          retryMaxMs: Math.round(retryMax * 1000),
          ...(password === undefined || password === '' ? {} : { password }),
          ...(accountPassword === undefined || accountPassword === '' ? {} : { accountPassword }),
          ...(rooms === undefined ? {} : { rooms }),
          ...(a.ca !== undefined ? { ca: readFlagFile('ca', a.ca) } : f.ca !== undefined ? { ca: readConfigFile(file, 'ca', f.ca) } : {}),
          ...(a['log-dir'] !== undefined ? { logDir: path.resolve(a['log-dir']) } : f.logDir === undefined ? {} : { logDir: f.logDir }),
          ...(file === undefined ? {} : { configFile: file }),
        };
      },
    )
    .fail((message, err) => {
      throw err ?? new UsageError(message);
    })
    .help()
    .alias('help', 'h')
    .wrap(helpWidth(100))
    .parseAsync();
  return config;
}

/** --account-password-file, else CHAT_ACCOUNT_PASSWORD, else the config file's account_password_file. */
function accountPasswordOf(flag: string | undefined, env: ClientEnv, f: FileConfig, file: string | undefined): string | undefined {
  if (flag !== undefined) return passwordText(readFlagFile('account-password-file', flag));
  if (env.CHAT_ACCOUNT_PASSWORD !== undefined) return env.CHAT_ACCOUNT_PASSWORD;
  if (f.accountPasswordFile !== undefined) return passwordText(readConfigFile(file, 'account_password_file', f.accountPasswordFile));
  return undefined;
}

/**
 * The one line a person reads when the first login fails, and the exit code that goes with it.
 * `typed`: the password was typed at the prompt (so no flag or variable is to blame).
 */
export function describeStartError(
  err: unknown,
  config: ClientConfig,
  typed = false,
  accountTyped = false,
): { message: string; code: number } {
  if (err instanceof ServerError) {
    // Account codes, as a plain string: src/protocol learns them with the server's accounts.
    const code: string = err.code;
    if (code === 'name_reserved')
      return {
        message: `${config.address}: "${config.name}" is a registered name: give its password with --account-password-file FILE or CHAT_ACCOUNT_PASSWORD, or choose another with --name`,
        code: EXIT.refused,
      };
    if (code === 'login_failed') {
      const hint = accountTyped ? '' : ' (check --account-password-file, CHAT_ACCOUNT_PASSWORD or account_password_file)';
      return { message: `${config.address} refused the password for "${config.name}": ${err.message}${hint}`, code: EXIT.refused };
    }
    if (err.code === 'auth_failed') {
      if (config.password === undefined)
        return { message: `${config.address} needs a password: give it with --password-file FILE or CHAT_PASSWORD`, code: EXIT.refused };
      const hint = typed ? '' : ' (check --password, --password-file or CHAT_PASSWORD)';
      return { message: `${config.address} refused the password: ${err.message}${hint}`, code: EXIT.refused };
    }
    const hint = err.code === 'name_taken' ? ' (choose another with --name)' : '';
    return { message: `${config.address} refused the name "${config.name}": ${err.message}${hint}`, code: EXIT.refused };
  }
  if (err instanceof ConnectionError && err.code === 'tls_failed') {
    const hint = /certificate|self[- ]signed|altnames|issuer/i.test(err.message)
      ? "the server's certificate is not trusted for this name: give its CA with --ca FILE"
      : 'is that port serving TLS?';
    return { message: `${err.message} (${hint})`, code: EXIT.connect };
  }
  if (err instanceof ConnectionError && err.code === 'not_framechat' && !config.tls) {
    return { message: err.message.replace(/\(connect with TLS\)$/, `(for TLS use chats://${config.address})`), code: EXIT.connect };
  }
  if (err instanceof ConnectionError) return { message: err.message, code: EXIT.connect };
  return { message: `cannot connect to ${config.address}: ${(err as Error).message}`, code: EXIT.connect };
}

/** Longest password the prompt takes; a person typing never gets near it. */
const MAX_TYPED = 4096;

/**
 * Read one line from a terminal without echoing it (as ssh and sudo ask for a password).
 * Backspace and Ctrl-U edit; Enter ends it; Ctrl-C, or Ctrl-D on an empty line, resolves to
 * undefined. The terminal is put back as it was.
 */
export function askHidden(input: NodeJS.ReadStream, output: NodeJS.WritableStream, prompt: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const wasRaw = input.isRaw;
    let text = '';
    const done = (value: string | undefined): void => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(text);
        if (ch === '\u0003' || (ch === '\u0004' && text === '')) return done(undefined);
        if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('');
        else if (ch === '\u0015') text = '';
        else if (ch >= ' ' && text.length < MAX_TYPED) text += ch;
      }
    };
    output.write(prompt);
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

/** How often each password is asked for at most, as ssh does. */
const MAX_ASKS = 3;

/**
 * After a refused first login: which password to ask for on the terminal, or undefined to give
 * up. `given`: the password came from a flag, the environment or the config file (so a person
 * did not type it, and asking would override what they set up). A wrong account password that
 * was typed is asked for again; one that was given is final.
 */
export function passwordToAsk(
  code: string,
  s: { tty: boolean; serverGiven: boolean; accountGiven: boolean; asked: { server: number; account: number } },
): 'server' | 'account' | undefined {
  if (!s.tty) return undefined;
  if (code === 'auth_failed') return !s.serverGiven && s.asked.server < MAX_ASKS ? 'server' : undefined;
  if (code === 'name_reserved') return !s.accountGiven && s.asked.account < MAX_ASKS ? 'account' : undefined;
  if (code === 'login_failed') return !s.accountGiven && s.asked.account > 0 && s.asked.account < MAX_ASKS ? 'account' : undefined;
  return undefined;
}

function newApp(config: ClientConfig, password: string | undefined, accountPassword: string | undefined, log?: Autolog): ChatApp {
  return new ChatApp({
    host: config.host,
    port: config.port,
    address: config.address,
    name: config.name,
    tls: config.tls,
    insecure: config.insecure,
    backoff: { baseMs: Math.min(DEFAULT_BACKOFF.baseMs, config.retryMaxMs), capMs: config.retryMaxMs },
    ...(password === undefined ? {} : { password }),
    ...(accountPassword === undefined ? {} : { accountPassword }),
    ...(config.rooms === undefined ? {} : { rooms: config.rooms }),
    ...(config.ca === undefined ? {} : { ca: config.ca }),
    ...(log === undefined ? {} : { log: (shown, windows) => log.log(shown, windows) }),
  });
}

/** Exit once stdout and stderr have taken everything written to them. */
function exit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

export async function main(argv: string[]): Promise<void> {
  let config: ClientConfig | undefined;
  try {
    const env = process.env;
    config = await parseClientArgs(argv, {
      CHAT_NAME: env['CHAT_NAME'],
      CHAT_PASSWORD: env['CHAT_PASSWORD'],
      CHAT_ACCOUNT_PASSWORD: env['CHAT_ACCOUNT_PASSWORD'],
      XDG_CONFIG_HOME: env['XDG_CONFIG_HOME'],
      HOME: env['HOME'] ?? os.homedir(),
      login: loginName(),
    });
  } catch (err) {
    // A bad config file is one line that says where; --help would not help fix it.
    if (err instanceof ConfigError) {
      process.stderr.write(`chat-client: ${err.message}\n`);
      return exit(EXIT.usage);
    }
    process.stderr.write(`chat-client: ${(err as Error).message}\nTry "chat-client --help".\n`);
    return exit(EXIT.usage);
  }
  if (!config) return; // --help or --version was printed
  let autolog: Autolog | undefined;
  if (config.logDir !== undefined) {
    try {
      checkLogDir(config.logDir);
    } catch (err) {
      process.stderr.write(`chat-client: ${(err as Error).message}\n`);
      return exit(EXIT.usage);
    }
    autolog = new Autolog(config.logDir, config.host, config.port);
  }

  // The server password, then the account's, asked for when the server wants one that was not
  // given and there is a person at the terminal to type it (passwordToAsk decides).
  let password = config.password;
  let accountPassword = config.accountPassword;
  const asked = { server: 0, account: 0 };
  let app: ChatApp | undefined;
  while (!app) {
    const candidate = newApp(config, password, accountPassword, autolog);
    try {
      await candidate.start();
      app = candidate;
    } catch (err) {
      const which =
        err instanceof ServerError
          ? passwordToAsk(err.code, {
              tty: process.stdin.isTTY === true,
              serverGiven: config.password !== undefined,
              accountGiven: config.accountPassword !== undefined,
              asked,
            })
          : undefined;
      if (which) {
        if (asked[which] > 0) process.stderr.write(`${(err as Error).message}\n`);
        asked[which]++;
        const prompt = which === 'server' ? `Password for ${config.address}: ` : `Password for ${config.name} on ${config.address}: `;
        const typed = await askHidden(process.stdin, process.stderr, prompt);
        const value = typed === '' ? undefined : typed;
        if (which === 'server') password = value;
        else accountPassword = value;
        if (value !== undefined) continue;
      }
      const { message, code } = describeStartError(
        err,
        { ...config, ...(password === undefined ? {} : { password }) },
        password !== config.password,
        accountPassword !== config.accountPassword,
      );
      process.stderr.write(`chat-client: ${message}\n`);
      return exit(code);
    }
  }

  const logged = app;
  if (autolog) autolog.onProblem = (text) => logged.serverNotice(text);
  const finish = async (code: number): Promise<void> => {
    await autolog?.close();
    exit(code);
  };

  const fullScreen = !config.line && process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (!fullScreen) {
    process.on('SIGTERM', () => app.quit());
    process.on('SIGINT', () => app.quit());
    return finish(await runLineMode(app, process.stdin, process.stdout));
  }
  const { runTui } = await import('./tui/tui.js');
  return finish(
    await runTui(app, {
      input: process.stdin,
      output: process.stdout,
      mouse: config.mouse,
      bell: config.bell,
      seconds: config.seconds,
      processHandlers: true,
    }),
  );
}
