/**
 * @module
 * Users: the server's name map, folded name → member, and its look-alike index, skeleton →
 * member (src/protocol/skeleton.ts). The only writer of names and of the logged-in count.
 */
import { foldName } from '../protocol/index.js';
import { lookalikeKeys } from '../protocol/skeleton.js';

export interface Named {
  name: string | undefined;
}

export class Users<T extends Named> {
  private readonly byName = new Map<string, T>();
  /** Invariant: holds exactly the lookalikeKeys of every member's name, each → that member. */
  private readonly bySkeleton = new Map<string, T>();

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
    this.byName.set(foldName(name), member);
    for (const key of lookalikeKeys(name)) this.bySkeleton.set(key, member);
    member.name = name;
    return true;
  }

  /**
   * Rename; false when `name`, or one that looks like it, belongs to someone else. A change of
   * case only, or to a look-alike of one's own name, is allowed.
   */
  rename(member: T, name: string): boolean {
    if (this.holder(name, member) !== undefined) return false;
    this.remove(member);
    this.byName.set(foldName(name), member);
    for (const key of lookalikeKeys(name)) this.bySkeleton.set(key, member);
    member.name = name;
    return true;
  }

  remove(member: T): void {
    if (member.name === undefined) return;
    if (this.byName.get(foldName(member.name)) === member) this.byName.delete(foldName(member.name));
    for (const key of lookalikeKeys(member.name)) if (this.bySkeleton.get(key) === member) this.bySkeleton.delete(key);
  }

  /** Everyone's name, in login order: sorting is the reader's business (it costs O(n log n) per call). */
  names(): string[] {
    const out: string[] = [];
    for (const member of this.byName.values()) out.push(member.name!);
    return out;
  }

  all(): IterableIterator<T> {
    return this.byName.values();
  }
}

const collator = new Intl.Collator('en', { sensitivity: 'base' });
export const compareNames = collator.compare;
