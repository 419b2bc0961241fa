/**
 * @module
 * Directory: every read a welcome, `who`, `look`, `rooms` or a count makes, behind one interface.
 * LocalDirectory answers from this process's Users and Rooms; a cluster answers from the shared
 * presence (Redis) instead, so that lists and counts are cluster-wide.
 */
import type { RoomInfo } from '../protocol/index.js';
import type { Member, Rooms } from './rooms.js';
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
  /** Every room with people in it, with head counts. */
  rooms(): RoomInfo[];
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
}
