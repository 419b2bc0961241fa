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
  type JoinedMsg,
  type WelcomeMsg,
  MAX_TEXT_BYTES,
  MAX_TOPIC_BYTES,
} from '../../protocol/internal.js';
import { addressGroup } from '../address.js';
import type { Context } from '../context.js';
import { Packet } from '../packet.js';
import type { Answer } from '../commands.js';
import type { Session, User } from '../session.js';
import { SOFTWARE, VERSION } from '../version.js';
import { sendJoinHistory } from './history.js';
import { bannedText } from './moderation.js';
import { checkRoomLimits, restoreTopic, roomBanOf, roomOf, roomState } from './rooms.js';

/**
 * Constant-time password check: both sides are hashed to 32 bytes first, so neither the
 * comparison nor an early length mismatch reveals anything about the password.
 */
export function passwordMatches(expected: string, given: string | undefined): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256')
    .update(given ?? '', 'utf8')
    .digest();
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
      session.close('disconnect', {
        type: 'error',
        code: 'auth_failed',
        message: 'Too many failed passwords from your address; try again later.',
        ref: 'hello',
      });
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
    session.close('disconnect', {
      type: 'error',
      code: 'server_full',
      message: `The server is full (${ctx.config.maxClients} users).`,
      ref: 'hello',
    });
    return;
  }
  if (m.rooms !== undefined && new Set(m.rooms.map((r) => roomOf(ctx, r))).size > ctx.config.maxRoomsPerUser) {
    throw new ProtocolError(
      'too_many_rooms',
      `hello names more than ${ctx.config.maxRoomsPerUser} rooms, the most one user may be in.`,
      'hello',
    );
  }
  // The account check reads the store (and may hash): the session reads no more input meanwhile.
  return loginAccount(ctx, session, m).then(async (account) => {
    if (!session.active) return;
    if (await refusedBanned(ctx, session, m.name, account)) return;
    const claimed = await ctx.claims.claim(m.name, session.id);
    return enter(ctx, session, m, claimed, account);
  });
}

/**
 * Which account `hello` logs in to: undefined for a guest. A registered name (or a look-alike of
 * one) without the right password is refused; so is a guest on a server that requires accounts.
 */
async function loginAccount(ctx: Context, session: Session, m: HelloMsg): Promise<string | undefined> {
  const account = await ctx.accounts.find(m.name);
  if (account === undefined) {
    if (m.auth !== undefined) throw new ProtocolError('login_failed', `There is no account "${m.name}".`, 'hello');
    if (ctx.config.requireAccount)
      throw new ProtocolError(
        'account_required',
        'This server admits accounts only: log in with a registered name and its password.',
        'hello',
      );
    return undefined;
  }
  if (foldName(account.name) !== foldName(m.name))
    throw new ProtocolError('name_reserved', `The name "${m.name}" looks like the registered name "${account.name}".`, 'hello');
  if (m.auth === undefined)
    throw new ProtocolError('name_reserved', `The name "${account.name}" is registered; log in with its password.`, 'hello');
  await ctx.accounts.check(account, addressGroup(session.ip), m.auth.password, 'hello');
  return account.name;
}

/**
 * A server ban on the name, the account or the address: `banned` (with the reason and its end),
 * and the connection is closed. Operators are never held out by a ban (another operator's address
 * ban of a shared network, say).
 */
async function refusedBanned(ctx: Context, session: Session, name: string, account: string | undefined): Promise<boolean> {
  if (await ctx.moderation.isOperator(account)) return false;
  const ban = await ctx.moderation.serverBan(name, account, addressGroup(session.ip));
  if (ban === undefined || !session.active) return false;
  ctx.log.info('banned', { id: session.id, name, account, addr: session.address, kind: ban.kind, target: ban.target, until: ban.until });
  session.close('disconnect', { type: 'error', code: 'banned', message: bannedText(ban), ref: 'hello' });
  return true;
}

/** name_reserved when `name` is (or looks like) an account other than the one `user` is logged in to. */
async function checkReserved(ctx: Context, user: User, name: string, ref: string): Promise<void> {
  const account = await ctx.accounts.find(name);
  if (account === undefined) return;
  if (user.account !== undefined && foldName(user.account) === foldName(account.name)) return;
  throw new ProtocolError(
    'name_reserved',
    foldName(account.name) === foldName(name)
      ? `The name "${account.name}" is registered.`
      : `The name "${name}" looks like the registered name "${account.name}".`,
    ref,
  );
}

