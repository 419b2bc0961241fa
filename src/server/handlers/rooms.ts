/**
 * @module
 * Handlers for rooms and presence (protocol version 2): join adds a room, part leaves one, topic
 * asks or sets, look, rooms, who. Room names fold to lower case, and a look-alike of an existing
 * room is that room (Rooms.resolve).
 */
import {
  foldName,
  ProtocolError,
  type JoinMsg,
  type JoinedMsg,
  type LookMsg,
  type PartMsg,
  type RoomMsg,
  type TopicMsg,
  type TopicRequestMsg,
} from '../../protocol/internal.js';
import { addressGroup } from '../address.js';
import type { Context } from '../context.js';
import type { Ban } from '../store/store.js';
import { bannedText } from './moderation.js';
import { Packet } from '../packet.js';
import type { Session, User } from '../session.js';
import { sendJoinHistory } from './history.js';

/** The room a request names, as the server calls it. */
export function roomOf(ctx: Context, room: string): string {
  return ctx.directory.resolve(foldName(room));
}

/** A member's view of `room`: what `room` answers and what `welcome.rooms` holds. */
export function roomState(ctx: Context, room: string): Omit<RoomMsg, 'type'> {
  return { room, topic: ctx.directory.topic(room).text, users: ctx.directory.roomUsers(room) };
}

/** Refuse a join that would pass the per-user or the server-wide room limit. */
export function checkRoomLimits(ctx: Context, session: Session, room: string): void {
  if (session.membership.size >= ctx.config.maxRoomsPerUser) {
    throw new ProtocolError(
      'too_many_rooms',
      `You are in ${session.membership.size} rooms, the most this server allows; part one first.`,
      'join',
    );
  }
  if (!ctx.directory.hasRoom(room) && ctx.directory.roomCount >= ctx.config.maxRooms) {
    throw new ProtocolError('too_many_rooms', `The server holds ${ctx.config.maxRooms} rooms, its limit; join one that exists.`, 'join');
  }
}

/** Put `user` in `room` and tell the room's other members. */
export function enterRoom(ctx: Context, user: User | Session, name: string, room: string, ts: number): void {
  ctx.rooms.join(user, room);
  const joined: JoinedMsg = { type: 'joined', ts, room, name, clients: ctx.directory.clients };
  if (ctx.config.showAddresses) joined.host = user.ip;
  ctx.fanout.toRoom(room, new Packet(joined), user.id);
}

/** A ban from `room` that holds `session` out (operators are never held out), or undefined. */
export async function roomBanOf(ctx: Context, session: Session, room: string): Promise<Ban | undefined> {
  if (await ctx.moderation.isOperator(session.account)) return undefined;
  return ctx.moderation.roomBan(room, session.name ?? '', session.account, addressGroup(session.ip));
}

export async function join(ctx: Context, user: User, m: JoinMsg): Promise<void> {
  // The room's lines and presence come after its `room` answer and history (Session.hold).
  user.hold();
  try {
    await joinHeld(ctx, user, m);
  } finally {
    user.release();
  }
}

async function joinHeld(ctx: Context, user: User, m: JoinMsg): Promise<void> {
  const room = roomOf(ctx, m.room);
  if (!user.membership.has(room)) {
    checkRoomLimits(ctx, user, room);
    const ban = await roomBanOf(ctx, user, room);
    if (ban !== undefined) throw new ProtocolError('banned', bannedText(ban), 'join');
    if (!user.active || user.membership.has(room)) return;
    checkRoomLimits(ctx, user, room);
    const fresh = !ctx.directory.hasRoom(room);
    enterRoom(ctx, user, user.name, room, ctx.now());
    if (fresh) await restoreTopic(ctx, room);
    if (fresh) await ctx.moderation.founded(room, user.account);
    if (!user.active) return;
  }
  user.send({ type: 'room', ...roomState(ctx, room) });
  await sendJoinHistory(ctx, user, room, m.since);
}

/** A room made anew takes its topic from the store: topics outlive their rooms' members. */
export async function restoreTopic(ctx: Context, room: string): Promise<void> {
  const topic = await ctx.archive.store.getTopic(room);
  // Set only if no one changed it while the store was read.
  if (topic !== undefined && ctx.rooms.topic(room).ts === 0) ctx.rooms.setTopic(room, topic);
}

export function part(ctx: Context, user: User, m: PartMsg): void {
  const room = roomOf(ctx, m.room);
  if (!ctx.rooms.part(user, room)) throw new ProtocolError('not_in_room', `You are not in ${room}.`, 'part');
  const left = { type: 'left' as const, ts: ctx.now(), room, name: user.name, reason: 'part' as const, clients: ctx.directory.clients };
  const message = m.reason === undefined ? left : { ...left, text: m.reason };
  ctx.fanout.toRoom(room, new Packet(message));
  user.send(message);
}

export function topic(ctx: Context, user: User, m: TopicRequestMsg): void | Promise<void> {
  const room = roomOf(ctx, m.room);
  if (m.text === undefined) {
    const current = ctx.directory.topic(room);
    user.send({ type: 'topic', room, text: current.text, by: current.by, ts: current.ts });
    return;
  }
  if (user.membership.has(room)) return setTopic(ctx, user, room, m);
  // Operators, and the founder, may set the topic of a room they are not in.
  return ctx.moderation.right(user.account, room).then((right) => {
    if (right === undefined) throw new ProtocolError('not_in_room', `Join ${room} to set its topic.`, 'topic');
    if (user.active) setTopic(ctx, user, room, m);
  });
}

function setTopic(ctx: Context, user: User, room: string, m: TopicRequestMsg & { text?: string }): void {
  const changed: TopicMsg = { type: 'topic', room, text: m.text ?? '', by: user.name, ts: ctx.now() };
  ctx.rooms.setTopic(room, { text: changed.text, by: changed.by, ts: changed.ts });
  ctx.archive.setTopic(room, changed.text, changed.by, changed.ts);
  // A member's copy comes with the room's; one set from outside (an operator) is sent on its own.
  if (m.label === undefined && user.membership.has(room)) ctx.fanout.toRoom(room, new Packet(changed));
  else {
    ctx.fanout.toRoom(room, new Packet(changed), user.id);
    user.send(changed);
  }
}

/** `look{room}` answers that room (any room: members are public); without `room`, each of yours. */
export function look(ctx: Context, user: User, m: LookMsg): void {
  const rooms = m.room === undefined ? [...user.membership.rooms] : [roomOf(ctx, m.room)];
  if (rooms.length === 0) throw new ProtocolError('not_in_room', 'You are in no room; name one: look #room.', 'look');
  for (const room of rooms) user.send({ type: 'room', ...roomState(ctx, room) });
}

export function rooms(ctx: Context, user: User): void {
  user.send({ type: 'rooms', rooms: ctx.directory.rooms() });
}

export function who(ctx: Context, user: User): void {
  user.send({ type: 'users', users: ctx.directory.users(), clients: ctx.directory.clients });
}
