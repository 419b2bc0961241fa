/**
 * @module
 * The cluster's Directory: this node's Users and Rooms (the truth for its own sessions, changed
 * at once) joined with a view of every other node, built from the presence deltas and snapshots
 * each node sends on the bus. Every node applies the same stream in the same order, so the views
 * agree once the stream has reached them. Lists are merged and sorted on each read (a `who` costs
 * its size times log of it, not the single process's zero comparisons).
 */
import { compareNames, foldName, skeleton, type RoomInfo } from '../../protocol/internal.js';
import type { Directory } from '../directory.js';
import { NO_TOPIC, type Rooms, type Topic } from '../rooms.js';
import type { Session } from '../session.js';
import type { Users } from '../users.js';

/** A change in who is where, as a node announces it about its own sessions. */
export type Delta =
  | ['in', string]
  | ['out', string]
  | ['join', string, string]
  | ['part', string, string]
  | ['nick', string, string]
  | ['topic', string, Topic];

/** A node's whole presence: each user with their rooms, and the topics of those rooms. */
export interface Snapshot {
  users: [string, string[]][];
  topics: [string, Topic][];
}

interface RemoteUser {
  name: string;
  rooms: Set<string>;
}

/** What one other node holds. */
export class NodeView {
  /** folded name → user */
  readonly users = new Map<string, RemoteUser>();
  /** room → member names */
  readonly rooms = new Map<string, Set<string>>();

  join(name: string, room: string): void {
    const u = this.users.get(foldName(name));
    if (!u) return;
    u.rooms.add(room);
    let members = this.rooms.get(room);
    if (!members) this.rooms.set(room, (members = new Set()));
    members.add(u.name);
  }

  part(name: string, room: string): void {
    const u = this.users.get(foldName(name));
    if (!u) return;
    u.rooms.delete(room);
    const members = this.rooms.get(room);
    members?.delete(u.name);
    if (members?.size === 0) this.rooms.delete(room);
  }
}

export class ClusterDirectory implements Directory {
  readonly views = new Map<string, NodeView>();
  /** Topics of rooms held elsewhere (a room this node holds has its topic in Rooms). */
  private readonly topics = new Map<string, Topic>();

  constructor(
    private readonly users0: Users<Session>,
    private readonly rooms0: Rooms<Session>,
  ) {}

  private view(node: string): NodeView {
    let v = this.views.get(node);
    if (!v) this.views.set(node, (v = new NodeView()));
    return v;
  }

  apply(node: string, d: Delta): void {
    const v = this.view(node);
    switch (d[0]) {
      case 'in':
        v.users.set(foldName(d[1]), { name: d[1], rooms: new Set() });
        break;
      case 'out': {
        const u = v.users.get(foldName(d[1]));
        if (!u) break;
        for (const room of [...u.rooms]) v.part(u.name, room);
        v.users.delete(foldName(d[1]));
        break;
      }
      case 'join':
        v.join(d[1], d[2]);
        break;
      case 'part':
        v.part(d[1], d[2]);
        break;
      case 'nick': {
        const u = v.users.get(foldName(d[1]));
        if (!u) break;
        const rooms = [...u.rooms];
        for (const room of rooms) v.part(u.name, room);
        v.users.delete(foldName(d[1]));
        v.users.set(foldName(d[2]), { name: d[2], rooms: new Set() });
        for (const room of rooms) v.join(d[2], room);
        break;
      }
      case 'topic':
        this.topics.set(d[1], d[2]);
        break;
    }
    this.forgetTopics();
  }

  /** Replace what is known of `node` with its snapshot. */
  replace(node: string, s: Snapshot): void {
    const v = new NodeView();
    this.views.set(node, v);
    for (const [name, rooms] of s.users) {
      v.users.set(foldName(name), { name, rooms: new Set() });
      for (const room of rooms) v.join(name, room);
    }
    for (const [room, topic] of s.topics) if (!this.topics.has(room) || this.topics.get(room)!.ts < topic.ts) this.topics.set(room, topic);
  }

  /** Forget `node`; returns what it held, to tell the rooms. */
  drop(node: string): NodeView | undefined {
    const v = this.views.get(node);
    this.views.delete(node);
    this.forgetTopics();
    return v;
  }

  /** A topic lives while its room has people somewhere (as in one process). */
  private forgetTopics(): void {
    if (this.topics.size === 0) return;
    for (const room of this.topics.keys()) if (!this.hasRoom(room)) this.topics.delete(room);
  }

  get clients(): number {
    let n = this.users0.count;
    for (const v of this.views.values()) n += v.users.size;
    return n;
  }

  user(name: string): string | undefined {
    const local = this.users0.get(name)?.identity.name;
    if (local !== undefined) return local;
    const key = foldName(name);
    for (const v of this.views.values()) {
      const u = v.users.get(key);
      if (u) return u.name;
    }
    return undefined;
  }

  users(): string[] {
    const all = this.users0.names();
    if (this.views.size === 0) return all;
    for (const v of this.views.values()) for (const u of v.users.values()) all.push(u.name);
    return all.sort(compareNames);
  }

  roomUsers(room: string): string[] {
    const all = this.rooms0.names(room);
    let remote = false;
    for (const v of this.views.values()) {
      const members = v.rooms.get(room);
      if (!members) continue;
      remote = true;
      for (const name of members) all.push(name);
    }
    return remote ? all.sort(compareNames) : all;
  }

  private roomMap(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.rooms0.list()) counts.set(r.room, r.users);
    for (const v of this.views.values()) for (const [room, members] of v.rooms) counts.set(room, (counts.get(room) ?? 0) + members.size);
    return counts;
  }

  rooms(): RoomInfo[] {
    return [...this.roomMap()]
      .sort(([a], [b]) => compareNames(a, b))
      .map(([room, users]) => ({ room, users, topic: this.topic(room).text }));
  }

  topic(room: string): Topic {
    if (this.rooms0.has(room)) return this.rooms0.topic(room);
    return this.topics.get(room) ?? NO_TOPIC;
  }

  resolve(room: string): string {
    const local = this.rooms0.resolve(room);
    if (local !== room || this.rooms0.has(room)) return local;
    const key = skeleton(room);
    for (const v of this.views.values()) for (const r of v.rooms.keys()) if (r === room || skeleton(r) === key) return r;
    return room;
  }

  hasRoom(room: string): boolean {
    if (this.rooms0.has(room)) return true;
    for (const v of this.views.values()) if (v.rooms.has(room)) return true;
    return false;
  }

  get roomCount(): number {
    if (this.views.size === 0) return this.rooms0.count;
    return this.roomMap().size;
  }
}
