/**
 * @module
 * Rooms: room → members. The only writer of membership. Each member is in exactly one room; a
 * room exists while it has members.
 */
import { compareNames } from './users.js';

export interface Member {
  name: string | undefined;
  room: string | undefined;
}

export class Rooms<T extends Member> {
  private readonly byRoom = new Map<string, Set<T>>();

  /** Put `member` in `room`, taking it out of its old room; returns the old room. */
  join(member: T, room: string): string | undefined {
    const old = this.leave(member);
    let members = this.byRoom.get(room);
    if (!members) {
      members = new Set();
      this.byRoom.set(room, members);
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
    if (members?.size === 0) this.byRoom.delete(room);
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
