/**
 * @module
 * Text mode's input: a line typed at telnet or nc → the same client message the framed path
 * produces (validated and run by the same code), or a reply shown locally (help, usage, hints).
 *
 * Commands work with or without a leading "/", in any case. Without the "/", a line only counts
 * as a command when its arguments fit (so "who is here?" or "join us later" is said, not run);
 * with the "/", a misfit gets a usage line. After login, any other line is said; "//" at the
 * start says the line with one "/" less, for text that must begin with a slash (as IRC clients do).
 *
 * Logging in cannot be mistaken for a password: on a server without one, `login bad name!` is
 * refused (names have no spaces), not a login as "bad". On a server with one, `login NAME` asks
 * for it and the next line is the password; `login NAME PASSWORD` still works, for scripts.
 */
import { isIP } from 'node:net';
import { isValidName, normalizeRoom } from '../../protocol/internal.js';

export type TextInput =
  | { kind: 'send'; message: Record<string, unknown> }
  | { kind: 'reply'; lines: string[] }
  /** Show `lines` (the prompt); the next line is the password for logging in as `name`. */
  | { kind: 'password'; name: string; lines: string[] }
  /** Show `lines` (the prompt); the next line is the password of a new account (register). */
  | { kind: 'register'; lines: string[] }
  /** Make `room` the current room (the one plain lines are said in). */
  | { kind: 'switch'; room: string }
  | { kind: 'none' };

interface TextCommand {
  usage: string;
  help: string;
  /** Arguments allowed: [min, max]; max Infinity means the rest of the line is one argument. */
  args: [number, number];
  /**
   * Without a leading "/", does the line read as this command? (Default: its arguments fit.)
   * "topic of the day" must be said, not set the topic.
   */
  bare?(args: string[]): boolean;
  build(args: string[], rest: string): Record<string, unknown>;
}

