/**
 * @module
 * History: what a member is sent on join (the latest `historyOnJoin` messages, or with `since`
 * what came after it), and `history{room|with, before|after, limit}` pages. Only a room's members
 * read its history. Private history goes only to an account that was a party; there are no
 * accounts yet, so every name is a guest and gets none (the next holder of a guest name must not
 * read the last one's messages).
 */
import { ProtocolError, type HistoryMsg, type HistoryRequestMsg, type MessageMsg, type PrivateMsg } from '../../protocol/internal.js';
import type { Context } from '../context.js';
import type { Session, User } from '../session.js';
import type { Page, StoredMessage } from '../store/store.js';
import { roomOf } from './rooms.js';

/** A stored message as the wire carries it inside `history` and `results`. */
export function wireMessage(m: StoredMessage): MessageMsg | PrivateMsg {
  if (m.kind === 'room') {
    const out: MessageMsg = { type: 'message', id: m.id, ts: m.ts, room: m.room, from: m.from, text: m.text };
    if (m.action) out.action = true;
    return out;
  }
  return { type: 'private', id: m.id, ts: m.ts, from: m.from, to: m.to, text: m.text };
}

function historyOf(room: string, page: Page): HistoryMsg {
  return { type: 'history', room, messages: page.messages.map(wireMessage), more: page.more };
}

/** The `history` a member gets right after `room` (or `welcome`): the latest, or what came after `since`. */
export async function sendJoinHistory(ctx: Context, session: Session, room: string, since?: number): Promise<void> {
  const { historyOnJoin, historyLimit } = ctx.config;
  let page: Page;
  if (since !== undefined) page = await ctx.archive.store.since(room, since, historyLimit);
  else if (historyOnJoin === 0) page = { messages: [], more: false };
  else page = await ctx.archive.store.latest(room, historyOnJoin);
  // The read may have waited: the session may have left the room (or gone) meanwhile.
  if (!session.active || !session.membership.has(room)) return;
  session.send(historyOf(room, page));
}

export async function history(ctx: Context, user: User, m: HistoryRequestMsg): Promise<void> {
  const limit = Math.max(1, Math.min(ctx.config.historyLimit, m.limit ?? ctx.config.historyLimit));
  if (m.with !== undefined) {
    // No accounts yet: a guest was never a party to a stored conversation.
    user.send({ type: 'history', with: m.with, messages: [], more: false });
    return;
  }
  const room = roomOf(ctx, m.room!);
  if (!user.membership.has(room)) throw new ProtocolError('not_in_room', `Join ${room} to read its history.`, 'history');
  const store = ctx.archive.store;
  const page =
    m.before !== undefined
      ? await store.before(room, m.before, limit)
      : m.after !== undefined
        ? await store.after(room, m.after, limit)
        : await store.latest(room, limit);
  if (!user.active) return;
  user.send(historyOf(room, page));
}
