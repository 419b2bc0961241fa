/**
 * @module
 * `chat-client [--name NAME] [host:port]`: flags → ClientConfig (a pure parse), then the full
 * screen when stdin and stdout are terminals, line mode otherwise. The first login happens before
 * the screen is set up, so a refused name or an unreachable server gives one line on stderr and
 * a non-zero exit with the terminal untouched.
 *
 * When the server wants a password that was not given and stdin is a terminal, the client asks
 * for it (no echo) before giving up.
 *
 * Exit codes: 0 after /quit, Ctrl-C or end of input; 1 could not connect (or lost lines in line
 * mode); 2 bad usage (flags, address, name); 3 the server refused the login.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import yargs from 'yargs';
import { ConnectionError, isValidName, isValidRoom, normalizeRoom, ServerError } from '../protocol/internal.js';
import { AddressError, formatAddress, parseAddress } from './address.js';
import { ChatApp, type AppOptions } from './app.js';
import { runLineMode } from './line-mode.js';
import { DEFAULT_BACKOFF } from './reconnect.js';

export const EXIT = { ok: 0, connect: 1, usage: 2, refused: 3 } as const;

/** What the command line decides: the app's options as given, plus how to run. */
export interface ClientConfig extends Pick<AppOptions, 'host' | 'port' | 'address' | 'name' | 'password' | 'room'> {
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
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'usage';
}

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** The flags that take one value; yargs makes one given twice an array. */
const SINGLE_FLAGS = ['name', 'password', 'password-file', 'room', 'ca', 'retry-max'] as const;

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

/**
 * Parse the command line. `env` supplies CHAT_NAME, CHAT_PASSWORD and the login-name fallback, so
 * the parse is a pure function of its arguments (apart from reading a --ca or --password-file).
 * Resolves to undefined when --help or --version was printed.
 */
