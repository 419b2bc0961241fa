/**
 * @module
 * Text mode's view of server messages: the one place that turns a ServerMessage into the lines a
 * telnet or nc user reads. Handlers never know which mode a session is in.
 */
import { foldName, type ModeratedMsg, type ServerMessage } from '../../protocol/internal.js';
import { untilText } from '../moderation.js';
import { LOGIN_HINT } from './commands.js';

/**
 * Names as people read them. The server's lists come sorted case-insensitively (Users and Rooms
 * keep them in compareNames order), so rendering costs what the list is long and sorts nothing.
 */
function list(names: string[]): string {
  return names.length === 0 ? '(nobody)' : names.join(', ');
}

function people(n: number): string {
  return `${n} ${n === 1 ? 'user' : 'users'}`;
}

/** Which room a message is about, for the `[#room] ` prefix of a user in several rooms. */
export function roomOfMessage(message: ServerMessage): string | undefined {
  switch (message.type) {
    case 'message':
    case 'joined':
    case 'left':
    case 'topic':
      return message.room;
    default:
      return undefined;
  }
}

/**
 * Lines (without line endings) for `message` as `viewer` sees it; [] when it has no text form.
 * `prefixed`: the viewer is in several rooms, so lines about a room name it ("[#rust] bob: hi").
 */
export function renderText(message: ServerMessage, viewer: string, prefixed = false): string[] {
  const room = prefixed ? roomOfMessage(message) : undefined;
  const lines = renderLines(message, viewer);
  return room === undefined ? lines : lines.map((line) => `[${room}] ${line}`);
}

