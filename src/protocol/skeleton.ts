/**
 * @module
 * Look-alike names: the confusable skeleton of Unicode UTS #39 (section 4). Two names whose
 * skeletons are equal look alike ("alice" and "аlice" with a Cyrillic а, "paypal" and "paypa1",
 * "rn" and "m"): the server lets only one of them be online, and only one of two such rooms exist.
 * A skeleton is a key for comparison, never a name to show.
 */
import { CONFUSABLES } from './confusables-data.js';
import { foldName, lowerCase } from './names.js';

let table: Map<number, string> | undefined;

/** Built on first use: about 2000 entries, parsed once. */
function confusables(): Map<number, string> {
  if (table !== undefined) return table;
  table = new Map();
  for (const entry of CONFUSABLES.split(',')) {
    if (entry === '') continue;
    const [from, to] = entry.split(':') as [string, string];
    table.set(parseInt(from, 16), String.fromCodePoint(...to.split(' ').map((c) => parseInt(c, 16))));
  }
  return table;
}

/**
 * UTS #39's skeleton of the name's NFKC form (NFD, each character replaced by its prototype, NFD
 * again), then lower-cased as foldName does. The case is folded after the lookup, not before, as
 * Ergo does: the table maps "I" to "l", so "AIice" with a capital I must still meet "alice";
 * folding first would have made it "aiice".
 */
export function skeleton(name: string): string {
  const map = confusables();
  let out = '';
  for (const ch of name.normalize('NFKC').normalize('NFD')) out += map.get(ch.codePointAt(0)!) ?? ch;
  return lowerCase(out).normalize('NFD');
}

/**
 * The keys under which a name's look-alikes are found: the skeleton of the name as given and
 * that of its folded form (one key when they agree). Two names look alike when they share a key.
 * The first catches "AIice" (capital I) against "alice"; the second catches "АLICE" (Cyrillic А)
 * against "alice", whose case variant "ALICE" it copies, and makes names that fold equal always
 * share a key.
 */
export function lookalikeKeys(name: string): string[] {
  const a = skeleton(name);
  const b = skeleton(foldName(name));
  return a === b ? [a] : [a, b];
}
