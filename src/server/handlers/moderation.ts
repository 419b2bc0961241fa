/**
 * @module
 * Handlers for moderation: kick, ban, unban, bans, mute, unmute. Rights come from Moderation
 * (operators everywhere, a founder in their room); bans are written to the store before anyone is
 * kicked, so a ban that is answered is durable. Every action is logged with who did what to whom.
 * In a cluster, kicks, bans and mutes reach every node through Moderation's relay; applyKick and
 * applyBan are what a node does with one relayed to it.
 */
import {
  MAX_BANS_LISTED,
  ProtocolError,
  foldName,
  type BanEntry,
  type BanMsg,
  type BansMsg,
  type KickMsg,
  type LeftMsg,
  type ModeratedMsg,
  type MuteMsg,
  type UnbanMsg,
  type UnmuteMsg,
} from '../../protocol/internal.js';
import { addressGroup } from '../address.js';
import type { Context } from '../context.js';
import { untilText, type KickOrder } from '../moderation.js';
import { Packet } from '../packet.js';
import type { Session, User } from '../session.js';
import type { Ban } from '../store/store.js';
import { roomOf } from './rooms.js';

/** The account acting: rights need one (Moderation.require refuses a guest). */
function actor(user: User): string {
  return user.account ?? user.name;
}

/** Take `target` out of `room`: left{kicked} to the room and to them. */
export function kickFromRoom(ctx: Context, target: Session, room: string, by: string, reason: string | undefined): void {
  const name = target.name!;
  if (!ctx.rooms.part(target, room)) return;
  const left: LeftMsg = { type: 'left', ts: ctx.now(), room, name, reason: 'kicked', by, clients: ctx.directory.clients };
  if (reason !== undefined) left.text = reason;
  ctx.fanout.toRoom(room, new Packet(left));
  // Their own copy apart: a shared packet's text is cached as others read it ("bob was kicked").
  target.deliver(new Packet(left));
}

/** Disconnect `target`: left{kicked} to each of its rooms, bye{reason:"kicked"} to it. */
export function kickFromServer(ctx: Context, target: Session, by: string, why: string): void {
  const name = target.name!;
  const ts = ctx.now();
  for (const room of ctx.rooms.leaveAll(target)) {
    const left: LeftMsg = { type: 'left', ts, room, name, reason: 'kicked', by, text: why, clients: ctx.directory.clients };
    ctx.fanout.toRoom(room, new Packet(left));
  }
  target.close('kicked', { type: 'bye', reason: 'kicked', text: why });
}

function kickedText(by: string, reason: string | undefined): string {
  return reason === undefined ? `Kicked by ${by}.` : `Kicked by ${by}: ${reason}`;
}

export async function kick(ctx: Context, user: User, m: KickMsg): Promise<void> {
  const room = m.room === undefined ? undefined : roomOf(ctx, m.room);
  await ctx.moderation.require(user.account, room, 'kick');
  if (!user.active) return;
  const by = actor(user);
  const local = ctx.users.get(m.name);
  if (local === undefined || local.name === undefined) return kickElsewhere(ctx, user, m, room, by);
  const target = local;
  if (room !== undefined) {
    if (!target.membership.has(room)) throw new ProtocolError('not_in_room', `${target.name} is not in ${room}.`, 'kick');
    kickFromRoom(ctx, target, room, by, m.reason);
  } else {
    kickFromServer(ctx, target, by, kickedText(by, m.reason));
  }
  ctx.log.info('kick', { by, target: target.name, account: target.account, addr: target.address, room, reason: m.reason });
  user.send(moderated('kick', { name: target.name!, room, reason: m.reason }));
}

/** A kick of a user on another node (the directory knows who is where): that node kicks them. */
async function kickElsewhere(ctx: Context, user: User, m: KickMsg, room: string | undefined, by: string): Promise<void> {
  const name = ctx.directory.user(m.name);
  const relay = ctx.moderation.relay;
  if (name === undefined || relay === undefined) throw new ProtocolError('no_such_user', `No user named "${m.name}" is online.`, 'kick');
  if (room !== undefined && !ctx.directory.roomUsers(room).some((n) => foldName(n) === foldName(name)))
    throw new ProtocolError('not_in_room', `${name} is not in ${room}.`, 'kick');
  await relay.kick({ name, by, ...(room === undefined ? {} : { room }), ...(m.reason === undefined ? {} : { reason: m.reason }) });
  ctx.log.info('kick', { by, target: name, room, reason: m.reason, remote: true });
  if (user.active) user.send(moderated('kick', { name, room, reason: m.reason }));
}

/** A kick another node relayed: done here if this node holds the user (still in that room). */
export function applyKick(ctx: Context, order: KickOrder): boolean {
  const target = ctx.users.get(order.name);
  if (target === undefined || target.name === undefined) return false;
  if (order.room === undefined) kickFromServer(ctx, target, order.by, kickedText(order.by, order.reason));
  else if (target.membership.has(order.room)) kickFromRoom(ctx, target, order.room, order.by, order.reason);
  else return false;
  ctx.log.info('kick', {
    by: order.by,
    target: target.name,
    account: target.account,
    addr: target.address,
    room: order.room,
    reason: order.reason,
    relayed: true,
  });
  return true;
}

/** Remove whoever `entry` matches here, as a ban does (not `except`, the one banning); how many. */
export function applyBan(ctx: Context, entry: Ban, except?: Session): number {
  const room = entry.room;
  const online = room === undefined ? [...ctx.users.all()] : [...ctx.rooms.members(room)];
  let kicked = 0;
  for (const session of online) {
    if (session === except || !matches(entry, session)) continue;
    kicked++;
    if (room === undefined) kickFromServer(ctx, session, entry.by, bannedText(entry));
    else kickFromRoom(ctx, session, room, entry.by, entry.reason);
  }
  return kicked;
}

