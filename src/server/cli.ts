/**
 * @module
 * `chat-server start`: flags and environment (CHAT_PORT, CHAT_PASSWORD, ...) → ServerConfig →
 * ChatServer.listen(). Signals → shutdown. Nothing else lives here.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DEFAULT_PORT, DEFAULT_TLS_PORT, isValidName, MAX_FRAME, MAX_FRAME_LIMIT } from '../protocol/internal.js';
import { CliError, runAccounts, type AccountAction } from './accounts-cli.js';
import { DEFAULTS, type LogLevel, type ServerConfig } from './config.js';
import { ChatServer } from './server.js';
import { MemoryStore } from './store/memory.js';
import { openSqliteStore } from './store/sqlite.js';
import { openThreadedSqliteStore } from './store/sqlite-thread.js';
import { openPostgresStore, type PostgresStore } from './store/postgres.js';
import { ClusterNode, deriveNodeId, isValidNodeId } from './cluster/node.js';
import { Logger } from './log.js';
import { StoreError, type Store } from './store/store.js';
import { VERSION } from './version.js';

const seconds = (ms: number): number => ms / 1000;

/** Numeric flags that must be a number >= 0. */
const NON_NEGATIVE_FLAGS = [
  'max-sendq',
  'rate',
  'burst',
  'ping-interval',
  'ping-timeout',
  'login-timeout',
  'handshake-timeout',
  'max-clients',
  'max-conns-per-ip',
  'history-on-join',
  'history-days',
  'history-room-cap',
  'store-max-bytes',
] as const;

/** The flags that take one value; yargs makes one given twice an array. */
const SINGLE_FLAGS = [
  'host',
  'port',
  'text-port',
  'tls-port',
  'tls-cert',
  'tls-key',
  'metrics-port',
  'metrics-host',
  'password',
  'password-file',
  'name',
  'motd',
  'max-frame',
  ...NON_NEGATIVE_FLAGS,
  'log-level',
  'data-dir',
  'history-limit',
  'registration',
  'redis',
  'database',
  'node-id',
  'operators',
] as const;

/** The text of a file a flag names; one that cannot be read is an error naming the flag. */
function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT'
        ? 'no such file'
        : e.code === 'EACCES' || e.code === 'EPERM'
          ? 'permission denied'
          : e.code === 'EISDIR'
            ? 'is a directory, not a file'
            : e.message;
    throw new Error(`--${flag} ${path}: ${why}`);
  }
}

/** A certificate and key that TLS accepts, or an error naming the flag at fault. */
function checkTlsFiles(certFile: string, cert: string, keyFile: string, key: string): void {
  try {
    new X509Certificate(cert);
  } catch {
    throw new Error(`--tls-cert ${certFile}: not a PEM certificate`);
  }
  try {
    createPrivateKey(key);
  } catch {
    throw new Error(`--tls-key ${keyFile}: not a PEM private key`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`--tls-cert ${certFile} and --tls-key ${keyFile} do not go together: ${(err as Error).message}`);
  }
}

/** Help at the terminal's width; piped, at $COLUMNS if set, else 80. Never wider than `max`. */
function helpWidth(max: number): number {
  const columns = process.stdout.isTTY ? process.stdout.columns : Number(process.env['COLUMNS']);
  return Math.min(max, Number.isInteger(columns) && columns > 0 ? columns : 80);
}

/** `chat-server accounts ACTION [NAME]`: the operator's account tool (accounts-cli.ts). */
export interface AccountsCommand {
  action: AccountAction;
  name: string | undefined;
  dataDir: string;
  /** For `oper`: on or off. */
  operOn?: boolean;
}

/** `--operators alice,bob` (or CHAT_OPERATORS): the names, NFC, empty entries dropped. */
function operatorList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((n) => n.trim().normalize('NFC'))
    .filter((n) => n !== '');
}

