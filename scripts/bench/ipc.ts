/**
 * @module
 * The messages between the bench runner and its load-generator processes (over the Node IPC
 * channel). The runner tells each generator which clients to hold and what to do with them; a
 * generator answers every request with exactly one reply.
 */
import type { HistogramData } from './histogram.js';

/** framed: framechat's wire format (framechat and the relay); irc: RFC 1459 lines. */
export type Proto = 'framed' | 'irc';

export interface TargetAddress {
  host: string;
  port: number;
  proto: Proto;
  /** IRC lines a talker sends after joining (ngIRCd needs OPER + MODE +F to lift its flood limit). */
  talkerSetup?: string[];
}

export interface ClientSpec {
  /** Global client number: the name is `u<id>`. */
  id: number;
  /** The room it talks in (its first room). */
  room: string;
  /** Every room it is in, when more than one (the many-rooms scenario; framechat needs protocol v2). */
  rooms?: string[];
  /** Global talker number (the sender in the stamp), or -1 for a listener. */
  talker: number;
}

export interface TalkPlan {
  /**
   * rate: each talker sends `rate` messages per second on a fixed schedule (the stamp carries the
   * scheduled time, so a server that falls behind shows it as latency).
   * saturate: each talker keeps `window` messages in flight, as fast as the server takes them.
   */
  mode: 'rate' | 'saturate';
  rate: number;
  durationMs: number;
  /** Messages a talker may have sent but not yet seen arrive at its observer. */
  window: number;
}

export type Request =
  | {
      op: 'connect';
      /** The server's address, or a cluster's nodes: the k-th client of this share goes to node k mod N. */
      targets: TargetAddress[];
      clients: ClientSpec[];
      talkers: number;
      concurrency: number;
      /** Longest one login may take. */
      timeoutMs: number;
      /** No new login starts after this long; the ones not started count as failed. */
      budgetMs: number;
    }
  | { op: 'talk'; plan: TalkPlan }
  | { op: 'broadcast' }
  /** Talker 0 (where this generator holds it) sends one stamped message to its room. */
  | { op: 'say-once' }
  | { op: 'progress' }
  | { op: 'collect' }
  | { op: 'disconnect' }
  | { op: 'exit' };

export interface ConnectResult {
  op: 'connected';
  ok: number;
  /** Logins completed on each of the targets, in the order given. */
  okPerTarget: number[];
  failed: number;
  errors: string[];
  /** Monotonic µs of the first connect() and of the last completed login. */
  startUs: number;
  endUs: number;
}

export interface TalkResult {
  op: 'talked';
  /** Messages sent, indexed by global talker number (0 for talkers held elsewhere). */
  sent: number[];
  startUs: number;
  endUs: number;
}

export interface Progress {
  op: 'progress';
  received: number;
}

export interface PhaseStats {
  op: 'stats';
  /** Stamped messages received by members other than their sender, each counted once. */
  received: number;
  duplicates: number;
  /** Deliveries skipped in a sender's sequence (also counted in the runner's lost total). */
  gaps: number;
  latency: HistogramData;
  firstUs: number;
  lastUs: number;
  /** CPU this generator process used since the last collect, in µs. */
  cpuUs: number;
  /** Connections that closed unexpectedly since the last collect. */
  dropped: number;
}

export type Reply = ConnectResult | TalkResult | Progress | PhaseStats | { op: 'ok' } | { op: 'error'; message: string };
