/**
 * @module
 * Server configuration: one frozen object built at start-up (cli.ts fills it from flags and
 * environment). Durations are in milliseconds here; the CLI takes seconds.
 */
import os from 'node:os';
import { DEFAULT_MAX_ROOMS_PER_USER, DEFAULT_PORT, MAX_FRAME } from '../protocol/internal.js';
import { DEFAULT_THROTTLE, type ThrottleRules } from './login-throttle.js';
import { DEFAULT_SCRYPT, type ScryptParams } from './passwords.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface ServerConfig {
  host: string;
  /** Main port: framed and text mode, told apart by the first byte. 0 picks a free port. */
  port: number;
  /** Optional port that is text mode from the first byte and greets at once. */
  textPort?: number;
  /** Optional TLS port (needs tlsCert and tlsKey); same protocol as the main port. */
  tlsPort?: number;
  tlsCert?: string;
  tlsKey?: string;
  /** Optional port for GET /metrics and /healthz over HTTP (metrics.ts); off when unset. */
  metricsPort?: number;
  /** Address of the metrics port: loopback unless the operator says otherwise. */
  metricsHost: string;
  /** Server password, compared in constant time at `hello`. */
  password?: string;
  name: string;
  motd?: string;
  maxFrame: number;
  maxSendq: number;
  /** Messages per second per connection; 0 disables flood control. */
  rate: number;
  burst: number;
  pingInterval: number;
  pingTimeout: number;
  loginTimeout: number;
  /** Time allowed for a TLS handshake. */
  handshakeTimeout: number;
  maxClients: number;
  /** Rooms one user may be in at once (announced in welcome.limits). */
  maxRoomsPerUser: number;
  /** Rooms the server holds at most; creating one more is too_many_rooms. */
  maxRooms: number;
  /** Put the joiner's address in `joined` (off: version 2 keeps addresses from ordinary users). */
  showAddresses: boolean;
  /**
   * Connections per address group (an IPv4 address, an IPv6 /64) at most; 0 means no limit.
   * Refused connections are not counted.
   */
  maxConnsPerIp: number;
  /** Loopback clients (127.0.0.0/8, ::1) are exempt from maxConnsPerIp, as in Ergo. */
  exemptLoopback: boolean;
  /** Payload errors (bad frames, bad fields) tolerated per minute before the connection is closed. */
  maxPayloadErrors: number;
  /** Failed password attempts per address per minute before further attempts are refused. */
  maxAuthFailures: number;
  /** Where the store lives (the CLI opens `<dataDir>/framechat.sqlite`), relative to the cwd. */
  dataDir: string;
  /** false: memory only (`--no-store`), history from an in-memory ring. */
  store: boolean;
  /**
   * The SQLite store on a worker thread (`--store-thread`, sqlite-thread.ts), or in the event loop
   * (the default), with synchronous commits. Off by default: on 2 cores the thread competes with
   * everything else for CPU and measured slower (docs/PERFORMANCE.md, "The store on a thread").
   */
  storeThread: boolean;
  /** PostgreSQL connection string (`--database`): the store, instead of SQLite in dataDir. */
  database?: string;
  /** Redis URL (`--redis`): run as one node of a cluster (docs/CLUSTER.md); needs `database`. */
  redis?: string;
  /** This node's id in the cluster (`--node-id`); derived from the host name when not given. */
  nodeId?: string;
  /** Messages of a room's history sent on join. */
  historyOnJoin: number;
  /** Messages in one `history` page at most (announced in welcome.limits.historyLimit). */
  historyLimit: number;
  /** Messages older than this many days are pruned; 0 keeps them forever. */
  historyDays: number;
  /** Messages a room keeps at most, the oldest pruned first; 0 for no cap. */
  historyRoomCap: number;
  /** A cap on the database file in bytes (SQLite's max_page_count); 0 for none. */
  storeMaxBytes: number;
  logLevel: LogLevel;
  // ---- accounts ----
  /** `open`: any guest may `register` its name; `closed`: only the operator's CLI makes accounts. */
  registration: 'open' | 'closed';
  /** Refuse guest logins: every name must be an account (account_required). */
  requireAccount: boolean;
  /** scrypt parameters for new hashes (and the bar under which a login rehashes). */
  scrypt: ScryptParams;
  /** scrypt jobs running at once, server-wide. */
  hashConcurrency: number;
  /** scrypt jobs waiting at most; one more is refused with server_busy. */
  hashQueue: number;
  /** Failed password checks per address group and per account (login-throttle.ts). */
  loginThrottle: ThrottleRules;
  // ---- moderation ----
  /** Accounts that are operators (besides those the CLI marks in the store). */
  operators: string[];
}

export const DEFAULTS: ServerConfig = {
  host: '0.0.0.0',
  port: DEFAULT_PORT,
  metricsHost: '127.0.0.1',
  name: os.hostname(),
  maxFrame: MAX_FRAME,
  maxSendq: 1024 * 1024,
  rate: 20,
  burst: 40,
  pingInterval: 30_000,
  pingTimeout: 30_000,
  loginTimeout: 10_000,
  handshakeTimeout: 10_000,
  maxClients: 10_000,
  maxRoomsPerUser: DEFAULT_MAX_ROOMS_PER_USER,
  maxRooms: 10_000,
  showAddresses: false,
  maxConnsPerIp: 100,
  exemptLoopback: true,
  maxPayloadErrors: 10,
  maxAuthFailures: 5,
  dataDir: 'chat-data',
  store: true,
  storeThread: false,
  historyOnJoin: 50,
  historyLimit: 200,
  historyDays: 0,
  historyRoomCap: 0,
  storeMaxBytes: 0,
  logLevel: 'info',
  registration: 'open',
  requireAccount: false,
  scrypt: DEFAULT_SCRYPT,
  hashConcurrency: 2,
  hashQueue: 16,
  loginThrottle: DEFAULT_THROTTLE,
  operators: [],
};

export function makeConfig(overrides: Partial<ServerConfig> = {}): Readonly<ServerConfig> {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return Object.freeze({ ...DEFAULTS, ...defined });
}
