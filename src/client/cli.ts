/**
 * @module
 * `chat-client [--name NAME] [host:port]`: flags → ClientConfig (a pure parse), then the full
 * screen when stdin and stdout are terminals, line mode otherwise. The first login happens before
 * the screen is set up, so a refused name or an unreachable server gives one line on stderr and
 * a non-zero exit with the terminal untouched.
 *
 * Exit codes: 0 after /quit, Ctrl-C or end of input; 1 could not connect (or lost lines in line
 * mode); 2 bad usage (flags, address, name); 3 the server refused the login.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import yargs from 'yargs';
import { ConnectionError, isValidName, isValidRoom, normalizeRoom, ServerError } from '../protocol/index.js';
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
  /** Longest wait between reconnect attempts, ms. */
  retryMaxMs: number;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'usage';
}

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

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
export async function parseClientArgs(argv: string[], env: { CHAT_NAME?: string; CHAT_PASSWORD?: string; login?: string } = {}): Promise<ClientConfig | undefined> {
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
          .option('mouse', { type: 'boolean', default: true, describe: 'scroll with the mouse wheel; --no-mouse leaves the mouse to the terminal (select, copy)' })
          .example('$0 --name alice chat.example.org:5005', 'chat as alice')
          .example("printf 'hello\\n' | $0 --name bot localhost:5005", 'say one line from a script'),
      (a) => {
        let where;
        try {
          where = parseAddress(a.address, a.tls || a.ca !== undefined || a.insecure);
        } catch (err) {
          throw new UsageError(`bad address: ${(err as AddressError).message}`);
        }
        const name = a.name ?? env.CHAT_NAME ?? env.login;
        if (name === undefined || name === '') throw new UsageError('no name: use --name NAME (or set CHAT_NAME)');
        if (!isValidName(name)) throw new UsageError(`"${name}" is not a valid name: use 1-32 letters, digits, "_", "-" or "."`);
        if (!(a['retry-max'] > 0)) throw new UsageError('--retry-max must be a number of seconds above 0');
        if (a.room !== undefined && !isValidRoom(normalizeRoom(a.room))) throw new UsageError(`"${a.room}" is not a valid room name`);
        const password = a['password-file'] !== undefined ? readFileSync(a['password-file'], 'utf8').replace(/\r?\n$/, '') : (a.password ?? env.CHAT_PASSWORD);
        config = {
          host: where.host,
          port: where.port,
          address: formatAddress(where),
          name,
          tls: where.tls,
          insecure: a.insecure,
          line: a.line,
          mouse: a.mouse,
          retryMaxMs: Math.round(a['retry-max'] * 1000),
          ...(password === undefined || password === '' ? {} : { password }),
          ...(a.room === undefined ? {} : { room: normalizeRoom(a.room) }),
          ...(a.ca === undefined ? {} : { ca: readFileSync(a.ca, 'utf8') }),
        };
      },
    )
    .fail((message, err) => {
      throw err ?? new UsageError(message);
    })
    .help()
    .alias('help', 'h')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .parseAsync();
  return config;
}

/** The one line a person reads when the first login fails, and the exit code that goes with it. */
export function describeStartError(err: unknown, config: ClientConfig): { message: string; code: number } {
  if (err instanceof ServerError) {
    if (err.code === 'auth_failed') return { message: `${config.address} refused the login: ${err.message} (use --password or CHAT_PASSWORD)`, code: EXIT.refused };
    const hint = err.code === 'name_taken' ? ' (choose another with --name)' : '';
    return { message: `${config.address} refused the name "${config.name}": ${err.message}${hint}`, code: EXIT.refused };
  }
  if (err instanceof ConnectionError && err.code === 'tls_failed') {
    const hint = /certificate|self[- ]signed|altnames|issuer/i.test(err.message)
      ? "the server's certificate is not trusted for this name: give its CA with --ca FILE"
      : 'is that port serving TLS?';
    return { message: `${err.message} (${hint})`, code: EXIT.connect };
  }
  if (err instanceof ConnectionError) return { message: err.message, code: EXIT.connect };
  return { message: `cannot connect to ${config.address}: ${(err as Error).message}`, code: EXIT.connect };
}

/** Exit once stdout and stderr have taken everything written to them. */
function exit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

export async function main(argv: string[]): Promise<void> {
  let config: ClientConfig | undefined;
  try {
    config = await parseClientArgs(argv, { CHAT_NAME: process.env['CHAT_NAME'], CHAT_PASSWORD: process.env['CHAT_PASSWORD'], login: loginName() });
  } catch (err) {
    process.stderr.write(`chat-client: ${(err as Error).message}\nTry "chat-client --help".\n`);
    return exit(EXIT.usage);
  }
  if (!config) return; // --help or --version was printed

  const app = new ChatApp({
    host: config.host,
    port: config.port,
    address: config.address,
    name: config.name,
    tls: config.tls,
    insecure: config.insecure,
    backoff: { baseMs: Math.min(DEFAULT_BACKOFF.baseMs, config.retryMaxMs), capMs: config.retryMaxMs },
    ...(config.password === undefined ? {} : { password: config.password }),
    ...(config.room === undefined ? {} : { room: config.room }),
    ...(config.ca === undefined ? {} : { ca: config.ca }),
  });
  try {
    await app.start();
  } catch (err) {
    const { message, code } = describeStartError(err, config);
    process.stderr.write(`chat-client: ${message}\n`);
    return exit(code);
  }

  const fullScreen = !config.line && process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (!fullScreen) {
    process.on('SIGTERM', () => app.quit());
    process.on('SIGINT', () => app.quit());
    return exit(await runLineMode(app, process.stdin, process.stdout));
  }
  const { runTui } = await import('./tui/tui.js');
  return exit(await runTui(app, { input: process.stdin, output: process.stdout, mouse: config.mouse, processHandlers: true }));
}
