/**
 * @module
 * Context: what handlers and sessions may reach of the server. The server implements it; handlers
 * get state through Users and Rooms, send through the Session or the Fanout, and never see sockets.
 */
import type { ClientMessage, LeftReason } from '../protocol/index.js';
import type { ServerConfig } from './config.js';
import type { Fanout } from './fanout.js';
import type { Logger } from './log.js';
import type { Rooms } from './rooms.js';
import type { Session } from './session.js';
import type { Users } from './users.js';

export interface Context {
  readonly config: Readonly<ServerConfig>;
  readonly log: Logger;
  readonly users: Users<Session>;
  readonly rooms: Rooms<Session>;
  readonly fanout: Fanout;
  now(): number;
  /** Next id for a `message` or `private`: one sequence for the whole server. */
  nextId(): number;
  /** Validated message → command table (shared checks, then the handler). */
  run(session: Session, message: ClientMessage): void;
  /** Take a session out of the name map and its room, telling the room. Idempotent. */
  detach(session: Session, reason: LeftReason): void;
  /** Failed password attempts: true when `ip` may try again. */
  authAllowed(ip: string): boolean;
  authFailed(ip: string): void;
}
