/**
 * @module
 * Handlers that carry chat: say (and /me) to the room, msg to one user.
 */
import { ProtocolError, type MessageMsg, type PrivateMsgMsg, type SayMsg } from '../../protocol/index.js';
import type { Context } from '../context.js';
import { Packet } from '../packet.js';
import type { Session } from '../session.js';

export function say(ctx: Context, session: Session, m: SayMsg): void {
  const room = session.room!;
  const message: MessageMsg = { type: 'message', id: ctx.nextId(), ts: ctx.now(), room, from: session.name!, text: m.text };
  if (m.action) message.action = true;
  ctx.fanout.toRoom(room, new Packet(message));
}

export function msg(ctx: Context, session: Session, m: PrivateMsgMsg): void {
  const target = ctx.users.get(m.to);
  if (!target) throw new ProtocolError('no_such_user', `No user named "${m.to}" is online.`, 'msg');
  const packet = new Packet({ type: 'private', id: ctx.nextId(), ts: ctx.now(), from: session.name!, to: target.name!, text: m.text });
  target.deliver(packet);
  if (target !== session) session.deliver(packet);
}
