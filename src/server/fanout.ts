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
import { foldName, type MessageMsg, type PrivateMsg } from '../protocol/internal.js';
import type { Archive } from './archive.js';
import type { IdSource } from './ids.js';
import { Packet } from './packet.js';
import type { Member, Rooms } from './rooms.js';
import type { Users } from './users.js';

export interface Recipient extends Member {
  /** `defer`: the bytes may wait a little for more (presence); never reordered. Counted as a delivery. */
  deliver(packet: Packet, defer?: boolean): void;
  /**
   * deliver() without counting it: true when the bytes were queued. A fan-out counts what its
   * loop queued once per batch, not once per member (the hot path of a big room).
   */
  take(packet: Packet, defer?: boolean): boolean;
}

/** Where a fan-out adds the deliveries it made (the server's metrics counts). */
export interface DeliveryCount {
  deliveries: number;
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
  /**
   * A room or private message: numbered (its `id` is set here), recorded in the store, and
   * delivered to the room's members, or to the recipient and the sender, but the session
   * `except` (a labelled sender, who is sent its own copy). Returns the message as numbered, at
   * once (the caller then sends `except` its copy), or (a cluster) once it has its place in the
   * order every member sees: such a Fanout sends `except` its copy itself, in that place, through
   * the session's send() (which labels it), since a copy sent once the promise settles could come
   * after messages numbered later.
   */
  post(message: MessageMsg | PrivateMsg, except?: number, accounts?: PartyAccounts): Chat | Promise<Chat>;
  /**
   * The highest message id this process has delivered to its sessions, where the store can be
   * ahead of that (a cluster node reads what another node inserted before the bus brought it
   * here): a room's page for a member stops there, since what comes after reaches it live, after
   * the page. Undefined: everything in the store was delivered (one process numbers, records and
   * delivers in one step; a cluster node whose link is down does too).
   */
  readonly horizon?: number;
}

export type Chat = MessageMsg | PrivateMsg;

/** The accounts the two parties of a private message were logged in to: who may read it back. */
export interface PartyAccounts {
  from?: string;
  to?: string;
}

/** Deliver a numbered message to this process's members it is for: the room's, or the two parties. */
export function deliverChat<T extends Recipient>(fanout: LocalFanout<T>, users: Users<T>, message: Chat, except?: number): number {
  const packet = new Packet(message);
  if (message.type === 'message') return fanout.countRoom(message.room, packet, except);
  let n = 0;
  // The recipient first, then the sender's copy; a message to oneself arrives once.
  const names = foldName(message.to) === foldName(message.from) ? [message.to] : [message.to, message.from];
  for (const name of names) {
    const member = users.get(name);
    if (member === undefined || member.id === except) continue;
    member.deliver(packet);
    n++;
  }
  return n;
}

export class LocalFanout<T extends Recipient> implements Fanout {
  constructor(
    private readonly rooms: Rooms<T>,
    private readonly users: Users<T>,
    /** What post() numbers and records with (the server's); without them post() cannot be used. */
    private readonly numbering?: { ids: IdSource; archive: Archive },
    /** Where each loop adds the deliveries it made, once per batch. */
    private readonly counts: DeliveryCount = { deliveries: 0 },
  ) {}

  toRoom(room: string, packet: Packet, except?: number): void {
    this.countRoom(room, packet, except);
  }

  /** toRoom, counting the members reached. */
  countRoom(room: string, packet: Packet, except?: number): number {
    const defer = packet.presence;
    let n = 0;
    let queued = 0;
    for (const member of this.rooms.members(room)) {
      if (member.id === except) continue;
      if (member.take(packet, defer)) queued++;
      n++;
    }
    this.counts.deliveries += queued;
    return n;
  }

  post(message: Chat, except?: number, accounts: PartyAccounts = {}): Chat {
    if (!this.numbering) throw new Error('LocalFanout.post needs the ids and the archive');
    message.id = this.numbering.ids.next();
    this.numbering.archive.record(message, accounts);
    deliverChat(this, this.users, message, except);
    return message;
  }

  toRooms(rooms: Iterable<string>, packet: Packet, except?: number): void {
    const seen = new Set<number>();
    if (except !== undefined) seen.add(except);
    let queued = 0;
    for (const room of rooms) {
      for (const member of this.rooms.members(room)) {
        if (seen.has(member.id)) continue;
        seen.add(member.id);
        if (member.take(packet)) queued++;
      }
    }
    this.counts.deliveries += queued;
  }

  toUser(name: string, packet: Packet): boolean {
    const member = this.users.get(name);
    member?.deliver(packet);
    return member !== undefined;
  }

  toAll(packet: Packet, except?: number): void {
    let queued = 0;
    for (const member of this.users.all()) if (member.id !== except && member.take(packet)) queued++;
    this.counts.deliveries += queued;
  }
}
