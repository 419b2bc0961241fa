/**
 * @module
 * Tab completion of the word before the cursor: commands (from the command table) at the start of
 * the line, `#rooms`, and otherwise names, people who spoke recently first. Pressing Tab again
 * cycles through the candidates; any other key ends the cycle (the caller calls reset()).
 * A name completed at the start of the line gets ": " after it, as in irssi.
 */
import { foldName } from '../protocol/internal.js';

export interface CompletionSources {
  /** Candidate names, best first (recent speakers, then the room's users). */
  names: readonly string[];
  /** Command names without the slash. */
  commands: readonly string[];
  /** Rooms we know of, with their '#'. */
  rooms: readonly string[];
}

interface Cycle {
  /** The line as it was before the first Tab, split at the word being completed. */
  before: string;
  after: string;
  candidates: string[];
  index: number;
}

export class Completer {
  private cycle: Cycle | undefined;

  reset(): void {
    this.cycle = undefined;
  }

  /**
   * Complete `text` at `cursor` (in code points). Returns the new text and cursor, or undefined
   * when nothing matches (the caller may beep or do nothing).
   */
  complete(text: string, cursor: number, sources: CompletionSources): { text: string; cursor: number } | undefined {
    if (this.cycle) {
      this.cycle.index = (this.cycle.index + 1) % this.cycle.candidates.length;
      return this.apply(this.cycle);
    }
    const chars = [...text];
    let start = cursor;
    while (start > 0 && chars[start - 1] !== ' ') start--;
    const word = chars.slice(start, cursor).join('');
    const before = chars.slice(0, start).join('');
    const after = chars.slice(cursor).join('');
    const candidates = candidatesFor(word, start === 0, sources);
    if (candidates.length === 0) return undefined;
    this.cycle = { before, after, candidates, index: 0 };
    return this.apply(this.cycle);
  }

  private apply(cycle: Cycle): { text: string; cursor: number } {
    const head = cycle.before + cycle.candidates[cycle.index]!;
    return { text: head + cycle.after, cursor: [...head].length };
  }
}

/**
 * The names to offer, best first: people who spoke lately and are still in the room or share
 * private lines with us, then the rest of the room, then the rest of those we had private lines
 * with (a /msg reaches them in any room). People who left the room are not offered, nor are we.
 */
export function completionNames(people: {
  recent: readonly string[];
  users: readonly string[];
  partners: readonly string[];
  me: string;
}): string[] {
  const keys = (names: readonly string[]): Set<string> => new Set(names.map(foldName));
  const reachable = new Set([...keys(people.users), ...keys(people.partners)]);
  const me = foldName(people.me);
  const recent = people.recent.filter((n) => reachable.has(foldName(n)));
  return [...recent, ...people.users, ...people.partners].filter((n) => foldName(n) !== me);
}

/** The full replacements for `word` (suffix included), best first, without duplicates. */
export function candidatesFor(word: string, atLineStart: boolean, sources: CompletionSources): string[] {
  if (atLineStart && word.startsWith('/')) {
    const prefix = word.slice(1).toLowerCase();
    return sources.commands.filter((c) => c.startsWith(prefix)).map((c) => `/${c} `);
  }
  if (word === '') return [];
  const folded = foldName(word);
  const pool = word.startsWith('#') ? sources.rooms : sources.names;
  const seen = new Set<string>();
  const out: string[] = [];
  for (const name of pool) {
    const key = foldName(name);
    if (!key.startsWith(folded) || seen.has(key)) continue;
    seen.add(key);
    out.push(atLineStart && !word.startsWith('#') ? `${name}: ` : `${name} `);
  }
  return out;
}