/** The rest of hello, once the name claim has been answered. */
async function enter(ctx: Context, session: Session, m: HelloMsg, claimed: boolean, account: string | undefined): Promise<void> {
  if (!session.active) {
    if (claimed) ctx.claims.release(m.name, session.id);
    return;
  }
  if (!claimed || !ctx.users.add(session, m.name)) {
    if (claimed) ctx.claims.release(m.name, session.id);
    throw nameTaken(ctx, session, m.name, 'hello');
  }
  session.setAccount(account);
  // What others say in its rooms comes after the welcome and the history (Session.hold).
  session.hold();
  try {
    await enterRooms(ctx, session, m, account);
  } finally {
    session.release();
  }
}

async function enterRooms(ctx: Context, session: Session, m: HelloMsg, account: string | undefined): Promise<void> {
  // Every room first, so that each room's list has the newcomer; then the welcome; then the news.
  const entered: string[] = [];
  /** Rooms this login made: their topics come from the store. */
  const made: string[] = [];
  const refused: ProtocolError[] = [];
  for (const room of m.rooms ?? [MAIN_ROOM]) {
    const where = roomOf(ctx, room);
    if (session.membership.has(where)) continue;
    try {
      checkRoomLimits(ctx, session, where);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      refused.push(err);
      continue;
    }
    const ban = await roomBanOf(ctx, session, where);
    if (ban !== undefined) {
      refused.push(new ProtocolError('banned', bannedText(ban), 'join'));
      continue;
    }
    const fresh = !ctx.directory.hasRoom(where);
    ctx.rooms.join(session, where);
    entered.push(where);
    if (fresh) made.push(where);
  }
  for (const room of made) await restoreTopic(ctx, room);
  for (const room of made) await ctx.moderation.founded(room, account);
  const operator = await ctx.moderation.isOperator(account);
  if (!session.active) return;
  const welcome: WelcomeMsg = {
    type: 'welcome',
    protocol: PROTOCOL_VERSION,
    server: ctx.config.name,
    version: VERSION,
    software: SOFTWARE,
    you: m.name,
    address: session.address,
    rooms: entered.map((room) => roomState(ctx, room)),
    clients: ctx.directory.clients,
    maxFrame: ctx.config.maxFrame,
    limits: { maxRooms: ctx.config.maxRoomsPerUser, historyLimit: ctx.config.historyLimit, text: MAX_TEXT_BYTES, topic: MAX_TOPIC_BYTES },
  };
  if (ctx.config.motd !== undefined) welcome.motd = ctx.config.motd;
  if (account !== undefined) welcome.account = account;
  if (operator) welcome.operator = true;
  session.send(welcome);
  // A room the server could not make (its room limit) is refused after the welcome, as a join would be.
  for (const err of refused) session.sendError(err.code, err.message, 'join');
  const ts = ctx.now();
  for (const room of entered) {
    const joined: JoinedMsg = { type: 'joined', ts, room, name: m.name, clients: ctx.directory.clients };
    if (ctx.config.showAddresses) joined.host = session.ip;
    ctx.fanout.toRoom(room, new Packet(joined), session.id);
  }
  ctx.log.info('login', {
    id: session.id,
    name: m.name,
    addr: session.address,
    mode: session.mode,
    account,
    client: m.client,
    clients: ctx.directory.clients,
  });
  for (const room of entered) await sendJoinHistory(ctx, session, room, sinceFor(m, room));
}

/** The `since` hello gave for `room`, looked up as the client spelled it or folded. */
function sinceFor(m: HelloMsg, room: string): number | undefined {
  if (m.since === undefined) return undefined;
  for (const [r, id] of Object.entries(m.since)) if (foldName(r) === room) return id;
  return undefined;
}

export function nick(ctx: Context, user: User, m: NickMsg): Answer {
  const from = user.name;
  if (from === m.name) {
    user.send({ type: 'renamed', ts: ctx.now(), from, to: from });
    return;
  }
  // A registered name is its account's: the store is read first, the session waits meanwhile.
  return checkReserved(ctx, user, m.name, 'nick').then(async () => {
    if (!user.active) return;
    const ban = (await ctx.moderation.isOperator(user.account)) ? undefined : await ctx.moderation.serverBan(m.name, undefined, '');
    if (ban !== undefined) throw new ProtocolError('banned', `The name "${m.name}" is banned from this server.`, 'nick');
    const moved = await ctx.claims.move(from, m.name, user.id);
    rename(ctx, user, from, m, moved);
  });
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
  ctx.moderation.renamed(from, m.name);
  const renamed: RenamedMsg = { type: 'renamed', ts: ctx.now(), from, to: m.name };
  // Everyone who shares a room with the user hears of it, and the user (labelled, if asked).
  ctx.fanout.toRooms(user.membership.rooms, new Packet(renamed), user.id);
  user.send(renamed);
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
