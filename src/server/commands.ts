/**
 * @module
 * The command table: message type → handler, with the checks every handler shares done once here
 * (Ergo's Command.Run). Handlers start from a validated message and a session that is allowed to
 * send it: those of commands that need a login are given the logged-in User. They report
 * refusals by throwing ProtocolError (or rejecting with one), turned into an `error` reply here.
 * Any other exception is a bug: logged with context, answered with `internal_error`, and the
 * process goes on serving everyone else.
 */
import { MAX_BANS_LISTED, ProtocolError, type ClientMessage, type ClientType } from '../protocol/internal.js';
import type { Context } from './context.js';
import { join, look, part, roomOf, rooms, topic, who } from './handlers/rooms.js';
import { passwd, register, unregister } from './handlers/accounts.js';
import { ban, bans, kick, mute, unban, unmute } from './handlers/moderation.js';
import { msg, say } from './handlers/chat.js';
import { history } from './handlers/history.js';
import { resultsLimit, search, SEARCH_COST } from './handlers/search.js';
import { hello, logout, nick, ping, pong } from './handlers/session.js';
import type { Session, User } from './session.js';

/** What a handler returns: nothing, or a promise when its answer completes later. */
export type Answer = void | Promise<void>;
export type Handler<M extends ClientMessage> = (ctx: Context, session: Session, message: M) => Answer;
export type UserHandler<M extends ClientMessage> = (ctx: Context, user: User, message: M) => Answer;

type Command<M extends ClientMessage> =
  /** Allowed before `hello` succeeds. */
  ({ beforeLogin: true; run: Handler<M> } | { beforeLogin: false; run: UserHandler<M> }) & {
    /**
     * Tokens the request costs against the flood budget: 1 (taken on arrival), or more for a reply
     * that lists many entries, so that a request costs in proportion to what it makes the server do.
     */
    cost: number | ((ctx: Context, session: Session, message: M) => number);
  };

type Table = { [K in ClientType]: Command<Extract<ClientMessage, { type: K }>> };

/** A list reply costs one token more for each this many entries. */
export const ENTRIES_PER_TOKEN = 100;

/** Tokens for a reply listing `entries` names or rooms: 1 + floor(entries / 100). */
export function listCost(entries: number): number {
  return 1 + Math.floor(entries / ENTRIES_PER_TOKEN);
}

function sum(counts: number[]): number {
  return counts.reduce((a, b) => a + b, 0);
}

/** A request that may run scrypt (about 70 ms of a thread) costs this many flood tokens. */
export const PASSWORD_COST = 5;

export const COMMANDS: Table = {
  hello: { beforeLogin: true, cost: 1, run: hello },
  // A page costs in proportion to what it may return, as a list reply does.
  history: {
    beforeLogin: false,
    cost: (ctx, _session, m) => listCost(Math.min(m.limit ?? ctx.config.historyLimit, ctx.config.historyLimit)),
    run: history,
  },
  join: { beforeLogin: false, cost: (ctx, _session, m) => listCost(ctx.rooms.members(roomOf(ctx, m.room)).size + 1), run: join },
  logout: { beforeLogin: true, cost: 1, run: logout },
  look: {
    beforeLogin: false,
    cost: (ctx, session, m) =>
      listCost(
        sum((m.room === undefined ? [...session.membership.rooms] : [roomOf(ctx, m.room)]).map((room) => ctx.rooms.members(room).size)),
      ),
    run: look,
  },
  msg: { beforeLogin: false, cost: 1, run: msg },
  nick: { beforeLogin: false, cost: 1, run: nick },
  part: { beforeLogin: false, cost: 1, run: part },
  passwd: { beforeLogin: false, cost: PASSWORD_COST, run: passwd },
  ping: { beforeLogin: true, cost: 1, run: ping },
  pong: { beforeLogin: false, cost: 1, run: pong },
  register: { beforeLogin: false, cost: PASSWORD_COST, run: register },
  rooms: { beforeLogin: false, cost: (ctx) => listCost(ctx.rooms.count), run: rooms },
  say: { beforeLogin: false, cost: 1, run: say },
  search: { beforeLogin: false, cost: (_ctx, _session, m) => SEARCH_COST - 1 + listCost(resultsLimit(m)), run: search },
  topic: { beforeLogin: false, cost: 1, run: topic },
  unregister: { beforeLogin: false, cost: PASSWORD_COST, run: unregister },
  who: { beforeLogin: false, cost: (ctx) => listCost(ctx.users.count), run: who },
  // ---- moderation ----
  kick: { beforeLogin: false, cost: 1, run: kick },
  ban: { beforeLogin: false, cost: 1, run: ban },
  unban: { beforeLogin: false, cost: 1, run: unban },
  bans: { beforeLogin: false, cost: listCost(MAX_BANS_LISTED), run: bans },
  mute: { beforeLogin: false, cost: 1, run: mute },
  unmute: { beforeLogin: false, cost: 1, run: unmute },
  // ---- end moderation ----
};

export function runCommand(ctx: Context, session: Session, message: ClientMessage): Answer {
  return session.answering(message.label, () => dispatch(ctx, session, message));
}

function dispatch(ctx: Context, session: Session, message: ClientMessage): Answer {
  const command = COMMANDS[message.type] as Command<ClientMessage>;
  if (!command.beforeLogin && !session.loggedIn) {
    session.sendError('not_logged_in', 'Please log in first (hello / login NAME).', message.type);
    return;
  }
  // The first token was taken when the request arrived; a big reply pays the rest (into debt).
  const cost = typeof command.cost === 'number' ? command.cost : command.cost(ctx, session, message);
  if (cost > 1) session.charge(cost - 1);
  let answer: Answer;
  try {
    if (command.beforeLogin) answer = command.run(ctx, session, message);
    else {
      const user = session.asUser();
      if (!user) {
        session.sendError('not_logged_in', 'Please log in first (hello / login NAME).', message.type);
        return;
      }
      answer = command.run(ctx, user, message);
    }
  } catch (err) {
    refused(ctx, session, message, err);
    return;
  }
  return answer?.catch((err: unknown) => refused(ctx, session, message, err));
}

function refused(ctx: Context, session: Session, message: ClientMessage, err: unknown): void {
  if (err instanceof ProtocolError) {
    session.sendError(err.code, err.message, err.ref ?? message.type);
    return;
  }
  ctx.log.error('handler_failed', { id: session.id, name: session.name, type: message.type, error: String((err as Error)?.stack ?? err) });
  session.sendError('internal_error', `The server failed to handle "${message.type}"; please report it.`, message.type);
}
