import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, COMMANDS, keepInHistory, parseArgs, runInput, type CommandContext } from '../../src/client/commands.js';

/** A context that records each call as "method(arg, arg)". */
function recorder(): { ctx: CommandContext; calls: string[] } {
  const calls: string[] = [];
  const ctx = new Proxy({} as CommandContext, {
    get:
      (_t, method: string) =>
      (...args: string[]) =>
        calls.push(`${method}(${args.join(', ')})`),
  });
  return { ctx, calls };
}

describe('slash commands', () => {
  it.each<[string, string[]]>([
    ['hello world', ['say(hello world)']],
    ['/me waves hello', ['me(waves hello)']],
    ['/msg bob are you there?', ['msg(bob, are you there?)']],
    ['/who', ['who()']],
    ['/look', ['look()']],
    ['/rooms', ['rooms()']],
    ['/join #rust', ['join(#rust)']],
    ['/join rust', ['join(rust)']],
    ['/nick alice2', ['nick(alice2)']],
    ['/users', ['toggleUsers()']],
    ['/clear', ['clear()']],
    ['/quit', ['quit()']],
    ['/exit', ['quit()']],
    ['/quit gone for lunch', ['quit(gone for lunch)']],
    ['/exit back at 2', ['quit(back at 2)']],
    ['/urls', ['urls()']],
    ['/JOIN #Rust', ['join(#Rust)']],
    ['/j #go', ['join(#go)']],
    ['/part', ['part()']],
    ['/part off to lunch', ['part(off to lunch)']],
    ['/topic', ['topic()']],
    ['/topic all about rust', ['topic(all about rust)']],
    ['/window 3', ['window(3)']],
    ['/window x', ['error(Usage: /window N: N is a window number)']],
    ['/query bob', ['query(bob)']],
    ['/q bob', ['query(bob)']],
    ['/close', ['close()']],
    ['/close 4', ['close(4)']],
    ['/me waves', ['me(waves)']],
    ['//not a command', ['say(/not a command)']],
    ['/register s3cret!', ['register(s3cret!)']],
    ['/passwd old-one new-one', ['passwd(old-one, new-one)']],
    ['/PASSWD a b', ['passwd(a, b)']],
    ['   ', []],
    ['', []],
  ])('runs %j', (input, calls) => {
    const r = recorder();
    runInput(r.ctx, input);
    expect(r.calls).toEqual(calls);
  });

  it.each<[string, string]>([
    ['/frobnicate now', 'error(Unknown command: /frobnicate (type /help for the list))'],
    ['/', 'error(Unknown command: / (type /help for the list))'],
    ['/msg bob', 'error(Usage: /msg NAME TEXT)'],
    ['/join', 'error(Usage: /join ROOM: a room name is "#" then 1-32 letters, digits, "_", "-" or ".", no spaces)'],
    ['/join bad room', 'error(Usage: /join ROOM: a room name is "#" then 1-32 letters, digits, "_", "-" or ".", no spaces)'],
    ['/me', 'error(Usage: /me TEXT)'],
    ['/who is there', 'error(Usage: /who)'],
    ['/help join now', 'error(Usage: /help [COMMAND])'],
    ['/help frobnicate', 'error(Unknown command: /frobnicate (type /help for the list))'],
    ['/constructor', 'error(Unknown command: /constructor (type /help for the list))'],
    // A password with a space, or a missing one, is refused without repeating what was typed.
    ['/register two words', 'error(Usage: /register PASSWORD)'],
    ['/register', 'error(Usage: /register PASSWORD)'],
    ['/passwd only-one', 'error(Usage: /passwd OLD NEW)'],
    ['/passwd a b c', 'error(Usage: /passwd OLD NEW)'],
  ])('answers %j with a local error, never chat', (input, call) => {
    const r = recorder();
    runInput(r.ctx, input);
    expect(r.calls).toEqual([call]);
  });

  it('lists every command with its usage in /help', () => {
    const r = recorder();
    runInput(r.ctx, '/help');
    for (const name of COMMAND_NAMES) expect(r.calls.some((c) => c.includes(COMMANDS[name]!.usage))).toBe(true);
    expect(r.calls.every((c) => c.startsWith('info('))).toBe(true);
  });

  it.each<[string, string]>([
    ['/help join', 'info(/join ROOM  join a room (#rust or rust) and go to its window; /j for short)'],
    ['/help /MSG', 'info(/msg NAME TEXT  send a private message)'],
    ['/help exit', 'info(/quit [MESSAGE]  leave, with a parting message for the server (Ctrl-C does the same))'],
  ])("answers %j with that command's usage line", (input, call) => {
    const r = recorder();
    runInput(r.ctx, input);
    expect(r.calls).toEqual([call]);
  });

  it("lists the full screen's keys in /help only on the full screen", () => {
    const screen = recorder();
    runInput(screen.ctx, '/help');
    expect(screen.calls.some((c) => c.includes('F2 user list'))).toBe(true);
    const line = recorder();
    runInput(line.ctx, '/help', 'line');
    expect(line.calls.some((c) => /F2|PgUp|Ctrl-L/.test(c))).toBe(false);
    expect(line.calls.some((c) => c.includes('/clear'))).toBe(false);
    expect(line.calls.some((c) => c.includes('/join ROOM'))).toBe(true);
  });

  it('has the table sorted, so /help and completion list commands in order', () => {
    expect(Object.keys(COMMANDS)).toEqual([...COMMAND_NAMES]);
  });

  it.each<[Parameters<typeof parseArgs>[0], string, string[] | undefined]>([
    ['none', '', []],
    ['none', ' x', undefined],
    ['word', ' bob ', ['bob']],
    ['word', '', undefined],
    ['word?', '', []],
    ['word?', ' join ', ['join']],
    ['word?', ' two words', undefined],
    ['text', ' keeps  inner  spaces', ['keeps  inner  spaces']],
    ['text', '  ', undefined],
    ['text?', '', []],
    ['text?', ' gone for lunch', ['gone for lunch']],
    ['word text', ' bob  hi there', ['bob', 'hi there']],
    ['word text', ' bob', undefined],
  ])('parses a %s argument from %j', (shape, rest, args) => {
    expect(parseArgs(shape, rest)).toEqual(args);
  });
});

describe('lines that hold a password', () => {
  it.each<[string, boolean]>([
    ['/register s3cret', false],
    ['/REGISTER s3cret', false],
    ['/passwd old new', false],
    ['/register', false],
    ['hello', true],
    ['/msg bob my password is not here', true],
    ['//register is said, not run', true],
    ['/regster typo', true],
    ['/', true],
  ])('%j goes into the input history: %s', (line, kept) => {
    expect(keepInHistory(line)).toBe(kept);
  });
});
