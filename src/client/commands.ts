/**
 * @module
 * The slash commands, in ONE sorted table that drives dispatch, /help and tab completion (catgirl's
 * `Commands[]`). The dispatcher checks the arguments against the command's shape before the handler
 * runs (Ergo's minParams), so each handler starts from valid input and is one line.
 */

/** What commands act on: implemented by app.ts. */
export interface CommandContext {
  say(text: string): void;
  me(text: string): void;
  msg(to: string, text: string): void;
  who(): void;
  look(): void;
  rooms(): void;
  join(room: string): void;
  /** Leave the focused room (its window stays, as not joined). */
  part(reason?: string): void;
  /** Show the focused room's topic, or set it. */
  topic(text?: string): void;
  /** Focus window N (as typed: checked by the model). */
  window(n: number): void;
  /** Open (or go to) the private window with NAME. */
  query(name: string): void;
  /** Close window N (default: the focused one); a room still joined is parted. */
  close(n?: number): void;
  nick(name: string): void;
  /** Register the current name as an account with this password. */
  register(password: string): void;
  /** Change the account's password. */
  passwd(old: string, next: string): void;
  /** A moderation request; `room` left out means the focused room where the command says so. */
  moderate(request: ModerationLine): void;
  toggleUsers(): void;
  clear(): void;
  info(text: string): void;
  error(text: string): void;
  quit(message?: string): void;
  /** List the links seen in the pane, each whole on its own line(s). */
  urls(): void;
  /** Search the messages of our rooms; the results are numbered for goto(). */
  search(text: string): void;
  /** The next (older) page of the last search's results. */
  more(): void;
  /** Jump to result N of the last search, in its room's window. */
  goto(n: number): void;
}

/** A moderation command as typed, before the focused room is filled in. */
export type ModerationLine =
  | { type: 'kick'; name: string; room?: string; reason?: string }
  | { type: 'ban' | 'unban'; name?: string; address?: string; room?: string; duration?: number; reason?: string }
  | { type: 'bans'; room?: string }
  | { type: 'mute' | 'unmute'; name: string; room?: string; duration?: number };

/** 90, 30s, 10m, 2h, 7d → seconds; anything else is no duration. */
export function durationOf(word: string): number | undefined {
  const m = /^(\d{1,9})([smhd]?)$/i.exec(word);
  if (!m) return undefined;
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2]!.toLowerCase() as '' | 's' | 'm' | 'h' | 'd'];
}

/** NAME|ADDRESS [#ROOM] [DURATION] [REASON] → its parts (an address has a dot or colon and digits only). */
function moderationArgs(words: string[]): { target: string; room?: string; duration?: number; rest: string } {
  const [target, ...more] = words;
  let i = 0;
  const room = more[i]?.startsWith('#') ? more[i++] : undefined;
  const duration = more[i] === undefined ? undefined : durationOf(more[i]!);
  if (duration !== undefined) i++;
  return {
    target: target!,
    ...(room === undefined ? {} : { room }),
    ...(duration === undefined ? {} : { duration }),
    rest: more.slice(i).join(' '),
  };
}

function banTarget(word: string): { name: string } | { address: string } {
  return /^[0-9.]+$/.test(word) || word.includes(':') ? { address: word } : { name: word };
}

/** The rule for room names, as the server applies it (names.ts), for the errors that refuse one. */
export const ROOM_RULE = '"#" then 1-32 letters, digits, "_", "-" or ".", no spaces';

/** The arguments a command takes: none, one word, an optional word, free text (perhaps none), or a word then free text. */
type Shape = 'none' | 'word' | 'word?' | 'text' | 'text?' | 'word text' | 'word word';

/** Where the line was typed: the full screen, or line mode (pipes), which has no keys and no pane. */
export type InputMode = 'screen' | 'line';

interface Command {
  shape: Shape;
  usage: string;
  help: string;
  /** What it does in line mode, where that differs; null where it does nothing (left out of /help). */
  lineHelp?: string | null;
  /** Said instead of the bare usage when the arguments do not fit (the rule they broke). */
  badArgs?: string;
  /** The line holds a password: it never goes into the input history. */
  secret?: true;
  run(ctx: CommandContext, args: string[], mode: InputMode): void;
}

