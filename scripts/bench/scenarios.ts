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
 */
import { MAIN_ROOM } from '../../src/protocol/index.js';
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

export type Scenario = RoomScenario | IdleScenario | StormScenario;

export function scenarios(quick: boolean): Scenario[] {
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
    kind: 'idle', name, title: `idle: ${clients} logged-in clients`, clients, roomSize: 50, settleMs: q(2_000, 500),
  });
  const storm = q(2_000, 500);
  return [
    room('small-room', 'small room', 50, 50, 4),
    room('mid-room', 'mid room', 200, 20, 5),
    room('big-room', 'big room', 500, 20, 5),
    room('crowd-room', 'crowd', 1000, 20, 5),
    idle('idle-5k', q(5_000, 1_000)),
    idle('idle-10k', q(10_000, 2_000)),
    { kind: 'storm', name: 'connect-storm', title: `connect storm: ${storm} logins`, clients: storm, roomSize: 50, concurrency: 100 },
  ];
}

/** Client ids 0..n-1; talkers are the first `talkers` members of each room. */
export function clientSpecs(scenario: Scenario): ClientSpec[] {
  const specs: ClientSpec[] = [];
  if (scenario.kind === 'room') {
    for (let id = 0; id < scenario.clients; id++) specs.push({ id, room: MAIN_ROOM, talker: id < scenario.talkers ? id : -1 });
  } else {
    for (let id = 0; id < scenario.clients; id++) specs.push({ id, room: `#r${Math.floor(id / scenario.roomSize)}`, talker: -1 });
  }
  return specs;
}

/** Members of the room a talker speaks in, itself included. */
export function roomSizeOf(scenario: Scenario): number {
  return scenario.kind === 'room' ? scenario.clients : scenario.roomSize;
}