/** The table: drives parsing, `help` and usage lines. */
export const TEXT_COMMANDS: Record<string, TextCommand> = {
  help: { usage: 'help', help: 'show this list', args: [0, 0], build: () => ({}) },
  history: {
    usage: 'history [N]',
    help: 'the last N messages of this room (default 20)',
    args: [0, 1],
    // "history of rust" is said; "history" or "history 50" is the command.
    bare: (args) => args.length === 0 || /^\d{1,4}$/.test(args[0]!),
    build: ([n]) => ({ type: 'history', limit: n === undefined ? TEXT_HISTORY_LINES : historyCount(n) }),
  },
  join: {
    usage: 'join ROOM',
    help: 'enter a room too (#main, #rust, ...) and talk there',
    args: [1, 1],
    build: ([room]) => ({ type: 'join', room: normalizeRoom(room!) }),
  },
  login: {
    usage: 'login NAME [PASSWORD]',
    help: 'log in; a server with a password asks for it next',
    args: [1, Infinity],
    build: ([name], rest) => helloMessage(name!, rest.slice(name!.length).trim()),
  },
  logout: {
    usage: 'logout',
    help: 'leave the chat and close the connection (also: quit)',
    args: [0, 0],
    build: () => ({ type: 'logout' }),
  },
  look: {
    usage: 'look [ROOM]',
    help: 'who is in this room (or ROOM)',
    args: [0, 1],
    build: ([room]) => (room === undefined ? { type: 'look' } : { type: 'look', room: normalizeRoom(room) }),
  },
  me: {
    usage: 'me TEXT',
    help: 'say an action: "me waves" shows "* alice waves"',
    args: [1, Infinity],
    build: (_, rest) => ({ type: 'say', text: rest, action: true }),
  },
  msg: {
    usage: 'msg NAME TEXT',
    help: 'private message to one user',
    args: [2, Infinity],
    build: ([to], rest) => ({ type: 'msg', to, text: rest.slice(to!.length).trimStart() }),
  },
  nick: { usage: 'nick NAME', help: 'change your name', args: [1, 1], build: ([name]) => ({ type: 'nick', name }) },
  part: {
    usage: 'part [#ROOM] [REASON]',
    help: 'leave this room (or #ROOM), saying why if you like',
    args: [0, Infinity],
    bare: (args) => args.length === 0 || (args.length === 1 && args[0]!.startsWith('#')),
    build: (args, rest) => {
      const room = args[0]?.startsWith('#') ? args[0] : undefined;
      const reason = (room === undefined ? rest : rest.slice(room.length)).trim();
      return { type: 'part', ...(room === undefined ? {} : { room }), ...(reason === '' ? {} : { reason }) };
    },
  },
  quit: { usage: 'quit', help: 'leave the chat and close the connection', args: [0, 0], build: () => ({ type: 'logout' }) },
  rooms: { usage: 'rooms', help: 'list rooms with people in them', args: [0, 0], build: () => ({ type: 'rooms' }) },
  say: {
    usage: 'say TEXT',
    help: 'say something to this room (or just type it)',
    args: [1, Infinity],
    build: (_, rest) => ({ type: 'say', text: rest }),
  },
  search: {
    usage: 'search TEXT',
    help: 'find messages in your rooms (plain words, any language)',
    args: [1, Infinity],
    // Only with the "/": "search me" typed bare is chat.
    bare: () => false,
    build: (_, rest) => ({ type: 'search', text: rest }),
  },
  switch: {
    usage: 'switch ROOM',
    help: 'talk in another of your rooms',
    args: [1, 1],
    build: ([room]) => ({ type: 'switch', room: normalizeRoom(room!) }),
  },
  topic: {
    usage: 'topic [TEXT]',
    help: "show this room's topic, or set it (/topic - clears it)",
    args: [0, Infinity],
    bare: (args) => args.length === 0,
    build: (_, rest) => (rest === '' ? { type: 'topic' } : { type: 'topic', text: rest === '-' ? '' : rest }),
  },
  who: { usage: 'who', help: 'everyone on the server', args: [0, 0], build: () => ({ type: 'who' }) },
  // ---- accounts ----
  register: {
    usage: 'register',
    help: 'make your name an account; the password is asked for on the next line',
    args: [0, 0],
    build: () => ({ type: 'register' }),
  },
  // ---- moderation (operators and room founders; only with the "/") ----
  kick: {
    usage: 'kick NAME [#ROOM] [REASON]',
    help: 'take NAME out of #ROOM, or without #ROOM off the server',
    args: [1, Infinity],
    bare: () => false,
    build: ([who, ...more]) => {
      const { room, rest } = roomArg(more);
      const reason = rest.join(' ');
      return { type: 'kick', name: who, ...(room === undefined ? {} : { room }), ...(reason === '' ? {} : { reason }) };
    },
  },
  ban: {
    usage: 'ban NAME|ADDRESS [#ROOM] [DURATION] [REASON]',
    help: 'ban from #ROOM or the server; DURATION as 90, 30s, 10m, 2h or 7d (default: until lifted)',
    args: [1, Infinity],
    bare: () => false,
    build: ([who, ...more]) => {
      const { room, rest } = roomArg(more);
      const duration = rest[0] === undefined ? undefined : durationOf(rest[0]);
      const reason = (duration === undefined ? rest : rest.slice(1)).join(' ');
      return {
        type: 'ban',
        ...target(who!),
        ...(room === undefined ? {} : { room }),
        ...(duration === undefined ? {} : { duration }),
        ...(reason === '' ? {} : { reason }),
      };
    },
  },
  unban: {
    usage: 'unban NAME|ADDRESS [#ROOM]',
    help: 'lift a ban',
    args: [1, 2],
    bare: () => false,
    build: ([who, room]) => ({ type: 'unban', ...target(who!), ...(room === undefined ? {} : { room: normalizeRoom(room) }) }),
  },
  bans: {
    usage: 'bans [#ROOM]',
    help: "list the server's bans (or #ROOM's)",
    args: [0, 1],
    bare: (args) => args.length === 0 || args[0]!.startsWith('#'),
    build: ([room]) => (room === undefined ? { type: 'bans' } : { type: 'bans', room: normalizeRoom(room) }),
  },
  mute: {
    usage: 'mute NAME [#ROOM] [DURATION]',
    help: 'NAME cannot talk in this room (or #ROOM) until DURATION ends or unmute',
    args: [1, 3],
    bare: () => false,
    build: ([who, ...more]) => {
      const { room, rest } = roomArg(more);
      const duration = rest[0] === undefined ? undefined : (durationOf(rest[0]) ?? rest[0]);
      return { type: 'mute', name: who, ...(room === undefined ? {} : { room }), ...(duration === undefined ? {} : { duration }) };
    },
  },
  unmute: {
    usage: 'unmute NAME [#ROOM]',
    help: 'let NAME talk again in this room (or #ROOM)',
    args: [1, 2],
    bare: () => false,
    build: ([who, room]) => ({ type: 'unmute', name: who, ...(room === undefined ? {} : { room: normalizeRoom(room) }) }),
  },
  // ---- end moderation ----
};

// ---- moderation ----
/** A leading "#room" among the arguments, and the rest. */
function roomArg(args: string[]): { room: string | undefined; rest: string[] } {
  return args[0]?.startsWith('#') ? { room: normalizeRoom(args[0]), rest: args.slice(1) } : { room: undefined, rest: args };
}

/** 90, 30s, 10m, 2h, 7d → seconds; anything else is no duration. */
export function durationOf(word: string): number | undefined {
  const m = /^(\d{1,9})([smhd]?)$/i.exec(word);
  if (!m) return undefined;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2]!.toLowerCase() as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** An IP address is banned as an address, anything else as a name. */
