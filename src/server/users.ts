/**
 * @module
 * Users: this process's name map, folded name → member, and its look-alike index, skeleton →
 * member (src/protocol/skeleton.ts). Names are also kept in display order (SortedNames), so that
 * a `who` costs what it returns: no reply sorts.
 *
 * Ownership by type: a member's name lives in its Identity, which anyone may read and only this
 * module can write (the setter is captured in a static block and never exported).
 */
import { compareNames, foldName } from '../protocol/internal.js';
import { lookalikeKeys } from '../protocol/internal.js';

let assignName!: (identity: Identity, name: string | undefined) => void;

/** A member's name as Users assigned it: undefined until login. */
export class Identity {
  #name: string | undefined;

  get name(): string | undefined {
    return this.#name;
  }

  static {
    assignName = (identity, name) => {
      identity.#name = name;
    };
  }
}

export interface Named {
  readonly id: number;
  readonly identity: Identity;
}

/** The one order names are listed in (src/protocol/names.ts), shared with the client. */
export { compareNames };

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
  /** Invariant: holds exactly the lookalikeKeys of every member's name, each → that member. */
  private readonly bySkeleton = new Map<string, T>();
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

  /** Whoever other than `member` holds `name` or a name that looks like it. */
  holder(name: string, member?: T): T | undefined {
    const same = this.byName.get(foldName(name));
    if (same !== undefined && same !== member) return same;
    for (const key of lookalikeKeys(name)) {
      const other = this.bySkeleton.get(key);
      if (other !== undefined && other !== member) return other;
    }
    return undefined;
  }

  /** Log `member` in as `name`; false when the name, or one that looks like it, is taken. */
  add(member: T, name: string): boolean {
    if (this.holder(name) !== undefined) return false;
    this.insert(member, name);
    return true;
  }

  /**
   * Rename; false when `name`, or one that looks like it, belongs to someone else. A change of
   * case only, or to a look-alike of one's own name, is allowed.
   */
  rename(member: T, name: string): boolean {
    if (this.holder(name, member) !== undefined) return false;
    this.remove(member);
    this.insert(member, name);
    return true;
  }

  remove(member: T): void {
    const name = member.identity.name;
    if (name === undefined || this.byName.get(foldName(name)) !== member) return;
    this.byName.delete(foldName(name));
    this.sorted.delete(name);
    for (const key of lookalikeKeys(name)) if (this.bySkeleton.get(key) === member) this.bySkeleton.delete(key);
  }

  private insert(member: T, name: string): void {
    this.byName.set(foldName(name), member);
    for (const key of lookalikeKeys(name)) this.bySkeleton.set(key, member);
    this.sorted.add(name);
    assignName(member.identity, name);
  }

  /** Everyone's name, sorted by compareNames (kept in order, so this does no comparisons). */
  names(): string[] {
    return this.sorted.values();
  }

  all(): IterableIterator<T> {
    return this.byName.values();
  }
}
