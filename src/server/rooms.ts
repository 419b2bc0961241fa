/**
 * @module
 * Rooms: room → members. The only writer of membership. Each member is in exactly one room; a
 * room exists while it has members.
 */
import { MAIN_ROOM } from '../protocol/index.js';
import { skeleton } from '../protocol/skeleton.js';
import { compareNames } from './users.js';

export interface Member {
  name: string | undefined;
  room: string | undefined;
}

export class Rooms<T extends Member> {
  private readonly byRoom = new Map<string, Set<T>>();
  /** Invariant: skeleton → room for every room in byRoom, so no two rooms look alike. */
  private readonly bySkeleton = new Map<string, string>();

  /**
   * The room a join of the folded `room` lands in: the existing room that looks like it
   * ("#mаin" with a Cyrillic а is "#main"), else `room` itself. The look-alikes of #main always
   * mean #main, even while it is empty, so that no one can hold a fake #main for newcomers.
   */
  resolve(room: string): string {
    const key = skeleton(room);
    return key === MAIN_SKELETON ? MAIN_ROOM : (this.bySkeleton.get(key) ?? room);
  }

  /** Put `member` in `room` (resolved first), taking it out of its old room; returns the old room. */
  join(member: T, room: string): string | undefined {
    const old = this.leave(member);
    room = this.resolve(room);
    let members = this.byRoom.get(room);
    if (!members) {
      members = new Set();
      this.byRoom.set(room, members);
      this.bySkeleton.set(skeleton(room), room);
    }
    members.add(member);
    member.room = room;
    return old;
  }

  /** Take `member` out of its room; returns the room it was in. */
  leave(member: T): string | undefined {
    const room = member.room;
    if (room === undefined) return undefined;
    const members = this.byRoom.get(room);
    members?.delete(member);
    if (members?.size === 0) {
      this.byRoom.delete(room);
      this.bySkeleton.delete(skeleton(room));
    }
    member.room = undefined;
    return room;
  }

  members(room: string): ReadonlySet<T> {
    return this.byRoom.get(room) ?? EMPTY;
  }

  /** Member names in join order (a welcome to a room of 10 000 must not sort 10 000 names). */
  names(room: string): string[] {
    const out: string[] = [];
    for (const member of this.members(room)) out.push(member.name!);
    return out;
  }

  list(): { room: string; users: number }[] {
    return [...this.byRoom].map(([room, members]) => ({ room, users: members.size })).sort((a, b) => compareNames(a.room, b.room));
  }
}

const EMPTY: ReadonlySet<never> = new Set();
const MAIN_SKELETON = skeleton(MAIN_ROOM);
