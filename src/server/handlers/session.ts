/**
 * @module
 * Handlers for the session's own life: hello (login), nick, logout, ping, pong.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  MAIN_ROOM,
  PROTOCOL_VERSION,
  ProtocolError,
  foldName,
  type HelloMsg,
  type LogoutMsg,
  type NickMsg,
  type PingMsg,
  type RenamedMsg,
} from '../../protocol/index.js';
import type { Context } from '../context.js';
import { Packet } from '../packet.js';
import type { Answer } from '../commands.js';
import type { Session, User } from '../session.js';
import { SOFTWARE } from '../version.js';

/**
 * Constant-time password check: both sides are hashed to 32 bytes first, so neither the
 * comparison nor an early length mismatch reveals anything about the password.
 */
export function passwordMatches(expected: string, given: string | undefined): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(given ?? '', 'utf8').digest();
  return timingSafeEqual(a, b) && given !== undefined;
}

/** name_taken, saying whose name it clashes with unless that differs from `name` in case only. */
function nameTaken(ctx: Context, session: Session, name: string, ref: string): ProtocolError {
  const other = ctx.users.holder(name, session)?.identity.name;
  const message =
    other === undefined || other.toLowerCase() === name.toLowerCase()
      ? `The name "${name}" is taken.`
      : `The name "${name}" is taken: it looks like "${other}", who is online.`;
  return new ProtocolError('name_taken', message, ref);
}

export function hello(ctx: Context, session: Session, m: HelloMsg): Answer {
  if (session.loggedIn) throw new ProtocolError('already_logged_in', `You are already logged in as ${session.name}.`, 'hello');
  if (ctx.config.password !== undefined) {
    if (!ctx.authAllowed(session.ip)) {
      ctx.log.info('auth_blocked', { id: session.id, addr: session.address });
      session.close('disconnect', { type: 'error', code: 'auth_failed', message: 'Too many failed passwords from your address; try again later.', ref: 'hello' });
      return;
    }
    if (!passwordMatches(ctx.config.password, m.password)) {
      ctx.authFailed(session.ip);
      ctx.log.info('auth_failed', { id: session.id, addr: session.address, name: m.name });
      session.close('disconnect', { type: 'error', code: 'auth_failed', message: 'Wrong server password.', ref: 'hello' });
      return;
    }
  }
  if (ctx.directory.clients >= ctx.config.maxClients) {
    ctx.log.info('server_full', { id: session.id, addr: session.address });
    session.close('disconnect', { type: 'error', code: 'server_full', message: `The server is full (${ctx.config.maxClients} users).`, ref: 'hello' });
    return;
  }
  const claimed = ctx.claims.claim(m.name, session.id);
  if (claimed instanceof Promise) return claimed.then((ok) => enter(ctx, session, m, ok));
  enter(ctx, session, m, claimed);
}

/** The rest of hello, once the name claim has been answered. */
function enter(ctx: Context, session: Session, m: HelloMsg, claimed: boolean): void {
  if (!session.active) {
    if (claimed) ctx.claims.release(m.name, session.id);
    return;
  }
  if (!claimed || !ctx.users.add(session, m.name)) {
    if (claimed) ctx.claims.release(m.name, session.id);
    throw nameTaken(ctx, session, m.name, 'hello');
  }
  ctx.rooms.join(session, MAIN_ROOM);
  const welcome = {
    type: 'welcome' as const,
    server: ctx.config.name,
    version: PROTOCOL_VERSION,
    software: SOFTWARE,
    you: m.name,
    address: session.address,
    room: MAIN_ROOM,
    users: ctx.directory.roomUsers(MAIN_ROOM),
    clients: ctx.directory.clients,
    maxFrame: ctx.config.maxFrame,
  };
  session.send(ctx.config.motd === undefined ? welcome : { ...welcome, motd: ctx.config.motd });
  ctx.fanout.toRoom(
    MAIN_ROOM,
    new Packet({ type: 'joined', ts: ctx.now(), room: MAIN_ROOM, name: m.name, host: session.ip, clients: ctx.directory.clients }),
    session.id,
  );
  ctx.log.info('login', { id: session.id, name: m.name, addr: session.address, mode: session.mode, client: m.client, clients: ctx.directory.clients });
}

export function nick(ctx: Context, user: User, m: NickMsg): Answer {
  const from = user.name;
  if (from === m.name) {
    user.send({ type: 'renamed', ts: ctx.now(), from, to: from });
    return;
  }
  const moved = ctx.claims.move(from, m.name, user.id);
  if (moved instanceof Promise) return moved.then((ok) => rename(ctx, user, from, m, ok));
  rename(ctx, user, from, m, moved);
}

/** The rest of nick, once the claim has moved (or not). */
function rename(ctx: Context, user: User, from: string, m: NickMsg, moved: boolean): void {
  if (!user.active) {
    if (moved) ctx.claims.release(m.name, user.id);
    return;
  }
  if (!moved || !ctx.users.rename(user, m.name)) {
    if (moved) void ctx.claims.move(m.name, from, user.id);
    throw nameTaken(ctx, user, m.name, 'nick');
  }
  ctx.rooms.renamed(user, from);
  const renamed: RenamedMsg = { type: 'renamed', ts: ctx.now(), from, to: m.name };
  if (m.label === undefined) ctx.fanout.toAll(new Packet(renamed));
  else {
    ctx.fanout.toAll(new Packet(renamed), user.id);
    user.send(renamed);
  }
  ctx.log.info('nick', { id: user.id, from, to: m.name, same: foldName(from) === foldName(m.name) });
}

export function logout(ctx: Context, session: Session, m: LogoutMsg): void {
  ctx.log.info('logout', { id: session.id, name: session.name, addr: session.address, reason: m.reason });
  session.close('logout', { type: 'bye', reason: 'logout' });
}

export function ping(_ctx: Context, session: Session, m: PingMsg): void {
  session.send(m.token === undefined ? { type: 'pong' } : { type: 'pong', token: m.token });
}

/** Any input counts as a sign of life (the session notes it); a pong needs nothing more. */
export function pong(): void {}
