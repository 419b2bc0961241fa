/**
 * @module
 * Fanout: how a packet reaches its recipients. Handlers publish to a room, to one user or to
 * everyone, and never touch sockets. LocalFanout delivers to this process's sessions; a multi-node
 * backplane would implement the same interface (publish to the bus, deliver locally on receipt)
 * without any change to sessions or handlers.
 */
import type { Packet } from './packet.js';
import type { Rooms } from './rooms.js';
import type { Users } from './users.js';

export interface Recipient {
  name: string | undefined;
  room: string | undefined;
  deliver(packet: Packet): void;
}

export interface Fanout {
  /** Everyone in `room` except `except`. */
  toRoom(room: string, packet: Packet, except?: Recipient): void;
  /** Everyone logged in except `except`. */
  toAll(packet: Packet, except?: Recipient): void;
}

export class LocalFanout<T extends Recipient> implements Fanout {
  constructor(
    private readonly rooms: Rooms<T>,
    private readonly users: Users<T>,
  ) {}

  toRoom(room: string, packet: Packet, except?: Recipient): void {
    for (const member of this.rooms.members(room)) if (member !== except) member.deliver(packet);
  }

  toAll(packet: Packet, except?: Recipient): void {
    for (const member of this.users.all()) if (member !== except) member.deliver(packet);
  }
}