function moderated(action: ModeratedMsg['action'], fields: Omit<ModeratedMsg, 'type' | 'action'>): ModeratedMsg {
  const out: ModeratedMsg = { type: 'moderated', action };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
  return out;
}

/** The stored target of a ban request: a name as given, or the address's group. */
function banKey(m: BanMsg | UnbanMsg): { kind: Ban['kind']; target: string } {
  return m.name !== undefined ? { kind: 'name', target: m.name } : { kind: 'address', target: addressGroup(m.address!) };
}

/** Does `ban` match this online session (its name, its account, its address group)? */
function matches(ban: Pick<Ban, 'kind' | 'target'>, session: Session): boolean {
  if (ban.kind === 'address') return addressGroup(session.ip) === ban.target;
  const key = foldName(ban.target);
  return foldName(session.name ?? '') === key || (session.account !== undefined && foldName(session.account) === key);
}

export function bannedText(ban: Ban): string {
  const where = ban.room === undefined ? 'this server' : ban.room;
  return `You are banned from ${where} ${untilText(ban.until)}${ban.reason === undefined ? '.' : `: ${ban.reason}`}`;
}

export async function ban(ctx: Context, user: User, m: BanMsg): Promise<void> {
  const room = m.room === undefined ? undefined : roomOf(ctx, m.room);
  await ctx.moderation.require(user.account, room, 'ban');
  const now = ctx.now();
  const by = actor(user);
  const { kind, target } = banKey(m);
  const entry: Ban = { kind, target, by, ts: now };
  if (room !== undefined) entry.room = room;
  if (m.reason !== undefined) entry.reason = m.reason;
  if (m.duration !== undefined) entry.until = now + m.duration * 1000;
  await ctx.archive.store.addBan(entry);
  if (!user.active) return;
  // Whoever the ban matches goes now, on every node (not the one banning: an address ban of one's
  // own network); new logins and joins anywhere read the ban from the store.
  const elsewhere = ctx.moderation.relay?.ban(entry);
  let kicked = applyBan(ctx, entry, user);
  if (elsewhere !== undefined) kicked += await elsewhere;
  if (!user.active) return;
  ctx.log.info('ban', { by, kind, target, room, until: entry.until, reason: m.reason, kicked });
  user.send(
    moderated('ban', { ...(kind === 'name' ? { name: target } : { address: target }), room, until: entry.until, reason: m.reason, kicked }),
  );
}

export async function unban(ctx: Context, user: User, m: UnbanMsg): Promise<void> {
  const room = m.room === undefined ? undefined : roomOf(ctx, m.room);
  await ctx.moderation.require(user.account, room, 'unban');
  const { kind, target } = banKey(m);
  if (!(await ctx.archive.store.removeBan(kind, target, room, ctx.now())))
    throw new ProtocolError(
      'no_such_ban',
      `No ban of ${target}${room === undefined ? ' on this server' : ` in ${room}`} is in force.`,
      'unban',
    );
  ctx.log.info('unban', { by: actor(user), kind, target, room });
  if (user.active) user.send(moderated('unban', { ...(kind === 'name' ? { name: target } : { address: target }), room }));
}

export async function bans(ctx: Context, user: User, m: BansMsg): Promise<void> {
  const room = m.room === undefined ? undefined : roomOf(ctx, m.room);
  await ctx.moderation.require(user.account, room, 'bans', 'list bans');
  const list = await ctx.archive.store.listBans(room, ctx.now(), MAX_BANS_LISTED + 1);
  const entries = list.slice(0, MAX_BANS_LISTED).map((b): BanEntry => {
    const e: BanEntry = b.kind === 'name' ? { name: b.target, by: b.by, ts: b.ts } : { address: b.target, by: b.by, ts: b.ts };
    if (b.room !== undefined) e.room = b.room;
    if (b.reason !== undefined) e.reason = b.reason;
    if (b.until !== undefined) e.until = b.until;
    return e;
  });
  if (user.active)
    user.send(
      room === undefined
        ? { type: 'bans', bans: entries, more: list.length > MAX_BANS_LISTED }
        : { type: 'bans', room, bans: entries, more: list.length > MAX_BANS_LISTED },
    );
}

export async function mute(ctx: Context, user: User, m: MuteMsg): Promise<void> {
  const room = roomOf(ctx, m.room);
  await ctx.moderation.require(user.account, room, 'mute');
  const until = m.duration === undefined ? undefined : ctx.now() + m.duration * 1000;
  const by = actor(user);
  await ctx.moderation.mute(room, m.name, until, by);
  ctx.log.info('mute', { by, target: m.name, room, until });
  // Told wherever they are (another node too); not the one muting themselves.
  const target = ctx.directory.user(m.name);
  if (target !== undefined && foldName(target) !== foldName(user.name))
    ctx.fanout.toUser(target, new Packet({ type: 'notice', text: `${by} muted you in ${room} ${untilText(until)}.` }));
  if (user.active) user.send(moderated('mute', { name: m.name, room, until }));
}

export async function unmute(ctx: Context, user: User, m: UnmuteMsg): Promise<void> {
  const room = roomOf(ctx, m.room);
  await ctx.moderation.require(user.account, room, 'unmute');
  const was = await ctx.moderation.unmute(room, m.name);
  ctx.log.info('unmute', { by: actor(user), target: m.name, room, was });
  if (user.active) user.send(moderated('unmute', { name: m.name, room }));
}
