/**
 * @module
 * Handlers that carry chat: say (and /me) to the room, msg to one user.
 */
import { ProtocolError, type MessageMsg, type PrivateMsg, type PrivateMsgMsg, type SayMsg } from '../../protocol/internal.js';
import type { Context } from '../context.js';
import type { Chat, PartyAccounts } from '../fanout.js';
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

/**
 * The Fanout numbers, records and delivers it; only the sender's copy carries the label (the
 * others share one encoding without it), sent once the message has its id.
 */
function post(ctx: Context, user: User, message: Chat, label: string | undefined, accounts?: PartyAccounts): void | Promise<void> {
  const posted = ctx.fanout.post(message, label === undefined ? undefined : user.id, accounts);
  if (label === undefined) return posted instanceof Promise ? posted.then(() => {}) : undefined;
  if (!(posted instanceof Promise)) return user.send(posted);
  // The Fanout sent the copy itself, in its place in the order (Fanout.post).
  return posted.then(() => {});
}

export function say(ctx: Context, user: User, m: SayMsg): void | Promise<void> {
  const room = sayRoom(ctx, user, m);
  const muted = ctx.moderation.mutedUntil(room, user.name);
  if (muted !== undefined) throw new ProtocolError('muted', `You are muted in ${room} ${untilText(muted)}.`, 'say');
  const message: MessageMsg = { type: 'message', id: 0, ts: ctx.now(), room, from: user.name, text: m.text };
  if (m.action) message.action = true;
  return post(ctx, user, message, m.label);
}

export function msg(ctx: Context, user: User, m: PrivateMsgMsg): void | Promise<void> {
  const to = ctx.directory.user(m.to);
  if (to === undefined) throw new ProtocolError('no_such_user', `No user named "${m.to}" is online.`, 'msg');
  // One copy each, the same id; a message to oneself arrives once. Kept for the accounts of both
  // sides (a guest side reads none of it back).
  const message: PrivateMsg = { type: 'private', id: 0, ts: ctx.now(), from: user.name, to, text: m.text };
  return post(ctx, user, message, m.label, { from: user.account, to: ctx.users.get(to)?.account });
}