/** Sorted by name; `/help` lists them in this order. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  ban: {
    shape: 'text',
    usage: '/ban NAME|ADDRESS [#ROOM] [DURATION] [REASON]',
    help: 'operators: ban from the server (founders: from #ROOM); DURATION as 90, 30s, 10m, 2h, 7d',
    run: (c, [text]) => {
      const a = moderationArgs(text!.trim().split(/\s+/));
      c.moderate({
        type: 'ban',
        ...banTarget(a.target),
        ...(a.room ? { room: a.room } : {}),
        ...(a.duration === undefined ? {} : { duration: a.duration }),
        ...(a.rest ? { reason: a.rest } : {}),
      });
    },
  },
  bans: {
    shape: 'word?',
    usage: '/bans [#ROOM]',
    help: "operators and founders: list the server's bans (or #ROOM's)",
    run: (c, [room]) => c.moderate(room === undefined ? { type: 'bans' } : { type: 'bans', room }),
  },
  clear: { shape: 'none', usage: '/clear', help: 'clear the message pane', lineHelp: null, run: (c) => c.clear() },
  close: {
    shape: 'word?',
    usage: '/close [N]',
    help: 'close this window (or window N); a room you are in is left',
    badArgs: 'N is a window number',
    run: (c, [n]) =>
      n === undefined ? c.close() : /^\d+$/.test(n) ? c.close(Number(n)) : c.error('Usage: /close [N]: N is a window number'),
  },
  goto: {
    shape: 'word',
    usage: '/goto N',
    help: "jump to search result N in its room's window, highlighted",
    lineHelp: 'say which window search result N is in',
    badArgs: 'N is a result number from /search',
    run: (c, [n]) => (/^\d+$/.test(n!) ? c.goto(Number(n)) : c.error('Usage: /goto N: N is a result number from /search')),
  },
  help: {
    shape: 'word?',
    usage: '/help [COMMAND]',
    help: 'list commands and keys, or show how to use one command',
    lineHelp: 'list commands, or show how to use one command',
    run: (c, [name], mode) => help(c, mode, name),
  },
  join: {
    shape: 'word',
    usage: '/join ROOM',
    help: 'join a room (#rust or rust) and go to its window; /j for short',
    badArgs: `a room name is ${ROOM_RULE}`,
    run: (c, [room]) => c.join(room!),
  },
  kick: {
    shape: 'text',
    usage: '/kick NAME [#ROOM] [REASON]',
    help: 'operators and founders: take NAME out of this room (or #ROOM); from a window that is no room, off the server',
    run: (c, [text]) => {
      const a = moderationArgs(text!.trim().split(/\s+/));
      c.moderate({ type: 'kick', name: a.target, ...(a.room ? { room: a.room } : {}), ...(a.rest ? { reason: a.rest } : {}) });
    },
  },
  look: { shape: 'none', usage: '/look', help: 'who is in this room', run: (c) => c.look() },
  me: { shape: 'text', usage: '/me TEXT', help: 'say an action: "* you TEXT"', run: (c, [text]) => c.me(text!) },
  more: { shape: 'none', usage: '/more', help: 'older results of the last /search', run: (c) => c.more() },
  msg: { shape: 'word text', usage: '/msg NAME TEXT', help: 'send a private message', run: (c, [to, text]) => c.msg(to!, text!) },
  mute: {
    shape: 'text',
    usage: '/mute NAME [#ROOM] [DURATION]',
    help: 'operators and founders: NAME cannot talk in this room (or #ROOM) for DURATION or until /unmute',
    run: (c, [text]) => {
      const a = moderationArgs(text!.trim().split(/\s+/));
      c.moderate({
        type: 'mute',
        name: a.target,
        ...(a.room ? { room: a.room } : {}),
        ...(a.duration === undefined ? {} : { duration: a.duration }),
      });
    },
  },
  nick: { shape: 'word', usage: '/nick NAME', help: 'change your name', run: (c, [name]) => c.nick(name!) },
  part: {
    shape: 'text?',
    usage: '/part [MESSAGE]',
    help: 'leave this room, with a parting message; its window stays until /close',
    run: (c, [reason]) => c.part(reason),
  },
  passwd: {
    shape: 'word word',
    usage: '/passwd OLD NEW',
    help: "change your account's password (neither may hold a space)",
    secret: true,
    run: (c, [old, next]) => c.passwd(old!, next!),
  },
  query: { shape: 'word', usage: '/query NAME', help: 'open a private window with NAME; /q for short', run: (c, [name]) => c.query(name!) },
  quit: {
    shape: 'text?',
    usage: '/quit [MESSAGE]',
    help: 'leave, with a parting message for the server (Ctrl-C does the same)',
    lineHelp: 'leave now, without reading further input',
    run: (c, [message]) => c.quit(message),
  },
  register: {
    shape: 'word',
    usage: '/register PASSWORD',
    help: 'make your name an account, yours alone, with this password (no spaces)',
    secret: true,
    run: (c, [password]) => c.register(password!),
  },
  rooms: { shape: 'none', usage: '/rooms', help: 'rooms that have people in them', run: (c) => c.rooms() },
  search: {
    shape: 'text',
    usage: '/search TEXT',
    help: 'find messages in your rooms (words in any order; Chinese and Japanese too), newest first',
    run: (c, [text]) => c.search(text!.trim()),
  },
  topic: { shape: 'text?', usage: '/topic [TEXT]', help: "show this room's topic, or set it", run: (c, [text]) => c.topic(text) },
  unban: {
    shape: 'text',
    usage: '/unban NAME|ADDRESS [#ROOM]',
    help: 'operators and founders: lift a ban',
    run: (c, [text]) => {
      const a = moderationArgs(text!.trim().split(/\s+/));
      c.moderate({ type: 'unban', ...banTarget(a.target), ...(a.room ? { room: a.room } : {}) });
    },
  },
  unmute: {
    shape: 'text',
    usage: '/unmute NAME [#ROOM]',
    help: 'operators and founders: let NAME talk again in this room (or #ROOM)',
    run: (c, [text]) => {
      const a = moderationArgs(text!.trim().split(/\s+/));
      c.moderate({ type: 'unmute', name: a.target, ...(a.room ? { room: a.room } : {}) });
    },
  },
  urls: {
    shape: 'none',
    usage: '/urls',
    help: 'list the links in the pane, each whole on its own line, to copy',
    lineHelp: null,
    run: (c) => c.urls(),
  },
  users: {
    shape: 'none',
    usage: '/users',
    help: 'show or hide the user list',
    lineHelp: 'list the people in this room',
    run: (c) => c.toggleUsers(),
  },
  who: { shape: 'none', usage: '/who', help: 'everyone on the server', run: (c) => c.who() },
  window: {
    shape: 'word',
    usage: '/window N',
    help: 'go to window N (Alt-1 … Alt-0 too)',
    lineHelp: 'send what follows to window N',
    run: (c, [n]) => (/^\d+$/.test(n!) ? c.window(Number(n)) : c.error('Usage: /window N: N is a window number')),
  },
};

/** Short forms, as irssi users type them. */
const ALIASES: Readonly<Record<string, string>> = { exit: 'quit', j: 'join', q: 'query' };

