/**
 * @module
 * Rooms: room → members. The only writer of membership. Each member is in exactly one room; a
 * room exists while it has members. Each room's names and the list of rooms are kept in display
 * order (SortedNames), so that `look`, `join`, `welcome` and `rooms` cost what they return.
 */
import { MAIN_ROOM } from '../protocol/index.js';
import { skeleton } from '../protocol/skeleton.js';
import { compareNames, SortedNames, type Compare } from './users.js';

export interface Member {
  name: string | undefined;
  room: string | undefined;
}

interface Room<T> {
  readonly members: Set<T>;
  readonly names: SortedNames;
}

export class Rooms<T extends Member> {
  private readonly byRoom = new Map<string, Room<T>>();
  private readonly order: SortedNames;
  /** Invariant: skeleton → room for every room in byRoom, so no two rooms look alike. */
  private readonly bySkeleton = new Map<string, string>();

  /** `compare` is for tests that count comparisons; the server uses compareNames. */
  constructor(private readonly compare: Compare = compareNames) {
    this.order = new SortedNames(compare);
  }

  /** Rooms that have people in them. */
  get count(): number {
    return this.byRoom.size;
  }

  /**
   * The room a join of the folded `room` lands in: the existing room that looks like it
   * ("#mаin" with a Cyrillic а is "#main"), else `room` itself. The look-alikes of #main always
   * mean #main, even while it is empty, so that no one can hold a fake #main for newcomers.
   */
  resolve(room: string): string {
    const key = skeleton(room);
    return key === MAIN_SKELETON ? MAIN_ROOM : (this.bySkeleton.get(key) ?? room);
  }

  /**
   * Put `member` (who has a name by now) in `room` (resolved first), taking it out of its old
   * room; returns the old room.
   */
  join(member: T, room: string): string | undefined {
    const old = this.leave(member);
    room = this.resolve(room);
    let entry = this.byRoom.get(room);
    if (!entry) {
      entry = { members: new Set(), names: new SortedNames(this.compare) };
      this.byRoom.set(room, entry);
      this.order.add(room);
      this.bySkeleton.set(skeleton(room), room);
    }
    entry.members.add(member);
    entry.names.add(member.name!);
    member.room = room;
    return old;
  }

  /** Take `member` out of its room; returns the room it was in. */
  leave(member: T): string | undefined {
    const room = member.room;
    if (room === undefined) return undefined;
    const entry = this.byRoom.get(room);
    if (entry?.members.delete(member)) entry.names.delete(member.name!);
    if (entry?.members.size === 0) {
      this.byRoom.delete(room);
      this.order.delete(room);
      this.bySkeleton.delete(skeleton(room));
    }
    member.room = undefined;
    return room;
  }

  /** `member` was renamed from `from` (by Users): its room's order follows. */
  renamed(member: T, from: string): void {
    const entry = member.room === undefined ? undefined : this.byRoom.get(member.room);
    if (!entry?.members.has(member) || !entry.names.delete(from)) return;
    entry.names.add(member.name!);
  }

  members(room: string): ReadonlySet<T> {
    return this.byRoom.get(room)?.members ?? EMPTY;
  }

  /** Member names, sorted by compareNames (kept in order, so this does no comparisons). */
  names(room: string): string[] {
    return this.byRoom.get(room)?.names.values() ?? [];
  }

  /** Every room with its head count, sorted by name (no comparisons either). */
  list(): { room: string; users: number }[] {
    return this.order.values().map((room) => ({ room, users: this.byRoom.get(room)!.members.size }));
  }
}

const EMPTY: ReadonlySet<never> = new Set();
const MAIN_SKELETON = skeleton(MAIN_ROOM);