export async function parseClientArgs(
  argv: string[],
  env: { CHAT_NAME?: string; CHAT_PASSWORD?: string; login?: string } = {},
): Promise<ClientConfig | undefined> {
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
          .option('room', { alias: 'r', type: 'string', describe: 'room to start in (#rust or rust)' })
          .option('tls', { type: 'boolean', default: false, describe: 'connect with TLS (same as a chats:// address)' })
          .option('ca', { type: 'string', describe: 'PEM file with the CA (or self-signed) certificate to trust' })
          .option('insecure', { type: 'boolean', default: false, describe: 'do not check the server certificate (testing only)' })
          .option('retry-max', { type: 'number', default: 30, describe: 'longest wait between reconnect attempts, in seconds' })
          .option('line', { type: 'boolean', default: false, describe: 'line mode even on a terminal' })
          .option('mouse', {
            type: 'boolean',
            default: true,
            describe: 'scroll with the mouse wheel; --no-mouse leaves the mouse to the terminal (select, copy)',
          })
          .option('bell', {
            type: 'boolean',
            default: true,
            describe: 'ring the bell on a mention or private message in another window; --no-bell for silence',
          })
          .option('seconds', { type: 'boolean', default: false, describe: 'show times with seconds (14:05:09)' })
          .example('# chat as alice', '')
          .example('$0 --name alice chat.example.org:5005', '')
          .example('# say one line from a script', '')
          .example("printf 'hello\\n' | $0 --name bot localhost:5005", ''),
      (a) => {
        refuseRepeats(a, SINGLE_FLAGS);
        // yargs leaves what follows `--` in `_`: the address may be there (`-- host:port`).
        const rest = a._.map(String);
        const address = a.address ?? rest.shift();
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}" (give one address)`);
        let where;
        try {
          where = parseAddress(address, a.tls || a.ca !== undefined || a.insecure);
        } catch (err) {
          throw new UsageError(`bad address: ${(err as AddressError).message}`);
        }
        const name = a.name ?? env.CHAT_NAME ?? env.login;
        if (name === undefined || name === '') throw new UsageError('no name: use --name NAME (or set CHAT_NAME)');
        if (!isValidName(name)) throw new UsageError(`"${name}" is not a valid name: use 1-32 letters, digits, "_", "-" or "."`);
        if (!(a['retry-max'] > 0)) throw new UsageError('--retry-max must be a number of seconds above 0');
        if (a.room !== undefined && !isValidRoom(normalizeRoom(a.room))) throw new UsageError(`"${a.room}" is not a valid room name`);
        const password =
          a['password-file'] !== undefined
            ? readFlagFile('password-file', a['password-file']).replace(/\r?\n$/, '')
            : (a.password ?? env.CHAT_PASSWORD);
        config = {
          host: where.host,
          port: where.port,
          address: formatAddress(where),
          name,
          tls: where.tls,
          insecure: a.insecure,
          line: a.line,
          mouse: a.mouse,
          bell: a.bell,
          seconds: a.seconds,
          retryMaxMs: Math.round(a['retry-max'] * 1000),
          ...(password === undefined || password === '' ? {} : { password }),
          ...(a.room === undefined ? {} : { room: normalizeRoom(a.room) }),
          ...(a.ca === undefined ? {} : { ca: readFlagFile('ca', a.ca) }),
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

/**
 * The one line a person reads when the first login fails, and the exit code that goes with it.
 * `typed`: the password was typed at the prompt (so no flag or variable is to blame).
 */
export function describeStartError(err: unknown, config: ClientConfig, typed = false): { message: string; code: number } {
  if (err instanceof ServerError) {
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

function newApp(config: ClientConfig, password: string | undefined): ChatApp {
  return new ChatApp({
    host: config.host,
    port: config.port,
    address: config.address,
    name: config.name,
    tls: config.tls,
    insecure: config.insecure,
    backoff: { baseMs: Math.min(DEFAULT_BACKOFF.baseMs, config.retryMaxMs), capMs: config.retryMaxMs },
    ...(password === undefined ? {} : { password }),
    ...(config.room === undefined ? {} : { room: config.room }),
    ...(config.ca === undefined ? {} : { ca: config.ca }),
  });
}

/** Exit once stdout and stderr have taken everything written to them. */
function exit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

export async function main(argv: string[]): Promise<void> {
  let config: ClientConfig | undefined;
  try {
    config = await parseClientArgs(argv, {
      CHAT_NAME: process.env['CHAT_NAME'],
      CHAT_PASSWORD: process.env['CHAT_PASSWORD'],
      login: loginName(),
    });
  } catch (err) {
    process.stderr.write(`chat-client: ${(err as Error).message}\nTry "chat-client --help".\n`);
    return exit(EXIT.usage);
  }
  if (!config) return; // --help or --version was printed

  // Asked for at most this many times, as ssh does, when the server wants a password that was
  // not given and there is a person at the terminal to type it.
  const canAsk = config.password === undefined && process.stdin.isTTY === true;
  let password = config.password;
  let app: ChatApp | undefined;
  for (let attempt = 1; !app; attempt++) {
    const candidate = newApp(config, password);
    try {
      await candidate.start();
      app = candidate;
    } catch (err) {
      const refused = err instanceof ServerError && err.code === 'auth_failed';
      if (refused && canAsk && attempt <= 3) {
        if (password !== undefined) process.stderr.write(`${err.message}\n`);
        password = await askHidden(process.stdin, process.stderr, `Password for ${config.address}: `);
        if (password !== undefined && password !== '') continue;
        password = undefined;
      }
      const { message, code } = describeStartError(
        err,
        { ...config, ...(password === undefined ? {} : { password }) },
        password !== config.password,
      );
      process.stderr.write(`chat-client: ${message}\n`);
      return exit(code);
    }
  }

  const fullScreen = !config.line && process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (!fullScreen) {
    process.on('SIGTERM', () => app.quit());
    process.on('SIGINT', () => app.quit());
    return exit(await runLineMode(app, process.stdin, process.stdout));
  }
  const { runTui } = await import('./tui/tui.js');
  return exit(
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
