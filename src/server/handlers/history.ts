/**
 * @module
 * History: what a member is sent on join (the latest `historyOnJoin` messages, or with `since`
 * what came after it), and `history{room|with, before|after, limit}` pages. Only a room's members
 * read its history. Private history goes only to an account that was a party, and only from the
 * account's creation on (an account made again under a removed one's name reads none of the old
 * one's); a guest gets none (the next holder of a guest name must not read the last one's
 * messages). `with` names the other side's account.
 */
import { ProtocolError, type HistoryMsg, type HistoryRequestMsg, type MessageMsg, type PrivateMsg } from '../../protocol/internal.js';
import type { Context } from '../context.js';
import type { Session, User } from '../session.js';
import type { Account, Page, SearchScope, StoredMessage } from '../store/store.js';
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

/**
 * `page` of `room` without what this process has not delivered yet (Fanout.horizon): a member
 * gets those live, after the page, and must not get them twice. `newer`: the page reads forward
 * (since, after), so its `more` meant "newer ones exist", and those come live too.
 */
function delivered(ctx: Context, page: Page, newer: boolean): Page {
  const horizon = ctx.fanout.horizon;
  if (horizon === undefined || !page.messages.some((m) => m.id > horizon)) return page;
  return { messages: page.messages.filter((m) => m.id <= horizon), more: newer ? false : page.more };
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
  const sent = delivered(ctx, page, since !== undefined);
  session.shown(sent.messages);
  session.send(historyOf(room, sent));
}

/** The account `session` is logged in to, read from the store now (undefined: a guest, or removed). */
export async function readerAccount(ctx: Context, session: Session): Promise<Account | undefined> {
  return session.account === undefined ? undefined : ctx.accounts.get(session.account);
}

/** The private part of a search scope for `session`: nothing for a guest. For the search handler. */
export async function privateScope(ctx: Context, session: Session): Promise<Pick<SearchScope, 'privateAccount' | 'privateSince'>> {
  const me = await readerAccount(ctx, session);
  return me === undefined ? {} : { privateAccount: me.name, privateSince: me.createdTs };
}

async function privatePage(ctx: Context, user: User, m: HistoryRequestMsg, limit: number): Promise<Page> {
  const none: Page = { messages: [], more: false };
  const me = await readerAccount(ctx, user);
  if (me === undefined) return none;
  const other = await ctx.accounts.get(m.with!);
  // A removed account's side is still the reader's conversation: read it by the name asked for.
  const them = other?.name ?? m.with!;
  const store = ctx.archive.store;
  if (m.before !== undefined) return store.privateBefore(me.name, them, m.before, limit, me.createdTs);
  if (m.after !== undefined) return store.privateAfter(me.name, them, m.after, limit, me.createdTs);
  return store.privateLatest(me.name, them, limit, me.createdTs);
}

export async function history(ctx: Context, user: User, m: HistoryRequestMsg): Promise<void> {
  const limit = Math.max(1, Math.min(ctx.config.historyLimit, m.limit ?? ctx.config.historyLimit));
  if (m.with !== undefined) {
    const page = await privatePage(ctx, user, m, limit);
    if (!user.active) return;
    user.send({ type: 'history', with: m.with, messages: page.messages.map(wireMessage), more: page.more });
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
  user.send(historyOf(room, delivered(ctx, page, m.before === undefined && m.after !== undefined)));
}