/** Parse argv into a config (pure apart from reading the files it names). Throws on bad input. */
export async function parseServerArgs(argv: string[]): Promise<ServerConfig | AccountsCommand | undefined> {
  let config: ServerConfig | AccountsCommand | undefined;
  await yargs(argv)
    .scriptName('chat-server')
    .env('CHAT')
    .version(VERSION)
    .strict()
    .command(
      ['start', '$0'],
      'start the chat server',
      (y) =>
        y
          .option('host', { type: 'string', default: DEFAULTS.host, describe: 'address to listen on (:: for IPv6 and IPv4)' })
          .option('port', {
            alias: 'p',
            type: 'number',
            default: DEFAULT_PORT,
            describe: 'port for framed and text clients (0 = any free port)',
          })
          .option('text-port', { type: 'number', describe: 'extra port that greets telnet users at once' })
          .option('tls-port', {
            type: 'number',
            describe: `TLS port (default ${DEFAULT_TLS_PORT} when --tls-cert and --tls-key are given)`,
          })
          .option('tls-cert', { type: 'string', describe: 'PEM certificate file for TLS' })
          .option('tls-key', { type: 'string', describe: 'PEM private key file for TLS' })
          .option('metrics-port', { type: 'number', describe: 'serve GET /metrics (Prometheus) and /healthz over HTTP on this port' })
          .option('metrics-host', { type: 'string', default: DEFAULTS.metricsHost, describe: 'address of the metrics port' })
          .option('password', { type: 'string', describe: 'server password required at login (prefer CHAT_PASSWORD or --password-file)' })
          .option('password-file', { type: 'string', describe: 'read the server password from this file' })
          .option('name', { type: 'string', default: DEFAULTS.name, describe: 'server name shown to clients' })
          .option('motd', { type: 'string', describe: 'message of the day, sent at login' })
          .option('max-frame', { type: 'number', default: MAX_FRAME, describe: 'largest frame a client may send, in bytes' })
          .option('max-sendq', {
            type: 'number',
            default: DEFAULTS.maxSendq,
            describe: 'unsent bytes held per client before it is dropped',
          })
          .option('rate', { type: 'number', default: DEFAULTS.rate, describe: 'messages per second per connection (0 = no limit)' })
          .option('burst', { type: 'number', default: DEFAULTS.burst, describe: 'messages a connection may send at once' })
          .option('ping-interval', {
            type: 'number',
            default: seconds(DEFAULTS.pingInterval),
            describe: 'seconds of silence before the server pings',
          })
          .option('ping-timeout', {
            type: 'number',
            default: seconds(DEFAULTS.pingTimeout),
            describe: 'seconds to answer a ping before being dropped',
          })
          .option('login-timeout', {
            type: 'number',
            default: seconds(DEFAULTS.loginTimeout),
            describe: 'seconds a new connection has to log in',
          })
          .option('handshake-timeout', {
            type: 'number',
            default: seconds(DEFAULTS.handshakeTimeout),
            describe: 'seconds a TLS handshake may take',
          })
          .option('max-clients', { type: 'number', default: DEFAULTS.maxClients, describe: 'logged-in users at most' })
          .option('max-rooms-per-user', { type: 'number', default: DEFAULTS.maxRoomsPerUser, describe: 'rooms one user may be in at once' })
          .option('max-rooms', { type: 'number', default: DEFAULTS.maxRooms, describe: 'rooms the server holds at most' })
          .option('show-addresses', { type: 'boolean', default: false, describe: "show joiners' addresses in joined messages" })
          .option('max-conns-per-ip', {
            type: 'number',
            default: DEFAULTS.maxConnsPerIp,
            describe: 'connections per address (IPv6: per /64) at most (0 = no limit)',
          })
          .option('limit-loopback', {
            type: 'boolean',
            default: !DEFAULTS.exemptLoopback,
            describe: 'apply --max-conns-per-ip to 127.0.0.0/8 and ::1 too (exempt by default)',
          })
          .option('data-dir', {
            type: 'string',
            default: DEFAULTS.dataDir,
            describe: 'directory for the message store (created if missing)',
          })
          .option('store', { type: 'boolean', default: true, describe: 'keep history on disk (--no-store: memory only, lost at exit)' })
          .option('store-thread', {
            type: 'boolean',
            default: DEFAULTS.storeThread,
            describe: 'run the SQLite store on its own thread, off the event loop (experimental)',
          })
          .option('database', {
            type: 'string',
            describe: 'PostgreSQL connection string for the store (postgres://user@host/db; prefer CHAT_DATABASE)',
          })
          .option('redis', { type: 'string', describe: 'Redis URL: run as a node of a cluster (redis://host:port); needs --database' })
          .option('node-id', { type: 'string', describe: "this node's id in the cluster (default: host name and a random suffix)" })
          .option('history-on-join', { type: 'number', default: DEFAULTS.historyOnJoin, describe: 'messages of history sent on join' })
          .option('history-limit', { type: 'number', default: DEFAULTS.historyLimit, describe: 'messages in one history page at most' })
          .option('history-days', {
            type: 'number',
            default: DEFAULTS.historyDays,
            describe: 'delete messages older than this many days (0 = keep forever)',
          })
          .option('history-room-cap', {
            type: 'number',
            default: DEFAULTS.historyRoomCap,
            describe: 'messages a room keeps at most, oldest deleted first (0 = no cap)',
          })
          .option('store-max-bytes', {
            type: 'number',
            default: DEFAULTS.storeMaxBytes,
            describe: 'largest the database file may grow, in bytes; past it, as if the disk were full (0 = no limit)',
          })
          .option('log-level', {
            choices: ['error', 'warn', 'info', 'debug'] as const,
            default: DEFAULTS.logLevel,
            describe: 'log detail on stderr',
          })
          .option('registration', {
            choices: ['open', 'closed'] as const,
            default: DEFAULTS.registration,
            describe: 'open: users may register their names; closed: only "chat-server accounts add" makes accounts',
          })
          .option('require-account', {
            type: 'boolean',
            default: DEFAULTS.requireAccount,
            describe: 'refuse guests: every login needs an account and its password',
          })
          .option('operators', {
            type: 'string',
            describe: 'accounts that are operators, comma-separated (also "chat-server accounts oper NAME on")',
          })
          .check((a) => {
            for (const name of operatorList(a.operators))
              if (!isValidName(name)) throw new Error(`--operators: "${name}" is not a valid name`);
            for (const flag of SINGLE_FLAGS) {
              const v: unknown = a[flag];
              if (Array.isArray(v)) throw new Error(`--${flag} was given ${v.length === 2 ? 'twice' : `${v.length} times`}; give it once`);
            }
            for (const key of ['port', 'text-port', 'tls-port', 'metrics-port'] as const) {
              const v = a[key];
              if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 65535))
                throw new Error(`--${key} must be a port number (0-65535)`);
            }
            if (!Number.isInteger(a['max-frame']) || a['max-frame'] < 64 || a['max-frame'] > MAX_FRAME_LIMIT) {
              throw new Error(`--max-frame must be between 64 and ${MAX_FRAME_LIMIT}`);
            }
            for (const key of NON_NEGATIVE_FLAGS) {
              if (!Number.isFinite(a[key]) || a[key] < 0) throw new Error(`--${key} must be a number >= 0`);
            }
            for (const key of ['history-room-cap', 'store-max-bytes'] as const) {
              if (!Number.isInteger(a[key])) throw new Error(`--${key} must be a whole number >= 0`);
            }
            if (!Number.isInteger(a['history-on-join']) || a['history-on-join'] > a['history-limit'])
              throw new Error('--history-on-join must be a whole number no larger than --history-limit');
            if (!Number.isInteger(a['history-limit']) || a['history-limit'] < 1 || a['history-limit'] > 1000)
              throw new Error('--history-limit must be between 1 and 1000');
            if (a.redis !== undefined && !a.database)
              throw new Error('--redis needs --database: the nodes of a cluster share one PostgreSQL store');
            if (a.redis !== undefined && !/^rediss?:\/\/./.test(a.redis)) throw new Error('--redis must be a URL: redis://host:port');
            if (a.database !== undefined && !/^postgres(ql)?:\/\/./.test(a.database))
              throw new Error('--database must be a connection string: postgres://user@host:port/database');
            if (a['node-id'] !== undefined && !isValidNodeId(a['node-id']))
              throw new Error('--node-id is 1 to 64 letters, digits, ".", "_" or "-"');
            if (a['node-id'] !== undefined && a.redis === undefined) throw new Error('--node-id needs --redis');
            if (a['data-dir'] === '') throw new Error('--data-dir is empty; name a directory, or use --no-store');
            if (a['tls-port'] !== undefined && (!a['tls-cert'] || !a['tls-key']))
              throw new Error('--tls-port needs --tls-cert and --tls-key');
            if (!a['tls-cert'] !== !a['tls-key']) throw new Error('--tls-cert and --tls-key go together');
            return true;
          })
          // Each command on a line of its own, under its description as a shell comment: side by
          // side, yargs gives commands half the width and breaks long ones in the middle.
          .example(`# serve on 0.0.0.0:${DEFAULT_PORT}`, '')
          .example('chat-server start', '')
          .example('# another port, with a message of the day', '')
          .example('chat-server start --port 6000 --motd "be nice"', '')
          .example('# require a password', '')
          .example('CHAT_PASSWORD=s3cret chat-server start', '')
          .example(`# plain on ${DEFAULT_PORT} and TLS on ${DEFAULT_TLS_PORT}`, '')
          .example('chat-server start --tls-cert cert.pem --tls-key key.pem', ''),
      (a) => {
        const password =
          a['password-file'] !== undefined ? readFlagFile('password-file', a['password-file']).replace(/\r?\n$/, '') : a.password;
        // An empty password asked for is a mistake (an empty file, CHAT_PASSWORD=''), not a wish
        // for an open server: refuse to start rather than let everyone in.
        if (password === '') {
          throw new Error(
            a['password-file'] !== undefined
              ? `--password-file ${a['password-file']} is empty; put the password in it, or leave the option out for a server without one`
              : 'the password (--password or CHAT_PASSWORD) is empty; set one, or leave it out for a server without one',
          );
        }
        // A certificate means TLS: on --tls-port, else the default TLS port beside the plain one.
        const tlsWanted = a['tls-cert'] !== undefined;
        const tlsCert = tlsWanted && a['tls-cert'] ? readFlagFile('tls-cert', a['tls-cert']) : undefined;
        const tlsKey = tlsWanted && a['tls-key'] ? readFlagFile('tls-key', a['tls-key']) : undefined;
        if (tlsCert !== undefined && tlsKey !== undefined) checkTlsFiles(a['tls-cert']!, tlsCert, a['tls-key']!, tlsKey);
        config = {
          host: a.host,
          port: a.port,
          textPort: a['text-port'],
          tlsPort: tlsWanted ? (a['tls-port'] ?? DEFAULT_TLS_PORT) : undefined,
          tlsCert,
          tlsKey,
          metricsPort: a['metrics-port'],
          metricsHost: a['metrics-host'],
          password,
          name: a.name,
          motd: a.motd,
          maxFrame: a['max-frame'],
          maxSendq: a['max-sendq'],
          rate: a.rate,
          burst: a.burst,
          pingInterval: a['ping-interval'] * 1000,
          pingTimeout: a['ping-timeout'] * 1000,
          loginTimeout: a['login-timeout'] * 1000,
          handshakeTimeout: a['handshake-timeout'] * 1000,
          maxClients: a['max-clients'],
          maxRoomsPerUser: a['max-rooms-per-user'],
          maxRooms: a['max-rooms'],
          showAddresses: a['show-addresses'],
          maxConnsPerIp: a['max-conns-per-ip'],
          exemptLoopback: !a['limit-loopback'],
          dataDir: a['data-dir'],
          store: a.store,
          storeThread: a['store-thread'],
          database: a.database,
          redis: a.redis,
          nodeId: a['node-id'],
          historyOnJoin: a['history-on-join'],
          historyLimit: a['history-limit'],
          historyDays: a['history-days'],
          historyRoomCap: a['history-room-cap'],
          storeMaxBytes: a['store-max-bytes'],
          maxPayloadErrors: DEFAULTS.maxPayloadErrors,
          maxAuthFailures: DEFAULTS.maxAuthFailures,
          logLevel: a['log-level'] as LogLevel,
          registration: a.registration,
          requireAccount: a['require-account'],
          scrypt: DEFAULTS.scrypt,
          hashConcurrency: DEFAULTS.hashConcurrency,
          hashQueue: DEFAULTS.hashQueue,
          loginThrottle: DEFAULTS.loginThrottle,
          operators: operatorList(a.operators),
        };
      },
    )
    .command(
      'accounts <action> [name] [switch]',
      'add, remove, list accounts or set a password (works while the server runs)',
      (y) =>
        y
          .positional('action', { choices: ['add', 'remove', 'list', 'passwd', 'oper'] as const, describe: 'what to do' })
          .positional('name', { type: 'string', describe: 'the account name (not for list)' })
          .positional('switch', { choices: ['on', 'off'] as const, describe: 'for oper: make the account an operator, or not' })
          .option('data-dir', { type: 'string', default: DEFAULTS.dataDir, describe: "the server's data directory" })
          .example('# add an account; the password is asked for without echo (or read from a pipe)', '')
          .example('chat-server accounts add alice --data-dir /var/lib/framechat', '')
          .example('# make alice an operator', '')
          .example('chat-server accounts oper alice on', ''),
      (a) => {
        config = {
          action: a.action as AccountAction,
          name: a.name,
          dataDir: a['data-dir'],
          operOn: a.switch === undefined ? undefined : a.switch === 'on',
        };
      },
    )
    .fail((message, err) => {
      throw err ?? new Error(message);
    })
    .help()
    .alias('help', 'h')
    .wrap(helpWidth(110))
    .parseAsync();
  return config;
}

