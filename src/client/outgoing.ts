/**
 * @module
 * Outgoing: the one owner of the lines we typed until the server has answered them. It keeps them
 * in order, decides which go on the wire and when (the pace), and settles each by the `label` the
 * server copies onto its answer (docs/PROTOCOL.md "Labels"): our own copy of the `message` or
 * `private` it made, or the `error` that refused it. Pure and immutable: every function takes the
 * value and returns the next one; the clock is passed in, and next() says when to call it again.
 * Nothing here touches a socket or a timer: app.ts does that.
 *
 * The pace: a token bucket at 10 lines a second in bursts of 10, half the server's default flood
 * limit (PROTOCOL.md: 20 frames/s, bursts of 40), which leaves room for the pings and requests that
 * share the budget; a burst of 10 stays within the refusals a server forgives before it calls it a
 * flood (max(burst, 10) in 10 s), whatever its own burst. When a server refuses a line anyway
 * (`rate_limited`: it was started with a lower --rate), the line goes back to its place in the
 * queue, the bucket empties, the pace halves (down to one line a second; the refusals of lines sent
 * before the last halving count once, since they all answer the over-send it already answered,
 * while a line sent at the slower pace and refused anyway halves it again: the server is slower
 * still, or its own delays bunched our lines), and from then on only one line is in
 * flight at a time on this connection, so that no later line can overtake it. People typing never
 * meet it. A new connection starts at the full pace again: a restarted server may allow more.
 */

/** A line the user typed: to a room, as an action (/me), or to one person (/msg). `room`: the window's room it was typed in. */
export type Line =
  { kind: 'say'; room?: string; text: string } | { kind: 'me'; room?: string; text: string } | { kind: 'msg'; to: string; text: string };
/**
 * A line waiting for the server's answer: with the `label` the answer will carry (unique among our
 * lines for the whole session) and when it was typed.
 */
export type PendingSend = Line & { label: string; ts: number };

export interface PaceOptions {
  /** Lines per second, sustained. */
  rate: number;
  /** Lines that may go at once after a quiet spell. */
  burst: number;
  /** The slowest pace a refusal goes down to, lines per second. */
  minRate: number;
}

export const DEFAULT_PACE: PaceOptions = { rate: 10, burst: 10, minRate: 1 };

interface Bucket {
  rate: number;
  burst: number;
  tokens: number;
  /** When the tokens were last counted (undefined: never, the bucket is full). */
  last: number | undefined;
  slowedAt: number;
}

export interface Outgoing {
  /** Oldest first: the order they were typed, which is the order they go in. */
  readonly lines: readonly PendingSend[];
  /** Labels of the lines on the wire on this connection, waiting for their answer. */
  readonly inFlight: ReadonlySet<string>;
  /** When each line in flight went on the wire (a refusal halves the pace only for a line sent after the last halving). */
  readonly sentAt: ReadonlyMap<string, number>;
  /** Connected: lines may go. Offline they wait. */
  readonly online: boolean;
  /** The server refused a line for our pace on this connection: one line in flight at a time. */
  readonly oneAtATime: boolean;
  readonly bucket: Readonly<Bucket>;
  readonly options: PaceOptions;
  readonly nextLabel: number;
}

/** How the server answered a line. */
export type Outcome = 'delivered' | 'rate_limited' | 'refused';

export interface Settled {
  outgoing: Outgoing;
  /** The line the label named (undefined: none of ours on the wire has it). */
  line: PendingSend | undefined;
  /** A `rate_limited` refusal halved the pace (false for the further refusals of the same burst). */
  slowed: boolean;
}

export interface Next {
  outgoing: Outgoing;
  /** Send these now, in this order. */
  send: PendingSend[];
  /** When to call next() again (ms, on the clock passed in); undefined: only after an event (enqueue, settle, connect). */
  wakeAt: number | undefined;
}

const fullBucket = (o: PaceOptions): Bucket => ({ rate: o.rate, burst: o.burst, tokens: o.burst, last: undefined, slowedAt: -Infinity });

