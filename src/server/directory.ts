/**
 * @module
 * Directory: every read a welcome, `who`, `look`, `rooms` or a count makes, behind one interface.
 * LocalDirectory answers from this process's Users and Rooms; a cluster answers from the shared
 * presence (Redis) instead, so that lists and counts are cluster-wide.
 */
import type { RoomInfo } from '../protocol/internal.js';
import type { Member, Rooms, Topic } from './rooms.js';
import type { Users } from './users.js';

export interface Directory {
  /** Logged-in users. */
  readonly clients: number;
  /** The name as its holder spelled it, when someone of that name (folded) is online. */
  user(name: string): string | undefined;
  /** Everyone logged in. */
  users(): string[];
  /** The members of `room`, in join order. */
  roomUsers(room: string): string[];
  /** Every room with people in it, with head counts and topics. */
  rooms(): RoomInfo[];
  /** A room's topic. */
  topic(room: string): Topic;
  /** The room a join of the folded `room` lands in (the existing look-alike, or itself). */
  resolve(room: string): string;
  /** Does the room exist (has anyone in it)? */
  hasRoom(room: string): boolean;
  /** Rooms that exist. */
  readonly roomCount: number;
}

export class LocalDirectory<T extends Member> implements Directory {
  constructor(
    private readonly usersMap: Users<T>,
    private readonly roomsMap: Rooms<T>,
  ) {}

  get clients(): number {
    return this.usersMap.count;
  }

  user(name: string): string | undefined {
    return this.usersMap.get(name)?.identity.name;
  }

  users(): string[] {
    return this.usersMap.names();
  }

  roomUsers(room: string): string[] {
    return this.roomsMap.names(room);
  }

  rooms(): RoomInfo[] {
    return this.roomsMap.list();
  }

  topic(room: string): Topic {
    return this.roomsMap.topic(room);
  }

  resolve(room: string): string {
    return this.roomsMap.resolve(room);
  }

  hasRoom(room: string): boolean {
    return this.roomsMap.has(room);
  }

  get roomCount(): number {
    return this.roomsMap.count;
  }
}
