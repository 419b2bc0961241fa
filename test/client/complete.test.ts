import { describe, expect, it } from 'vitest';
import { candidatesFor, Completer, completionNames, type CompletionSources } from '../../src/client/complete.js';
import { COMMAND_NAMES } from '../../src/client/commands.js';

const sources: CompletionSources = { names: ['bob', 'alice', 'Bea', '小明'], commands: COMMAND_NAMES, rooms: ['#main', '#rust'] };

describe('tab completion', () => {
  it.each<[string, string, boolean, string[]]>([
    ['commands at the start of the line', '/j', true, ['/join ']],
    ['several commands share a prefix', '/m', true, ['/me ', '/more ', '/msg ', '/mute ']],
    ['every command after a lone slash', '/', true, COMMAND_NAMES.map((c) => `/${c} `)],
    ['a name at the start gets a colon', 'al', true, ['alice: ']],
    ['a name later in the line gets a space', 'al', false, ['alice ']],
    ['names match case-insensitively, best first', 'b', false, ['bob ', 'Bea ']],
    ['Chinese names', '小', false, ['小明 ']],
    ['rooms after a #', '#r', false, ['#rust ']],
    ['nothing for an empty word', '', false, []],
    ['nothing when no name matches', 'zed', false, []],
    ['a slash later in the line is not a command', '/j', false, []],
  ])('completes %s', (_what, word, atStart, expected) => {
    expect(candidatesFor(word, atStart, sources)).toEqual(expected);
  });

  it('completes the word before the cursor and keeps the rest of the line', () => {
    const c = new Completer();
    expect(c.complete('hi al, how', 5, sources)).toEqual({ text: 'hi alice , how', cursor: 9 });
  });

  it('cycles through the candidates on repeated Tab, and starts over after reset', () => {
    const c = new Completer();
    const first = c.complete('b', 1, sources)!;
    expect(first.text).toBe('bob: ');
    const second = c.complete(first.text, first.cursor, sources)!;
    expect(second.text).toBe('Bea: ');
    expect(c.complete(second.text, second.cursor, sources)!.text).toBe('bob: ');
    c.reset();
    expect(c.complete('a', 1, sources)!.text).toBe('alice: ');
  });

  it('returns nothing when nothing matches', () => {
    expect(new Completer().complete('xyz', 3, sources)).toBeUndefined();
  });

  it.each<[string, Parameters<typeof completionNames>[0], string[]]>([
    [
      'recent speakers first, then the room',
      { recent: ['bob'], users: ['alice', 'bob', 'carl'], partners: [], me: 'alice' },
      ['bob', 'bob', 'carl'],
    ],
    ['not someone who left the room', { recent: ['carl', 'bob'], users: ['alice', 'bob'], partners: [], me: 'alice' }, ['bob', 'bob']],
    [
      'someone we had private lines with, in any room',
      { recent: ['dave', 'carl'], users: ['alice'], partners: ['dave'], me: 'alice' },
      ['dave', 'dave'],
    ],
    ['never ourselves, whatever the case', { recent: ['Alice'], users: ['alice', 'bob'], partners: [], me: 'ALICE' }, ['bob']],
  ])('offers names: %s', (_what, people, names) => {
    expect(completionNames(people)).toEqual(names);
  });
});