export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS).sort();

/** The last lines of /help: the keys on the full screen (listed here so /help has one source), what ends line mode. */
export const MODE_HELP: Readonly<Record<InputMode, readonly string[]>> = {
  screen: [
    'Enter send · Up/Down history · Tab complete names and commands',
    'Alt-1 … Alt-0 window 1 … 10 · Alt-a next window with news · Ctrl-N/Ctrl-P next/previous window',
    'Ctrl-A/E start/end · Ctrl-U/K kill to start/end · Ctrl-W kill word · Ctrl-Y yank',
    'PgUp/PgDn or the mouse wheel scroll · F2 user list · Ctrl-L redraw · Ctrl-C quit',
  ],
  line: ['At the end of input the client waits until every line it sent is delivered, then quits.'],
};

function helpText(command: Command, mode: InputMode): string | null {
  return mode === 'line' && command.lineHelp !== undefined ? command.lineHelp : command.help;
}

/** The table entry for a name as typed ("join", "/JOIN", "exit"), if there is one. */
function lookup(typed: string): Command | undefined {
  const name = typed.replace(/^\//, '').toLowerCase();
  if (Object.hasOwn(COMMANDS, name)) return COMMANDS[name];
  return Object.hasOwn(ALIASES, name) ? COMMANDS[ALIASES[name]!] : undefined;
}

function help(ctx: CommandContext, mode: InputMode, topic?: string): void {
  if (topic !== undefined) {
    const command = lookup(topic);
    if (!command) return ctx.error(`Unknown command: /${topic.replace(/^\//, '')} (type /help for the list)`);
    return ctx.info(`${command.usage}  ${helpText(command, mode) ?? 'only on the full screen'}`);
  }
  const listed = COMMAND_NAMES.map((n) => COMMANDS[n]!).filter((c) => helpText(c, mode) !== null);
  const width = Math.max(...listed.map((c) => c.usage.length));
  ctx.info('Commands:');
  for (const c of listed) ctx.info(`  ${c.usage.padEnd(width)}  ${helpText(c, mode)!}`);
  ctx.info('Text that does not start with / is said to the room; start it with // to say a line beginning with /.');
  for (const line of MODE_HELP[mode]) ctx.info(line);
}

/** Split the arguments after the command name according to its shape; undefined if they do not fit. */
export function parseArgs(shape: Shape, rest: string): string[] | undefined {
  const trimmed = rest.trim();
  switch (shape) {
    case 'none':
      return trimmed === '' ? [] : undefined;
    case 'word':
      return /^\S+$/.test(trimmed) ? [trimmed] : undefined;
    case 'word?':
      return trimmed === '' ? [] : /^\S+$/.test(trimmed) ? [trimmed] : undefined;
    case 'text':
      return trimmed === '' ? undefined : [rest.replace(/^ /, '')];
    case 'text?':
      return trimmed === '' ? [] : [rest.replace(/^ /, '')];
    case 'word word': {
      const m = /^(\S+)\s+(\S+)$/.exec(trimmed);
      return m ? [m[1]!, m[2]!] : undefined;
    }
    case 'word text': {
      const m = /^(\S+)\s+(.*\S.*)$/s.exec(trimmed);
      return m ? [m[1]!, m[2]!] : undefined;
    }
  }
}

/**
 * Whether a line the user entered may go into the input history: not one that holds a password
 * (`/register`, `/passwd`, however the name is typed), so that Up never shows it again.
 */
export function keepInHistory(line: string): boolean {
  if (!line.startsWith('/') || line.startsWith('//')) return true;
  return lookup(/^\/(\S*)/.exec(line)![1]!)?.secret !== true;
}

/**
 * Run one line the user entered: a command, or text to say. Blank lines do nothing.
 * Unknown commands and bad arguments become local error lines; they are never sent as chat.
 */
export function runInput(ctx: CommandContext, line: string, mode: InputMode = 'screen'): void {
  if (line.trim() === '') return;
  if (!line.startsWith('/')) return ctx.say(line);
  if (line.startsWith('//')) return ctx.say(line.slice(1));
  const m = /^\/(\S+)(.*)$/s.exec(line);
  const command = lookup(m?.[1] ?? '');
  if (!command) return ctx.error(`Unknown command: /${m?.[1] ?? ''} (type /help for the list)`);
  const args = parseArgs(command.shape, m?.[2] ?? '');
  if (!args) return ctx.error(command.badArgs ? `Usage: ${command.usage}: ${command.badArgs}` : `Usage: ${command.usage}`);
  command.run(ctx, args, mode);
}
