/**
 * @module
 * Context: what handlers and sessions may reach of the server. The server implements it.
 * Handlers read through the Directory, write local state through Users and Rooms (the only
 * writers of names and membership), take names through NameClaims, number messages with the
 * IdSource and send through the Session or the Fanout; they never see sockets. Each of Directory,
 * Fanout, IdSource and NameClaims has an in-process implementation and is where a cluster plugs
 * in (docs/ARCHITECTURE.md).
 */
import type { ClientMessage, LeftReason } from '../protocol/internal.js';
import type { Accounts } from './accounts.js';
import type { Archive } from './archive.js';
import type { NameClaims } from './claims.js';
import type { ServerConfig } from './config.js';
import type { Directory } from './directory.js';
import type { Fanout } from './fanout.js';
import type { IdSource } from './ids.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { Moderation } from './moderation.js';
import type { Rooms } from './rooms.js';
import type { Session } from './session.js';
import type { Users } from './users.js';

export interface Context {
  readonly config: Readonly<ServerConfig>;
  readonly log: Logger;
  readonly users: Users<Session>;
  readonly rooms: Rooms<Session>;
  readonly directory: Directory;
  readonly fanout: Fanout;
  readonly ids: IdSource;
  /** The store: handlers record what they deliver and read history through it. */
  readonly archive: Archive;
  readonly claims: NameClaims;
  /** Accounts: read from the store at every use, hashed through a bounded pool, throttled. */
  readonly accounts: Accounts;
  /** Counts sessions bump (one increment each; metrics.ts). */
  readonly metrics: Metrics;
  /** Operators, founders, bans (in the store) and mutes. */
  readonly moderation: Moderation;
  now(): number;
  /**
   * Validated message → command table (shared checks, then the handler). A promise means the
   * answer is not complete yet (a name claim in flight): the session reads no more of its
   * client's input until it settles.
   */
  run(session: Session, message: ClientMessage): void | Promise<void>;
  /** Take a session out of the name map and its rooms, telling the rooms. Idempotent. */
  detach(session: Session, reason: LeftReason): void;
  /** Failed password attempts: true when `ip` may try again. */
  authAllowed(ip: string): boolean;
  authFailed(ip: string): void;
}
