/**
 * @module
 * Search: `search{text, room?, from?, before?, limit?}` over the store's full-text index, in the
 * rooms the user is in (or one of them), newest first, answered with `results{messages, more}`.
 * The query is plain text (the store quotes every word). Without `room`, the private messages of
 * the user's account are searched too (from the account's creation on); a guest's search covers
 * rooms only, so the next holder of a guest name never finds the last one's messages.
 *
 * Cost: a search reads an index and up to `limit` rows, so it costs SEARCH_COST tokens plus one per
 * hundred results asked for (commands.ts), which bounds a client to a few searches a second.
 */
import { DEFAULT_RESULTS, MAX_RESULTS, ProtocolError, type SearchMsg } from '../../protocol/internal.js';
import type { Context } from '../context.js';
import type { User } from '../session.js';
import type { SearchScope } from '../store/store.js';
import { privateScope, wireMessage } from './history.js';
import { roomOf } from './rooms.js';

/** Tokens one search takes from the flood budget before the per-result part. */
export const SEARCH_COST = 5;

export function resultsLimit(m: SearchMsg): number {
  return Math.max(1, Math.min(MAX_RESULTS, m.limit ?? DEFAULT_RESULTS));
}

export async function search(ctx: Context, user: User, m: SearchMsg): Promise<void> {
  let scope: SearchScope = { rooms: [], limit: resultsLimit(m) };
  if (m.room !== undefined) {
    const room = roomOf(ctx, m.room);
    if (!user.membership.has(room)) throw new ProtocolError('not_in_room', `Join ${room} to search it.`, 'search');
    scope.rooms = [room];
  } else scope = { ...scope, rooms: [...user.membership.rooms], ...(await privateScope(ctx, user)) };
  if (m.from !== undefined) scope.from = m.from;
  if (m.before !== undefined) scope.before = m.before;
  if (!user.active) return;
  const page = await ctx.archive.store.search(m.text, scope);
  if (!user.active) return;
  user.send({ type: 'results', messages: page.messages.map(wireMessage), more: page.more });
}