export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  let parsed: ServerConfig | AccountsCommand | undefined;
  try {
    parsed = await parseServerArgs(argv);
  } catch (err) {
    process.stderr.write(`chat-server: ${(err as Error).message}\nTry "chat-server --help".\n`);
    process.exit(2);
  }
  if (!parsed) return; // --help or --version was printed
  if ('action' in parsed) {
    const { action, name, dataDir, operOn } = parsed;
    try {
      await runAccounts(action, name, dataDir, (line) => process.stdout.write(`${line}\n`), operOn);
    } catch (err) {
      process.stderr.write(`chat-server accounts: ${(err as Error).message}\n`);
      process.exit(err instanceof CliError ? err.exitCode : 1);
    }
    return;
  }
  const config = parsed;
  let store: Store;
  let where: string;
  let cluster: ClusterNode | undefined;
  try {
    ({ store, where } = await openStore(config));
    if (config.redis !== undefined) {
      const node = config.nodeId ?? deriveNodeId();
      cluster = await ClusterNode.start({
        redis: config.redis,
        node,
        log: new Logger(config.logLevel),
        lastId: await (store as PostgresStore).lastId(),
        ids: { take: (floor, reserve) => (store as PostgresStore).takeId(floor, reserve) },
      }).catch((err: unknown) => {
        throw new Error(`--redis ${redact(config.redis!)}: cannot connect (${(err as Error).message})`);
      });
      where += `; cluster node ${node} on ${redact(config.redis)}`;
    }
  } catch (err) {
    // One line and a non-zero exit: a service manager restarting us would only fail the same way.
    process.stderr.write(`chat-server: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const server = new ChatServer(config, { store, ...(cluster ? { cluster } : {}) });
  process.on('uncaughtException', (err) => server.log.error('uncaught_exception', { error: String(err?.stack ?? err) }));
  process.on('unhandledRejection', (err) => server.log.error('unhandled_rejection', { error: String((err as Error)?.stack ?? err) }));
  // Before the listening line: whoever reads it may signal at once, and without a handler
  // SIGTERM would kill the process instead of shutting it down.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      process.stderr.write(`chat-server: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`chat-server: ${signal}, shutting down\n`);
    void server.shutdown().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  let info;
  try {
    info = await server.listen();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const where = `${(e as { address?: string }).address ?? config.host}:${(e as { port?: number }).port ?? config.port}`;
    const why =
      e.code === 'EADDRINUSE'
        ? `${where} is already in use (is another server running?)`
        : e.code === 'EACCES'
          ? `no permission to listen on ${where}`
          : e.code === 'EADDRNOTAVAIL'
            ? `${config.host} is not an address of this machine`
            : e.message;
    process.stderr.write(`chat-server: cannot listen: ${why}\n`);
    process.exit(1);
  }
  const extra = [
    info.textPort !== undefined ? `text port ${info.textPort}` : '',
    info.tlsPort !== undefined ? `TLS port ${info.tlsPort}` : '',
    info.metricsPort !== undefined ? `metrics on http://${formatHost(config.metricsHost)}:${info.metricsPort}/metrics` : '',
    config.password !== undefined ? 'password required' : '',
  ].filter(Boolean);
  process.stdout.write(`framechat ${VERSION} history: ${where}\n`);
  process.stdout.write(
    `framechat ${VERSION} listening on ${formatHost(info.host)}:${info.port}${extra.length ? ` (${extra.join(', ')})` : ''}\n`,
  );
}