function renderLines(message: ServerMessage, viewer: string): string[] {
  switch (message.type) {
    case 'welcome': {
      const where =
        message.rooms.length === 0
          ? 'You are in no room yet: "join #room" to enter one.'
          : `You are in ${message.rooms.map((r) => `${r.room} with ${people(r.users.length)}: ${list(r.users)}`).join('; ')}.`;
      const lines = [`Welcome to ${message.server}, ${message.you}! ${where} Type "help" for commands.`];
      for (const r of message.rooms) if (r.topic !== '') lines.push(`Topic for ${r.room}: ${r.topic}`);
      if (message.motd) lines.push(...message.motd.split(/\r?\n/).map((l) => `*** ${l}`));
      return lines;
    }
    case 'message':
      return [message.action ? `* ${message.from} ${message.text}` : `${message.from}: ${message.text}`];
    case 'topic':
      if (message.by === '') return [message.text === '' ? `${message.room} has no topic.` : `Topic for ${message.room}: ${message.text}`];
      return [
        message.text === ''
          ? `${message.by} cleared the topic of ${message.room}.`
          : `${message.by} set the topic of ${message.room}: ${message.text}`,
      ];
    case 'private':
      return foldName(message.from) === foldName(viewer) && foldName(message.to) !== foldName(viewer)
        ? [`-> ${message.to}: (private) ${message.text}`]
        : [`${message.from}: (private) ${message.text}`];
    case 'joined':
      return [`${message.name} has entered the room.`];
    case 'left': {
      if (message.reason === 'kicked') {
        const by = message.by === undefined ? '' : ` by ${message.by}`;
        const said = message.text === undefined ? '.' : `: ${message.text}`;
        if (foldName(message.name) === foldName(viewer)) return [`You were kicked from ${message.room}${by}${said}`];
        return [`${message.name} was kicked from the room${by}${said}`];
      }
      const why =
        message.reason === 'logout' || message.reason === 'disconnect' || message.reason === 'part'
          ? ''
          : ` (${message.reason.replace('_', ' ')})`;
      const said = message.text === undefined ? '' : `: ${message.text}`;
      if (foldName(message.name) === foldName(viewer)) return [`You have left ${message.room}${said}.`];
      return [`${message.name} has left the room${why}${said}.`];
    }
    case 'renamed':
      return [`${message.from} is now known as ${message.to}.`];
    case 'users':
      return [`Online (${message.clients}): ${list(message.users)}`];
    case 'room':
      return [
        `Room ${message.room} (${message.users.length}): ${list(message.users)}`,
        ...(message.topic === '' ? [] : [`Topic: ${message.topic}`]),
      ];
    case 'rooms':
      return [`Rooms: ${message.rooms.length === 0 ? '(none)' : message.rooms.map((r) => `${r.room} (${r.users})`).join(', ')}`];
    case 'history': {
      // Stamped with the time: a past line must not read as one said just now.
      const where = message.room ?? message.with ?? '';
      if (message.messages.length === 0) return [`No history for ${where}.`];
      const lines = message.messages.flatMap((m) => renderLines(m, viewer).map((l) => `[${clock(m.ts)}] ${l}`));
      return message.more ? [`(${where} has older messages than these)`, ...lines] : lines;
    }
    case 'results': {
      if (message.messages.length === 0) return ['No messages found.'];
      // Newest first on the wire; a person reads a list oldest first, like history.
      const found = [...message.messages].reverse();
      const lines = found.flatMap((m) => {
        const where = m.type === 'message' ? `[${m.room}] ` : '';
        return renderLines(m, viewer).map((l) => `[${day(m.ts)} ${clock(m.ts)}] ${where}${l}`);
      });
      const head = `Found ${found.length}${message.more ? ' (the newest; there are more)' : ''}:`;
      return [head, ...lines];
    }
    case 'notice':
      return [`*** ${message.text}`];
    case 'registered':
      return [`The name ${message.name} is now registered to you.`];
    case 'error':
      // The framed wording ("hello / login NAME") means nothing at telnet; say it in text-mode terms.
      if (message.code === 'not_logged_in') return [LOGIN_HINT];
      if (message.code === 'auth_failed') return [message.message, 'This server needs a password: login NAME PASSWORD'];
      return [message.message];
    case 'bye':
      if (message.reason === 'kicked') return [message.text ?? 'Kicked.', 'Goodbye.'];
      return [message.reason === 'shutdown' ? 'The server is shutting down. Goodbye.' : 'Goodbye.'];
    // ---- moderation ----
    case 'moderated':
      return [moderatedLine(message)];
    case 'bans': {
      const where = message.room ?? 'the server';
      if (message.bans.length === 0) return [`No bans in force on ${where}.`];
      return [
        `Bans on ${where} (${message.bans.length}${message.more ? ', the oldest; there are more' : ''}):`,
        ...message.bans.map(
          (b) => `  ${b.name ?? b.address ?? ''} by ${b.by} ${untilText(b.until)}${b.reason === undefined ? '' : `: ${b.reason}`}`,
        ),
      ];
    }
    // ---- end moderation ----
    case 'pong':
      return message.token === undefined ? ['pong'] : [`pong ${message.token}`];
    case 'ping':
      return [];
  }
}

/** `ts` as HH:MM, UTC (the server does not know the reader's zone). */
function clock(ts: number): string {
  return new Date(ts).toISOString().slice(11, 16);
}

/** `ts` as YYYY-MM-DD, UTC. */
function day(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
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

// ---- moderation ----
function moderatedLine(m: ModeratedMsg): string {
  const who = m.name ?? m.address ?? '';
  const where = m.room === undefined ? '' : ` in ${m.room}`;
  switch (m.action) {
    case 'kick':
      return m.room === undefined ? `${who} is kicked off the server.` : `${who} is kicked from ${m.room}.`;
    case 'ban': {
      const kicked = m.kicked ? ` (${m.kicked} kicked)` : '';
      return `${who} is banned from ${m.room ?? 'the server'} ${untilText(m.until)}${kicked}.`;
    }
    case 'unban':
      return `${who} is no longer banned from ${m.room ?? 'the server'}.`;
    case 'mute':
      return `${who} is muted${where} ${untilText(m.until)}.`;
    case 'unmute':
      return `${who} is no longer muted${where}.`;
  }
}
// ---- end moderation ----
