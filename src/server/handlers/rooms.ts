/**
 * @module
 * Handlers for rooms and presence: join, look, rooms, who.
 */
import { foldName, type JoinMsg } from '../../protocol/index.js';
import type { Context } from '../context.js';
import { Packet } from '../packet.js';
import type { User } from '../session.js';

export function join(ctx: Context, user: User, m: JoinMsg): void {
  // Room names are case-insensitive; the folded form is the room's name, and a look-alike of a
  // room that exists is that room.
  const room = ctx.rooms.resolve(foldName(m.room));
  if (user.membership.has(room)) {
    look(ctx, user);
    return;
  }
  const now = ctx.now();
  // Protocol version 1: a user is in one room, so joining moves.
  for (const old of ctx.rooms.leaveAll(user)) {
    ctx.fanout.toRoom(old, new Packet({ type: 'left', ts: now, room: old, name: user.name, reason: 'moved', clients: ctx.directory.clients }));
  }
  ctx.rooms.join(user, room);
  user.send({ type: 'room', room, users: ctx.directory.roomUsers(room) });
  ctx.fanout.toRoom(room, new Packet({ type: 'joined', ts: now, room, name: user.name, host: user.ip, clients: ctx.directory.clients }), user.id);
}

export function look(ctx: Context, user: User): void {
  for (const room of user.membership.rooms) user.send({ type: 'room', room, users: ctx.directory.roomUsers(room) });
}

export function rooms(ctx: Context, user: User): void {
  user.send({ type: 'rooms', rooms: ctx.directory.rooms() });
}

export function who(ctx: Context, user: User): void {
  user.send({ type: 'users', users: ctx.directory.users(), clients: ctx.directory.clients });
}
