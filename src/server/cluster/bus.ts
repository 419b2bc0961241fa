/**
 * @module
 * Bus: the cluster's one ordered stream of events on Redis. Every event is sent through one Lua
 * script that takes the next sequence number (INCR) and PUBLISHes `<seq> <json>` in one step, so
 * on one Redis the order of publication is the order of the numbers, and every subscriber (every
 * node, the sender too) receives the events in that order. A room or private message's id is its
 * sequence number: ids are unique across the cluster and increase in the order everyone sees.
 *
 * Two connections: one for commands (scripts, claims, heartbeats), one subscribed.
 */
import { createClient } from 'redis';

/**
 * ARGV[2] is the highest number the sender has seen: a Redis that restarted without its data
 * (and so its counter) never numbers below what the cluster has already used.
 */
export const PUBLISH_SCRIPT = `
local seq = redis.call('INCR', KEYS[1])
local seen = tonumber(ARGV[2])
if seq <= seen then
  seq = seen + 1
  redis.call('SET', KEYS[1], seq)
end
redis.call('PUBLISH', KEYS[2], seq .. ' ' .. ARGV[1])
return seq`;

/** Raise the counter to at least ARGV[1] (ids already in the store are never handed out again). */
const FLOOR_SCRIPT = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
if cur < floor then redis.call('SET', KEYS[1], floor) return floor end
return cur`;

export type RedisConnection = ReturnType<typeof createClient>;

export interface BusOptions {
  url: string;
  /** Prefix of every key and channel. */
  prefix?: string;
}

export class Bus {
  readonly prefix: string;
  readonly seqKey: string;
  readonly channel: string;
  /** The highest sequence number received or set as the floor. */
  private seen = 0;
  private constructor(
    readonly cmd: RedisConnection,
    private readonly sub: RedisConnection,
    prefix: string,
  ) {
    this.prefix = prefix;
    this.seqKey = `${prefix}seq`;
    this.channel = `${prefix}bus`;
  }

  /**
   * Connect both connections. `link.error` hears of link trouble (an error, a reconnect, an end
   * on either connection); `link.ready` of each connection that is ready again after one
   * (node-redis reconnects itself, and resubscribes before it says ready). No offline queue: a
   * command while the link is down fails at once instead of waiting to be sent late, after the
   * node has moved on (an event published late would be numbered out of its place).
   */
  static async connect(options: BusOptions, link: { error: (err: Error) => void; ready?: () => void }): Promise<Bus> {
    const cmd = createClient({ url: options.url, disableOfflineQueue: true, socket: { connectTimeout: 5000 } });
    const sub = cmd.duplicate();
    for (const c of [cmd, sub]) {
      c.on('error', link.error);
      c.on('reconnecting', () => link.error(new Error('reconnecting to Redis')));
      c.on('end', () => link.error(new Error('the Redis connection ended')));
      if (link.ready) c.on('ready', link.ready);
    }
    await cmd.connect();
    try {
      await sub.connect();
    } catch (err) {
      await cmd.quit().catch(() => {});
      throw err;
    }
    return new Bus(cmd, sub, options.prefix ?? 'framechat:');
  }

  /** Receive every event from now on, in sequence order. */
  async subscribe(onEvent: (seq: number, json: string) => void): Promise<void> {
    await this.sub.subscribe(this.channel, (message: string) => {
      const space = message.indexOf(' ');
      if (space <= 0) return;
      const seq = Number(message.slice(0, space));
      if (seq > this.seen) this.seen = seq;
      onEvent(seq, message.slice(space + 1));
    });
  }

  /** The highest sequence number this node has received (or floored to). */
  get lastSeen(): number {
    return this.seen;
  }

  /** Both connections are up (the subscription renewed). */
  get ready(): boolean {
    return this.cmd.isReady && this.sub.isReady;
  }

  /** Publish one event; resolves with its sequence number. */
  async publish(json: string): Promise<number> {
    return Number(await this.eval(PUBLISH_SCRIPT, [this.seqKey, this.channel], [json, String(this.seen)]));
  }

  /** Make the next sequence number larger than `last`. */
  async floor(last: number): Promise<number> {
    this.seen = Math.max(this.seen, last);
    return Number(await this.eval(FLOOR_SCRIPT, [this.seqKey], [String(last)]));
  }

  eval(script: string, keys: string[], args: string[]): Promise<unknown> {
    return this.cmd.sendCommand(['EVAL', script, String(keys.length), ...keys, ...args]);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.sub.quit(), this.cmd.quit()]);
  }
}