export function createOutgoing(options: PaceOptions = DEFAULT_PACE): Outgoing {
  return {
    lines: [],
    inFlight: new Set(),
    sentAt: new Map(),
    online: false,
    oneAtATime: false,
    bucket: fullBucket(options),
    options,
    nextLabel: 1,
  };
}

/** Queue a line typed at `now`; it gets its label here. */
export function enqueue(o: Outgoing, line: Line, now: number): { outgoing: Outgoing; label: string } {
  const label = String(o.nextLabel);
  const full: PendingSend = { ...line, label, ts: now };
  return { outgoing: { ...o, lines: [...o.lines, full], nextLabel: o.nextLabel + 1 }, label };
}

/** The lines to put on the wire now, in order, as the pace allows, and when to ask again. */
export function next(o: Outgoing, now: number): Next {
  if (!o.online) return { outgoing: o, send: [], wakeAt: undefined };
  let bucket = refill(o.bucket, now);
  const inFlight = new Set(o.inFlight);
  const sentAt = new Map(o.sentAt);
  const send: PendingSend[] = [];
  let wakeAt: number | undefined;
  for (const line of o.lines) {
    if (inFlight.has(line.label)) continue;
    if (o.oneAtATime && inFlight.size > 0) break; // its answer lets the next one go
    if (bucket.tokens < 1) {
      wakeAt = now + Math.ceil(((1 - bucket.tokens) * 1000) / bucket.rate);
      break;
    }
    bucket = { ...bucket, tokens: bucket.tokens - 1 };
    inFlight.add(line.label);
    sentAt.set(line.label, now);
    send.push(line);
  }
  return { outgoing: { ...o, bucket, inFlight, sentAt }, send, wakeAt };
}

/**
 * The server answered the line labelled `label`: delivered (our copy of its echo) and refused lines
 * leave the queue; one refused for our pace goes back to its place and waits its turn, more slowly.
 */
export function settle(o: Outgoing, label: string, outcome: Outcome, now: number): Settled {
  if (!o.inFlight.has(label)) return { outgoing: o, line: undefined, slowed: false };
  const line = o.lines.find((l) => l.label === label)!;
  const inFlight = new Set(o.inFlight);
  inFlight.delete(label);
  const sentAt = new Map(o.sentAt);
  const sent = sentAt.get(label) ?? -Infinity;
  sentAt.delete(label);
  if (outcome !== 'rate_limited')
    return { outgoing: { ...o, inFlight, sentAt, lines: o.lines.filter((l) => l !== line) }, line, slowed: false };
  const bucket = { ...refill(o.bucket, now), tokens: 0 };
  // Sent before the last halving: that halving already answered its over-send.
  if (sent <= bucket.slowedAt) return { outgoing: { ...o, inFlight, sentAt, bucket, oneAtATime: true }, line, slowed: false };
  const slowed: Bucket = {
    ...bucket,
    slowedAt: now,
    rate: Math.max(o.options.minRate, bucket.rate / 2),
    burst: Math.max(1, Math.floor(bucket.burst / 2)),
  };
  return { outgoing: { ...o, inFlight, sentAt, bucket: slowed, oneAtATime: true }, line, slowed: true };
}

/** The connection dropped: what was on the wire went with it, so all of it waits to go again, in order. */
export function disconnect(o: Outgoing): Outgoing {
  if (!o.online && o.inFlight.size === 0) return o;
  return { ...o, online: false, inFlight: new Set(), sentAt: new Map() };
}

/** Logged in on a new connection: the full pace again, and everything waiting goes at the next next(). */
export function connect(o: Outgoing): Outgoing {
  return { ...o, online: true, inFlight: new Set(), sentAt: new Map(), oneAtATime: false, bucket: fullBucket(o.options) };
}

/** Lines per second now. */
export function pace(o: Outgoing): number {
  return o.bucket.rate;
}

export function isInFlight(o: Outgoing, line: PendingSend): boolean {
  return o.inFlight.has(line.label);
}

function refill(b: Bucket, now: number): Bucket {
  const tokens = b.last === undefined ? b.tokens : Math.min(b.burst, b.tokens + ((now - b.last) * b.rate) / 1000);
  return { ...b, tokens, last: now };
}
