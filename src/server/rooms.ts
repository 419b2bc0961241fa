/**
 * @module
 * Rooms: room → members, and the only writer of membership. A member may be in several rooms; a
 * room exists while it has members. Each room's names and the list of rooms are kept in display
 * order (SortedNames), so that `look`, `join`, `welcome` and `rooms` cost what they return, and
 * an index of skeletons keeps two rooms from looking alike.
 *
 * Ownership by type: a member's rooms live in its Membership, which anyone may read and only
 * this module can change (the writers are captured in a static block and never exported).
 */
import { MAIN_ROOM, type RoomInfo } from '../protocol/internal.js';
import { skeleton } from '../protocol/internal.js';
import { compareNames, SortedNames, type Compare, type Named } from './users.js';

let addRoom!: (membership: Membership, room: string) => void;
let removeRoom!: (membership: Membership, room: string) => void;

/** The rooms one member is in, in the order joined. */
export class Membership {
  readonly #rooms = new Set<string>();

  get rooms(): ReadonlySet<string> {
    return this.#rooms;
  }

  get size(): number {
    return this.#rooms.size;
  }

  has(room: string): boolean {
    return this.#rooms.has(room);
  }

  /** The only room, when in exactly one. */
  get only(): string | undefined {
    if (this.#rooms.size !== 1) return undefined;
    for (const room of this.#rooms) return room;
    return undefined;
  }

  static {
    addRoom = (m, room) => void m.#rooms.add(room);
    removeRoom = (m, room) => void m.#rooms.delete(room);
  }
}

export interface Member extends Named {
  readonly membership: Membership;
}

/** A room's topic: text "" when it has none. */
export interface Topic {
  readonly text: string;
  readonly by: string;
  readonly ts: number;
}

export const NO_TOPIC: Topic = { text: '', by: '', ts: 0 };

interface Room<T> {
  readonly members: Set<T>;
  readonly names: SortedNames;
  topic: Topic;
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

  has(room: string): boolean {
    return this.byRoom.has(room);
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

  /** Put `member` (who has a name by now) in `room` too; false when it was in it already. */
  join(member: T, room: string): boolean {
    const name = member.identity.name;
    if (name === undefined || member.membership.has(room)) return false;
    let entry = this.byRoom.get(room);
    if (!entry) {
      entry = { members: new Set(), names: new SortedNames(this.compare), topic: NO_TOPIC };
      this.byRoom.set(room, entry);
      this.order.add(room);
      this.bySkeleton.set(skeleton(room), room);
    }
    entry.members.add(member);
    entry.names.add(name);
    addRoom(member.membership, room);
    return true;
  }

  /** Take `member` out of `room`; false when it was not in it. */
  part(member: T, room: string): boolean {
    const entry = this.byRoom.get(room);
    if (!entry?.members.delete(member)) return false;
    const name = member.identity.name;
    if (name !== undefined) entry.names.delete(name);
    if (entry.members.size === 0) {
      this.byRoom.delete(room);
      this.order.delete(room);
      this.bySkeleton.delete(skeleton(room));
    }
    removeRoom(member.membership, room);
    return true;
  }

  /** Take `member` out of every room; returns the rooms it was in. */
  leaveAll(member: T): string[] {
    const left = [...member.membership.rooms];
    for (const room of left) this.part(member, room);
    return left;
  }

  /** `member` was renamed from `from` (by Users): the order of each of its rooms follows. */
  renamed(member: T, from: string): void {
    const name = member.identity.name;
    if (name === undefined) return;
    for (const room of member.membership.rooms) {
      const entry = this.byRoom.get(room);
      if (entry?.names.delete(from)) entry.names.add(name);
    }
  }

  /** The room's topic (a room with nobody in it has none: it is gone). */
  topic(room: string): Topic {
    return this.byRoom.get(room)?.topic ?? NO_TOPIC;
  }

  /** Set the topic of a room that exists; false when it does not. */
  setTopic(room: string, topic: Topic): boolean {
    const entry = this.byRoom.get(room);
    if (!entry) return false;
    entry.topic = topic;
    return true;
  }

  members(room: string): ReadonlySet<T> {
    return this.byRoom.get(room)?.members ?? EMPTY;
  }

  /** Member names, sorted by compareNames (kept in order, so this does no comparisons). */
  names(room: string): string[] {
    return this.byRoom.get(room)?.names.values() ?? [];
  }

  /** Every room with its head count and topic, sorted by name (no comparisons either). */
  list(): RoomInfo[] {
    const out: RoomInfo[] = [];
    for (const room of this.order.values()) {
      const entry = this.byRoom.get(room);
      if (entry) out.push({ room, users: entry.members.size, topic: entry.topic.text });
    }
    return out;
  }
}

const EMPTY: ReadonlySet<never> = new Set();
const MAIN_SKELETON = skeleton(MAIN_ROOM);
