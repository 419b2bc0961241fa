/**
 * @module
 * The benchmark scenarios: what each one connects and what it makes the clients do. Every phase is
 * bounded in time; --quick shrinks them to a short profile.
 *
 * Room scenarios put every client in one room (#main) and run two phases: `latency`, where each
 * talker sends at a fixed rate that is the same for every target (equal offered load), and
 * `throughput`, where each talker keeps a window of messages in flight as fast as the server
 * takes them. Idle scenarios log many clients into rooms of 50 and measure memory per connection;
 * on framechat's wire format they then send one broadcast to everyone (a rename, which framechat
 * sends to every logged-in user). The storm logs clients into rooms of 50 as fast as the server lets them, with a fixed number of
 * logins in flight.
 *
 * The join storm logs everyone into one room (#main, where framechat's hello puts them), each server
 * at the pace it takes best, and times until the last client has its welcome and the room's member
 * list; then one message to the room. Many rooms puts each client in several rooms (protocol v2 on
 * framechat) with a talker in every room, and runs the room scenarios' two phases.
 */
import { MAIN_ROOM } from '../../src/protocol/internal.js';
import type { ClientSpec } from './ipc.js';

export interface RoomScenario {
  kind: 'room';
  name: string;
  title: string;
  clients: number;
  talkers: number;
  /** Messages per second per talker in the latency phase. */
  rate: number;
  latencyMs: number;
  throughputMs: number;
  /** Messages in flight per talker in the throughput phase (and the cap in the latency phase). */
  window: number;
}

export interface IdleScenario {
  kind: 'idle';
  name: string;
  title: string;
  clients: number;
  roomSize: number;
  /** Time left for the server to settle before its memory is read. */
  settleMs: number;
}

export interface StormScenario {
  kind: 'storm';
  name: string;
  title: string;
  clients: number;
  /** Clients per room: the storm measures logins, not the joined notices of one huge room. */
  roomSize: number;
  /** Logins in progress at once, per load generator. */
  concurrency: number;
}

export interface JoinStormScenario {
  kind: 'join-storm';
  name: string;
  title: string;
  clients: number;
  /** No new login starts after this long: the storm is the measurement, so it gets more than set-up. */
  budgetMs: number;
  /** Longest one login may take (the last ones wait behind a room of thousands). */
  loginTimeoutMs: number;
}

export interface ManyRoomsScenario {
  kind: 'many-rooms';
  name: string;
  title: string;
  clients: number;
  rooms: number;
  /** Rooms each client is in. */
  perClient: number;
  /** Talkers per room, each speaking only in that room. */
  talkersPerRoom: number;
  rate: number;
  latencyMs: number;
  throughputMs: number;
  window: number;
}

export type Scenario = RoomScenario | IdleScenario | StormScenario | JoinStormScenario | ManyRoomsScenario;

/** How a framechat server without protocol v2 rooms (join adds, say names its room) is reported. */
export const NEEDS_V2 = 'needs protocol v2 rooms';

/** `stormClients` sizes the join storm (default 5 000, or 1 000 quick). */
export function scenarios(quick: boolean, stormClients?: number): Scenario[] {
  const q = (full: number, short: number): number => (quick ? short : full);
  const room = (name: string, label: string, clients: number, talkers: number, rate: number): RoomScenario => ({
    kind: 'room',
    name,
    title: `${label}: ${clients} clients, ${talkers === clients ? 'all' : talkers} talking`,
    clients,
    talkers,
    rate,
    latencyMs: q(5_000, 1_500),
    throughputMs: q(5_000, 1_500),
    window: 16,
  });
  const idle = (name: string, clients: number): IdleScenario => ({
    kind: 'idle',
    name,
    title: `idle: ${clients} logged-in clients`,
    clients,
    roomSize: 50,
    settleMs: q(2_000, 500),
  });
  const storm = q(2_000, 500);
  const joinStorm = stormClients ?? q(5_000, 1_000);
  const many = q(2_000, 400);
  const manyRooms = q(200, 40);
  return [
    room('small-room', 'small room', 50, 50, 4),
    room('mid-room', 'mid room', 200, 20, 5),
    room('big-room', 'big room', 500, 20, 5),
    room('crowd-room', 'crowd', 1000, 20, 5),
    idle('idle-5k', q(5_000, 1_000)),
    idle('idle-10k', q(10_000, 2_000)),
    { kind: 'storm', name: 'connect-storm', title: `connect storm: ${storm} logins`, clients: storm, roomSize: 50, concurrency: 100 },
    {
      kind: 'join-storm',
      name: 'join-storm',
      title: `join storm: ${joinStorm} clients into #main`,
      clients: joinStorm,
      budgetMs: 600_000,
      loginTimeoutMs: 300_000,
    },
    {
      kind: 'many-rooms',
      name: 'many-rooms',
      title: `many rooms: ${many} clients, each in 10 of ${manyRooms} rooms, a talker in every room`,
      clients: many,
      rooms: manyRooms,
      perClient: 10,
      talkersPerRoom: 1,
      rate: 2,
      latencyMs: q(5_000, 1_500),
      throughputMs: q(5_000, 1_500),
      window: 16,
    },
  ];
}

