/**
 * @module
 * Users: the server's name map, folded name → member. The only writer of names and of the
 * logged-in count.
 */
import { foldName } from '../protocol/index.js';

export interface Named {
  name: string | undefined;
}

export class Users<T extends Named> {
  private readonly byName = new Map<string, T>();

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
    return true;
  }

  /** Rename; false when `name` belongs to someone else. A change of case only is allowed. */
  rename(member: T, name: string): boolean {
    const key = foldName(name);
    const holder = this.byName.get(key);
    if (holder !== undefined && holder !== member) return false;
    if (member.name !== undefined) this.byName.delete(foldName(member.name));
    this.byName.set(key, member);
    member.name = name;
    return true;
  }

  remove(member: T): void {
    if (member.name !== undefined && this.byName.get(foldName(member.name)) === member) {
      this.byName.delete(foldName(member.name));
    }
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