function target(word: string): { name: string } | { address: string } {
  return isIP(word) !== 0 ? { address: word } : { name: word };
}
// ---- end moderation ----

/** `history` without a count shows this many lines: a screenful, not the server's page limit. */
export const TEXT_HISTORY_LINES = 20;

/** A count as typed; anything but digits is passed on for validation to refuse (bad_request). */
function historyCount(n: string): number | string {
  return /^\d+$/.test(n) ? Number(n) : n;
}

/** The password is the rest of the line after the name, so a passphrase may contain spaces. */
function helloMessage(name: string, password: string): Record<string, unknown> {
  return password === '' ? { type: 'hello', name, client: 'text' } : { type: 'hello', name, password, client: 'text' };
}

export function helpLines(): string[] {
  const width = Math.max(...Object.values(TEXT_COMMANDS).map((c) => c.usage.length));
  return [
    'Commands (with or without a leading /):',
    ...Object.values(TEXT_COMMANDS).map((c) => `  ${c.usage.padEnd(width)}  ${c.help}`),
    'Any other line is said to the room you talk in (the last one joined or switched to); when you',
    'are in several rooms, lines from a room start with its name, as in "[#rust] bob: hi".',
    'Start a line with // to say a line that begins with /.',
    ...NC_END_LINES,
  ];
}

/** OpenBSD nc keeps reading its input after the server has closed; say how to get out. */
const NC_END_LINES = [
  'To leave, type quit. If nc is still open after "Goodbye.", press Ctrl-D or Ctrl-C;',
  'with "nc -N HOST PORT" (or "nc -q 0 HOST PORT"), Ctrl-D alone ends the chat.',
];

export const LOGIN_HINT = 'Please log in first: login NAME';

export const PASSWORD_PROMPT = 'Password (the whole next line; an empty line cancels):';

/** Asked after `login NAME` when NAME is a registered account. */
export function accountPrompt(name: string): string {
  return `${name} is a registered name. Its password (the whole next line; an empty line cancels):`;
}

export const REGISTER_PROMPT = 'Password for your new account (the whole next line, at least 8 characters; an empty line cancels):';

export const NO_PASSWORD_LINE = 'Names have no spaces, and this server needs no password: login NAME';

/** The line typed after the password prompt: the whole line, spaces and all, is the password. */
export function passwordLine(name: string, line: string): TextInput {
  if (line === '') return { kind: 'reply', lines: ['Login cancelled.'] };
  return { kind: 'send', message: { type: 'hello', name, password: line, client: 'text' } };
}

/** `needsPassword`: the server has a password (so `login NAME` asks for it). */
export function parseTextLine(raw: string, loggedIn: boolean, needsPassword = false): TextInput {
  const line = raw.trim();
  if (line.length === 0) return { kind: 'none' };
  if (line.startsWith('//'))
    return loggedIn ? { kind: 'send', message: { type: 'say', text: line.slice(1) } } : { kind: 'reply', lines: [LOGIN_HINT] };
  const slash = line.startsWith('/');
  const body = slash ? line.slice(1) : line;
  const word = /^\S*/.exec(body)![0];
  const rest = body.slice(word.length).trim();
  const args = rest.length === 0 ? [] : rest.split(/\s+/);
  const command = Object.hasOwn(TEXT_COMMANDS, word.toLowerCase()) ? TEXT_COMMANDS[word.toLowerCase()] : undefined;
  const fits =
    command !== undefined && args.length >= command.args[0] && args.length <= command.args[1] && (slash || (command.bare?.(args) ?? true));

  if (command && fits) {
    if (command === TEXT_COMMANDS['help']) return { kind: 'reply', lines: helpLines() };
    if (command === TEXT_COMMANDS['register'])
      return loggedIn ? { kind: 'register', lines: [REGISTER_PROMPT] } : { kind: 'reply', lines: [LOGIN_HINT] };
    if (command === TEXT_COMMANDS['login'] && !loggedIn) {
      if (!needsPassword && args.length > 1) return { kind: 'reply', lines: [NO_PASSWORD_LINE] };
      // An invalid name is refused by validation (bad_name) before a password is asked for.
      if (needsPassword && args.length === 1 && isValidName(args[0]!))
        return { kind: 'password', name: args[0]!, lines: [PASSWORD_PROMPT] };
    }
    const message = command.build(args, rest);
    if (message['type'] === 'switch') return { kind: 'switch', room: message['room'] as string };
    return { kind: 'send', message };
  }
  if (slash) {
    if (word === '') return { kind: 'reply', lines: ['Type "help" for the list of commands.'] };
    if (!command) return { kind: 'reply', lines: [`Unknown command: ${word}. Type "help" for the list.`] };
    return { kind: 'reply', lines: [`Usage: ${command.usage}`] };
  }
  if (!loggedIn) return { kind: 'reply', lines: [LOGIN_HINT] };
  return { kind: 'send', message: { type: 'say', text: line } };
}
