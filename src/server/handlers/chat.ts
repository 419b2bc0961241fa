/**
 * @module
 * Handlers that carry chat: say (and /me) to the room, msg to one user.
 */
import { ProtocolError, type MessageMsg, type PrivateMsg, type PrivateMsgMsg, type SayMsg } from '../../protocol/index.js';
import type { Context } from '../context.js';
import { Packet } from '../packet.js';
import type { Session } from '../session.js';

export function say(ctx: Context, session: Session, m: SayMsg): void {
  const room = session.room!;
  const message: MessageMsg = { type: 'message', id: ctx.nextId(), ts: ctx.now(), room, from: session.name!, text: m.text };
  if (m.action) message.action = true;
  if (m.label === undefined) {
    ctx.fanout.toRoom(room, new Packet(message));
    return;
  }
  // Only the sender's copy carries the label: the others share one encoding without it.
  ctx.fanout.toRoom(room, new Packet(message), session);
  session.send(message);
}

export function msg(ctx: Context, session: Session, m: PrivateMsgMsg): void {
  const target = ctx.users.get(m.to);
  if (!target) throw new ProtocolError('no_such_user', `No user named "${m.to}" is online.`, 'msg');
  const message: PrivateMsg = { type: 'private', id: ctx.nextId(), ts: ctx.now(), from: session.name!, to: target.name!, text: m.text };
  if (m.label === undefined) {
    const packet = new Packet(message);
    target.deliver(packet);
    if (target !== session) session.deliver(packet);
    return;
  }
  if (target !== session) target.deliver(new Packet(message));
  session.send(message);
}