/** A URL without its password, for log lines. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(bad URL)';
  }
}

/** The store the config asks for: PostgreSQL, SQLite in the data directory, or memory only. */
async function openStore(config: ServerConfig): Promise<{ store: Store; where: string }> {
  if (config.database !== undefined) {
    const store = await openPostgresStore(config.database);
    return { store, where: redact(config.database) };
  }
  if (!config.store) {
    // The ring is the memory store's retention: never more than the cap, nor than five pages.
    const ring = config.historyLimit * 5;
    const perRoom = config.historyRoomCap > 0 ? Math.min(config.historyRoomCap, ring) : ring;
    return { store: new MemoryStore({ perRoom }), where: 'in memory only (--no-store)' };
  }
  const file = path.join(config.dataDir, 'framechat.sqlite');
  try {
    mkdirSync(config.dataDir, { recursive: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new StoreError('unwritable', `--data-dir ${config.dataDir}: cannot create it (${e.code ?? e.message})`);
  }
  const options = {
    // SQLite's own checkpoint (every 1000 WAL pages, 100 in prune's commits: the store's
    // defaults); the worker (checkpoint.ts) made the commit tail worse here (PERFORMANCE.md).
    checkpoint: 'auto' as const,
    ...(config.storeMaxBytes > 0 ? { maxBytes: config.storeMaxBytes } : {}),
  };
  if (config.storeThread)
    return { store: await openThreadedSqliteStore(file, options), where: `${file} (on its own thread: --store-thread)` };
  return { store: openSqliteStore(file, options), where: file };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
