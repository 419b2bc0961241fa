/**
 * @module
 * The command table: message type → handler, with the checks every handler shares done once here
 * (Ergo's Command.Run). Handlers start from a validated message and a session that is allowed to
 * send it; they report refusals by throwing ProtocolError, turned into an `error` reply here.
 * Any other exception is a bug: logged with context, answered with `internal_error`, and the
 * process goes on serving everyone else.
 */
import { ProtocolError, type ClientMessage, type ClientType } from '../protocol/index.js';
import type { Context } from './context.js';
import { join, look, rooms, who } from './handlers/rooms.js';
import { msg, say } from './handlers/chat.js';
import { hello, logout, nick, ping, pong } from './handlers/session.js';
import type { Session } from './session.js';

export type Handler<M extends ClientMessage> = (ctx: Context, session: Session, message: M) => void;

interface Command<M extends ClientMessage> {
  /** Allowed before `hello` succeeds? */
  beforeLogin: boolean;
  run: Handler<M>;
}

type Table = { [K in ClientType]: Command<Extract<ClientMessage, { type: K }>> };

export const COMMANDS: Table = {
  hello: { beforeLogin: true, run: hello },
  join: { beforeLogin: false, run: join },
  logout: { beforeLogin: true, run: logout },
  look: { beforeLogin: false, run: look },
  msg: { beforeLogin: false, run: msg },
  nick: { beforeLogin: false, run: nick },
  ping: { beforeLogin: true, run: ping },
  pong: { beforeLogin: false, run: pong },
  rooms: { beforeLogin: false, run: rooms },
  say: { beforeLogin: false, run: say },
  who: { beforeLogin: false, run: who },
};

export function runCommand(ctx: Context, session: Session, message: ClientMessage): void {
  session.answering(message.label, () => dispatch(ctx, session, message));
}

function dispatch(ctx: Context, session: Session, message: ClientMessage): void {
  const command = COMMANDS[message.type] as Command<ClientMessage>;
  if (!command.beforeLogin && !session.loggedIn) {
    session.sendError('not_logged_in', 'Please log in first (hello / login NAME).', message.type);
    return;
  }
  try {
    command.run(ctx, session, message);
  } catch (err) {
    if (err instanceof ProtocolError) {
      session.sendError(err.code, err.message, err.ref ?? message.type);
      return;
    }
    ctx.log.error('handler_failed', { id: session.id, name: session.name, type: message.type, error: String((err as Error)?.stack ?? err) });
    session.sendError('internal_error', `The server failed to handle "${message.type}"; please report it.`, message.type);
  }
}