/**
 * The rooms of client `id` in the many-rooms scenario: `perClient` distinct rooms of `rooms`.
 * Clients come in blocks of `rooms`; within a block client j starts in room j and steps through
 * the rooms by a stride coprime with the room count (a different one per block), so the rooms of
 * one client are distinct and, when the client count is a multiple of the room count, every room
 * has exactly clients × perClient / rooms members.
 */
export function roomsOf(id: number, rooms: number, perClient: number): string[] {
  const block = Math.floor(id / rooms);
  const stride = coprimeStride(rooms, perClient, block);
  const out: string[] = [];
  for (let k = 0; k < perClient; k++) out.push(`#m${(id + k * stride) % rooms}`);
  return out;
}

/** The block-th integer above rooms / perClient (at least 1) that shares no factor with rooms. */
function coprimeStride(rooms: number, perClient: number, block: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let found = -1;
  // Bounded: among any `rooms` consecutive integers, φ(rooms) ≥ 1 are coprime with it.
  for (let s = Math.max(1, Math.floor(rooms / perClient)); s < rooms * (block + 2) + 2; s++) {
    if (gcd(s, rooms) === 1 && ++found === block) return s;
  }
  return 1;
}

/**
 * Client ids 0..n-1; talkers are the first `talkers` members of each room. In many rooms, client
 * r < rooms × talkersPerRoom talks in its first room, r mod rooms: every room has its talkers.
 */
export function clientSpecs(scenario: Scenario): ClientSpec[] {
  const specs: ClientSpec[] = [];
  if (scenario.kind === 'room') {
    for (let id = 0; id < scenario.clients; id++) specs.push({ id, room: MAIN_ROOM, talker: id < scenario.talkers ? id : -1 });
  } else if (scenario.kind === 'join-storm') {
    // One talker, for the broadcast at the end.
    for (let id = 0; id < scenario.clients; id++) specs.push({ id, room: MAIN_ROOM, talker: id === 0 ? 0 : -1 });
  } else if (scenario.kind === 'many-rooms') {
    const talkers = Math.min(scenario.clients, scenario.rooms * scenario.talkersPerRoom);
    for (let id = 0; id < scenario.clients; id++) {
      const rooms = roomsOf(id, scenario.rooms, scenario.perClient);
      specs.push({ id, room: rooms[0]!, rooms, talker: id < talkers ? id : -1 });
    }
  } else {
    for (let id = 0; id < scenario.clients; id++) specs.push({ id, room: `#r${Math.floor(id / scenario.roomSize)}`, talker: -1 });
  }
  return specs;
}

/** Deliveries expected for `sent[t]` messages from each talker t: each reaches its room's other members. */
export function expectedDeliveries(specs: ClientSpec[], sent: number[]): number {
  const size = new Map<string, number>();
  for (const spec of specs) for (const room of spec.rooms ?? [spec.room]) size.set(room, (size.get(room) ?? 0) + 1);
  let expected = 0;
  for (const spec of specs) if (spec.talker >= 0) expected += (sent[spec.talker] ?? 0) * ((size.get(spec.room) ?? 1) - 1);
  return expected;
}
