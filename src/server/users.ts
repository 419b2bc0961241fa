/**
 * @module
 * Users: the server's name map, folded name → member. The only writer of names and of the
 * logged-in count. Names are also kept in display order (SortedNames), so that a `who` costs what
 * it returns: no reply sorts.
 */
import { foldName } from '../protocol/index.js';

export interface Named {
  name: string | undefined;
}

const collator = new Intl.Collator('en', { sensitivity: 'base' });

/**
 * The order people read names in: case- and accent-insensitive (Intl.Collator), with distinct
 * strings that the collator finds equal ("Zoe", "Zoë") ordered by code unit, so the order is
 * total and a name can be found by binary search.
 */
export function compareNames(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

export type Compare = (a: string, b: string) => number;

/**
 * Strings kept in `compare` order: add and delete cost O(log n) comparisons (plus moving
 * pointers), reading costs none. The order is kept as names come and go, instead of being made
 * again for each reply.
 */
export class SortedNames {
  private readonly items: string[] = [];

  constructor(private readonly compare: Compare = compareNames) {}

  get size(): number {
    return this.items.length;
  }

  add(name: string): void {
    this.items.splice(this.lowerBound(name), 0, name);
  }

  delete(name: string): boolean {
    const i = this.lowerBound(name);
    if (this.items[i] !== name) return false;
    this.items.splice(i, 1);
    return true;
  }

  /** A copy, in order. */
  values(): string[] {
    return this.items.slice();
  }

  /** The first index whose item is not before `name`. */
  private lowerBound(name: string): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(this.items[mid]!, name) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export class Users<T extends Named> {
  private readonly byName = new Map<string, T>();
  private readonly sorted: SortedNames;

  /** `compare` is for tests that count comparisons; the server uses compareNames. */
  constructor(compare: Compare = compareNames) {
    this.sorted = new SortedNames(compare);
  }

  get count(): number {
    return this.byName.size;
  }

  get(name: string): T | undefined {
    return this.byName.get(foldName(name));
  }

  /** Log `member` in as `name`; false when the name is taken. */
  add(member: T, name: string): boolean {
    const key = foldName(name);
    if (this.byName.has(key)) return false;
    this.byName.set(key, member);
    member.name = name;
    this.sorted.add(name);
    return true;
  }

  /** Rename; false when `name` belongs to someone else. A change of case only is allowed. */
  rename(member: T, name: string): boolean {
    const key = foldName(name);
    const holder = this.byName.get(key);
    if (holder !== undefined && holder !== member) return false;
    if (member.name !== undefined && this.byName.get(foldName(member.name)) === member) {
      this.byName.delete(foldName(member.name));
      this.sorted.delete(member.name);
    }
    this.byName.set(key, member);
    this.sorted.add(name);
    member.name = name;
    return true;
  }

  remove(member: T): void {
    if (member.name !== undefined && this.byName.get(foldName(member.name)) === member) {
      this.byName.delete(foldName(member.name));
      this.sorted.delete(member.name);
    }
  }

  /** Everyone's name, sorted by compareNames (kept in order, so this does no comparisons). */
  names(): string[] {
    return this.sorted.values();
  }

  all(): IterableIterator<T> {
    return this.byName.values();
  }
}
