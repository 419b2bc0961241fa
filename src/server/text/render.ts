/**
 * @module
 * Text mode's view of server messages: the one place that turns a ServerMessage into the lines a
 * telnet or nc user reads. Handlers never know which mode a session is in.
 */
import { foldName, type ServerMessage } from '../../protocol/index.js';
import { LOGIN_HINT } from './commands.js';

/**
 * Names as people read them. The server's lists come sorted case-insensitively (Users and Rooms
 * keep them in compareNames order), so rendering costs what the list is long and sorts nothing.
 */
function list(names: string[]): string {
  return names.length === 0 ? '(nobody)' : names.join(', ');
}

/** Lines (without line endings) for `message` as `viewer` sees it; [] when it has no text form. */
export function renderText(message: ServerMessage, viewer: string): string[] {
  switch (message.type) {
    case 'welcome': {
      const lines = [
        `Welcome to ${message.server}, ${message.you}! You are in ${message.room} with ${message.users.length} ${message.users.length === 1 ? 'user' : 'users'}: ${list(message.users)}. Type "help" for commands.`,
      ];
      if (message.motd) lines.push(...message.motd.split(/\r?\n/).map((l) => `*** ${l}`));
      return lines;
    }
    case 'message':
      return [message.action ? `* ${message.from} ${message.text}` : `${message.from}: ${message.text}`];
    case 'private':
      return foldName(message.from) === foldName(viewer) && foldName(message.to) !== foldName(viewer)
        ? [`-> ${message.to}: (private) ${message.text}`]
        : [`${message.from}: (private) ${message.text}`];
    case 'joined':
      return [`${message.name} has entered the room.`];
    case 'left': {
      const why = message.reason === 'logout' || message.reason === 'disconnect' || message.reason === 'moved' ? '' : ` (${message.reason.replace('_', ' ')})`;
      return [`${message.name} has left the room${why}.`];
    }
    case 'renamed':
      return [`${message.from} is now known as ${message.to}.`];
    case 'users':
      return [`Online (${message.clients}): ${list(message.users)}`];
    case 'room':
      return [`Room ${message.room} (${message.users.length}): ${list(message.users)}`];
    case 'rooms':
      return [`Rooms: ${message.rooms.length === 0 ? '(none)' : message.rooms.map((r) => `${r.room} (${r.users})`).join(', ')}`];
    case 'notice':
      return [`*** ${message.text}`];
    case 'error':
      // The framed wording ("hello / login NAME") means nothing at telnet; say it in text-mode terms.
      if (message.code === 'not_logged_in') return [LOGIN_HINT];
      if (message.code === 'auth_failed') return [message.message, 'This server needs a password: login NAME PASSWORD'];
      return [message.message];
    case 'bye':
      return [message.reason === 'shutdown' ? 'The server is shutting down. Goodbye.' : 'Goodbye.'];
    case 'pong':
      return message.token === undefined ? ['pong'] : [`pong ${message.token}`];
    case 'ping':
      return [];
  }
}

/** What the --text-port greets with, before anything is typed. */
export function greetingLines(serverName: string): string[] {
  return [`*** Welcome to ${serverName}, a framechat server.`, `*** ${LOGIN_HINT}, or type "help".`];
}

export function lineRefusedLines(limit: number): string[] {
  return [`Line refused: longer than ${limit} bytes.`];
}

/** Before the flood disconnect of a text-mode session whose waiting lines overflowed. */
export function pasteOverflowLines(limit: number, rate: number): string[] {
  return [`More than ${limit} lines were waiting to be sent (the server takes ${rate} a second); the rest is dropped.`];
}
