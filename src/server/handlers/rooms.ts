/**
 * @module
 * Handlers for rooms and presence: join, look, rooms, who.
 */
import { foldName, type JoinMsg } from '../../protocol/index.js';
import type { Context } from '../context.js';
import { Packet } from '../packet.js';
import type { Session } from '../session.js';

export function join(ctx: Context, session: Session, m: JoinMsg): void {
  // Room names are case-insensitive; the folded form is the room's name, and a look-alike of a
  // room that exists is that room.
  const room = ctx.rooms.resolve(foldName(m.room));
  if (session.room === room) {
    look(ctx, session);
    return;
  }
  const old = ctx.rooms.join(session, room);
  const now = ctx.now();
  if (old !== undefined) {
    ctx.fanout.toRoom(old, new Packet({ type: 'left', ts: now, room: old, name: session.name!, reason: 'moved', clients: ctx.users.count }));
  }
  session.send({ type: 'room', room, users: ctx.rooms.names(room) });
  ctx.fanout.toRoom(room, new Packet({ type: 'joined', ts: now, room, name: session.name!, host: session.ip, clients: ctx.users.count }), session);
}

export function look(ctx: Context, session: Session): void {
  const room = session.room!;
  session.send({ type: 'room', room, users: ctx.rooms.names(room) });
}

export function rooms(ctx: Context, session: Session): void {
  session.send({ type: 'rooms', rooms: ctx.rooms.list() });
}

export function who(ctx: Context, session: Session): void {
  session.send({ type: 'users', users: ctx.users.names(), clients: ctx.users.count });
}
