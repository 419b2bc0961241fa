/**
 * @module
 * Handlers that carry chat: say (and /me) to the room, msg to one user.
 */
import { foldName, ProtocolError, type MessageMsg, type PrivateMsg, type PrivateMsgMsg, type SayMsg } from '../../protocol/internal.js';
import type { Context } from '../context.js';
import { Packet } from '../packet.js';
import type { User } from '../session.js';
import { untilText } from '../moderation.js';
import { roomOf } from './rooms.js';

/** The room a `say` goes to: the one it names, or the user's only room. */
function sayRoom(ctx: Context, user: User, m: SayMsg): string {
  if (m.room !== undefined) {
    const room = roomOf(ctx, m.room);
    if (!user.membership.has(room)) throw new ProtocolError('not_in_room', `You are not in ${room}; join it first.`, 'say');
    return room;
  }
  const only = user.membership.only;
  if (only !== undefined) return only;
  if (user.membership.size === 0) throw new ProtocolError('not_in_room', 'You are in no room; join one first.', 'say');
  throw new ProtocolError('bad_request', 'You are in several rooms: say which (say needs "room").', 'say');
}

export function say(ctx: Context, user: User, m: SayMsg): void {
  const room = sayRoom(ctx, user, m);
  const muted = ctx.moderation.mutedUntil(room, user.name);
  if (muted !== undefined) throw new ProtocolError('muted', `You are muted in ${room} ${untilText(muted)}.`, 'say');
  const message: MessageMsg = { type: 'message', id: ctx.ids.next(), ts: ctx.now(), room, from: user.name, text: m.text };
  if (m.action) message.action = true;
  ctx.archive.record(message);
  if (m.label === undefined) {
    ctx.fanout.toRoom(room, new Packet(message));
    return;
  }
  // Only the sender's copy carries the label: the others share one encoding without it.
  ctx.fanout.toRoom(room, new Packet(message), user.id);
  user.send(message);
}

export function msg(ctx: Context, user: User, m: PrivateMsgMsg): void {
  const to = ctx.directory.user(m.to);
  if (to === undefined) throw new ProtocolError('no_such_user', `No user named "${m.to}" is online.`, 'msg');
  const message: PrivateMsg = { type: 'private', id: ctx.ids.next(), ts: ctx.now(), from: user.name, to, text: m.text };
  // Kept for the accounts of both sides (a guest side reads none of it back).
  ctx.archive.record(message, { from: user.account, to: ctx.users.get(to)?.account });
  const toSelf = foldName(to) === foldName(user.name);
  // One copy each, the same id; a message to oneself arrives once. Only the sender's is labelled.
  const packet = new Packet(message);
  if (!toSelf) ctx.fanout.toUser(to, packet);
  if (m.label === undefined) user.deliver(packet);
  else user.send(message);
}
