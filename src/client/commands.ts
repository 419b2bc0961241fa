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
  nick(name: string): void;
  toggleUsers(): void;
  clear(): void;
  info(text: string): void;
  error(text: string): void;
  quit(): void;
}

/** The arguments a command takes: none, one word, an optional word, free text, or a word then free text. */
type Shape = 'none' | 'word' | 'word?' | 'text' | 'word text';

interface Command {
  shape: Shape;
  usage: string;
  help: string;
  run(ctx: CommandContext, args: string[]): void;
}

/** Sorted by name; `/help` lists them in this order. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  clear: { shape: 'none', usage: '/clear', help: 'clear the message pane', run: (c) => c.clear() },
  help: { shape: 'word?', usage: '/help [COMMAND]', help: 'list commands and keys, or show how to use one command', run: (c, [name]) => help(c, name) },
  join: { shape: 'word', usage: '/join ROOM', help: 'move to another room (#rust or rust)', run: (c, [room]) => c.join(room!) },
  look: { shape: 'none', usage: '/look', help: 'who is in this room', run: (c) => c.look() },
  me: { shape: 'text', usage: '/me TEXT', help: 'say an action: "* you TEXT"', run: (c, [text]) => c.me(text!) },
  msg: { shape: 'word text', usage: '/msg NAME TEXT', help: 'send a private message', run: (c, [to, text]) => c.msg(to!, text!) },
  nick: { shape: 'word', usage: '/nick NAME', help: 'change your name', run: (c, [name]) => c.nick(name!) },
  quit: { shape: 'none', usage: '/quit', help: 'leave (Ctrl-C does the same)', run: (c) => c.quit() },
  rooms: { shape: 'none', usage: '/rooms', help: 'rooms that have people in them', run: (c) => c.rooms() },
  users: { shape: 'none', usage: '/users', help: 'show or hide the user list', run: (c) => c.toggleUsers() },
  who: { shape: 'none', usage: '/who', help: 'everyone on the server', run: (c) => c.who() },
};

export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS).sort();

/** Keys, for /help (the screen binds them; they are listed here so /help has one source). */
export const KEY_HELP: readonly string[] = [
  'Enter send · Up/Down history · Tab complete names and commands',
  'Ctrl-A/E start/end · Ctrl-U/K kill to start/end · Ctrl-W kill word · Ctrl-Y yank',
  'PgUp/PgDn or the mouse wheel scroll · F2 user list · Ctrl-L redraw · Ctrl-C quit',
];

/** The table entry for a name as typed ("join", "/JOIN", "exit"), if there is one. */
function lookup(typed: string): Command | undefined {
  const name = typed.replace(/^\//, '').toLowerCase();
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : name === 'exit' ? COMMANDS.quit : undefined;
}

function help(ctx: CommandContext, topic?: string): void {
  if (topic !== undefined) {
    const command = lookup(topic);
    if (!command) return ctx.error(`Unknown command: /${topic.replace(/^\//, '')} (type /help for the list)`);
    return ctx.info(`${command.usage}  ${command.help}`);
  }
  const width = Math.max(...COMMAND_NAMES.map((n) => COMMANDS[n]!.usage.length));
  ctx.info('Commands:');
  for (const name of COMMAND_NAMES) ctx.info(`  ${COMMANDS[name]!.usage.padEnd(width)}  ${COMMANDS[name]!.help}`);
  ctx.info('Text that does not start with / is said to the room; start it with // to say a line beginning with /.');
  for (const line of KEY_HELP) ctx.info(line);
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
    case 'word text': {
      const m = /^(\S+)\s+(.*\S.*)$/s.exec(trimmed);
      return m ? [m[1]!, m[2]!] : undefined;
    }
  }
}

/**
 * Run one line the user entered: a command, or text to say. Blank lines do nothing.
 * Unknown commands and bad arguments become local error lines; they are never sent as chat.
 */
export function runInput(ctx: CommandContext, line: string): void {
  if (line.trim() === '') return;
  if (!line.startsWith('/')) return ctx.say(line);
  if (line.startsWith('//')) return ctx.say(line.slice(1));
  const m = /^\/(\S+)(.*)$/s.exec(line);
  const command = lookup(m?.[1] ?? '');
  if (!command) return ctx.error(`Unknown command: /${m?.[1] ?? ''} (type /help for the list)`);
  const args = parseArgs(command.shape, m?.[2] ?? '');
  if (!args) return ctx.error(`Usage: ${command.usage}`);
  command.run(ctx, args);
}
