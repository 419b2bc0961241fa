/**
 * @module
 * Fanout: how a packet reaches its recipients. Handlers publish to a room, to one user or to
 * everyone, and never touch sockets. Recipients are named by what can cross a network (a room, a
 * user's name, a session id to leave out), never by object. LocalFanout delivers to this
 * process's sessions; a cluster backplane implements the same interface by publishing to the bus
 * and delivering locally on receipt, with no change to sessions or handlers.
 *
 * Presence (`joined`, `left`) to a room is delivered deferred: each member's copy may wait up to
 * the Outbox's DEFER_MS for company and leaves with the next ordinary write to that member, so a
 * join storm costs one write(2) per member per window instead of one per arrival. Each member's
 * bytes keep their order (docs/PROTOCOL.md, "Timing of joined and left").
 */
import type { Packet } from './packet.js';
import type { Member, Rooms } from './rooms.js';
import type { Users } from './users.js';

export interface Recipient extends Member {
  /** `defer`: the bytes may wait a little for more (presence); never reordered. */
  deliver(packet: Packet, defer?: boolean): void;
}

export interface Fanout {
  /** Everyone in `room` but the session `except`. */
  toRoom(room: string, packet: Packet, except?: number): void;
  /** Everyone in any of `rooms`, once each, but the session `except`. */
  toRooms(rooms: Iterable<string>, packet: Packet, except?: number): void;
  /** The user called `name`, wherever connected; false when nobody of that name is online. */
  toUser(name: string, packet: Packet): boolean;
  /** Everyone logged in but the session `except`. */
  toAll(packet: Packet, except?: number): void;
}

export class LocalFanout<T extends Recipient> implements Fanout {
  constructor(
    private readonly rooms: Rooms<T>,
    private readonly users: Users<T>,
  ) {}

  toRoom(room: string, packet: Packet, except?: number): void {
    const defer = packet.presence;
    for (const member of this.rooms.members(room)) if (member.id !== except) member.deliver(packet, defer);
  }

  toRooms(rooms: Iterable<string>, packet: Packet, except?: number): void {
    const seen = new Set<number>();
    if (except !== undefined) seen.add(except);
    for (const room of rooms) {
      for (const member of this.rooms.members(room)) {
        if (seen.has(member.id)) continue;
        seen.add(member.id);
        member.deliver(packet);
      }
    }
  }

  toUser(name: string, packet: Packet): boolean {
    const member = this.users.get(name);
    member?.deliver(packet);
    return member !== undefined;
  }

  toAll(packet: Packet, except?: number): void {
    for (const member of this.users.all()) if (member.id !== except) member.deliver(packet);
  }
}
