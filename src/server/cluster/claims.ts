/**
 * @module
 * RedisClaims: names unique across the cluster. A name's claim is a set of Redis keys, its folded
 * form and its look-alike skeletons (the same keys Users indexes locally), each holding
 * `<node>/<session>` with a TTL that the node refreshes (refresh()). claim, move and release are
 * Lua scripts, so each is one atomic step: a claim takes every key or none, a move gives up the
 * old keys and takes the new ones together. A killed node stops refreshing and its names come
 * free when the TTL runs out (CLAIM_TTL_MS).
 */
import { foldName, lookalikeKeys } from '../../protocol/internal.js';
import type { NameClaims } from '../claims.js';
import type { Bus } from './bus.js';

export const CLAIM_TTL_MS = 15_000;
/** A claim Redis has not answered by then is refused (the link is down). */
const CLAIM_TIMEOUT_MS = 5_000;

const CLAIM = `
for _, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if v and v ~= ARGV[1] then return 0 end
end
for _, k in ipairs(KEYS) do redis.call('SET', k, ARGV[1], 'PX', ARGV[2]) end
return 1`;

/** KEYS: the old name's keys (ARGV[3] of them), then the new name's. */
const MOVE = `
local n = tonumber(ARGV[3])
for i = n + 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v and v ~= ARGV[1] then return 0 end
end
for i = 1, n do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
for i = n + 1, #KEYS do redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2]) end
return 1`;

const RELEASE = `
for _, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then redis.call('DEL', k) end
end
return 1`;

const REFRESH = `
local n = 0
for _, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then redis.call('PEXPIRE', k, ARGV[2]) n = n + 1 end
end
return n`;

/** What RedisClaims asks its node while the Redis link is down. */
export interface OfflineClaims {
  /** The link is down: decide on this node's names and its view of the others. */
  down(): boolean;
  /** Someone on another node holds `name`, as far as this node's view knows. */
  elsewhere(name: string): boolean;
}

export class RedisClaims implements NameClaims {
  /**
   * Sessions whose name was taken while the link was down (session → name): not in Redis yet,
   * taken there at the return after the names held before the outage (retake()).
   */
  readonly provisional = new Map<number, string>();

  constructor(
    private readonly bus: Bus,
    private readonly node: string,
    /** This process's own map first: a clash with a local session needs no round trip. */
    private readonly local: NameClaims,
    private readonly onError: (what: string, err: unknown) => void,
    private readonly offline: OfflineClaims = { down: () => false, elsewhere: () => false },
  ) {}

  keys(name: string): string[] {
    const p = this.bus.prefix;
    return [`${p}name:${foldName(name)}`, ...lookalikeKeys(name).map((k) => `${p}look:${k}`)];
  }

  private holder(session: number): string {
    return `${this.node}/${session}`;
  }

  claim(name: string, holder: number): boolean | Promise<boolean> {
    if (!this.local.claim(name, holder)) return false;
    if (this.offline.down()) return this.takeOffline(name, holder);
    return this.ask(CLAIM, this.keys(name), [this.holder(holder), String(CLAIM_TTL_MS)]);
  }

  move(from: string, to: string, holder: number): boolean | Promise<boolean> {
    const local = this.local.move(from, to, holder);
    if (local === false) return false;
    if (this.offline.down()) return foldName(from) === foldName(to) || this.takeOffline(to, holder);
    const old = this.keys(from);
    return this.ask(MOVE, [...old, ...this.keys(to)], [this.holder(holder), String(CLAIM_TTL_MS), String(old.length)]);
  }

  release(name: string, holder: number): void {
    this.provisional.delete(holder);
    if (this.offline.down()) return; // Redis lost it, or its TTL frees it
    this.bus.eval(RELEASE, this.keys(name), [this.holder(holder)]).catch((err: unknown) => this.onError('release', err));
  }

  /** Extend the TTL of each (name, session) this node holds. */
  async refresh(held: Iterable<[string, number]>): Promise<void> {
    const calls: Promise<unknown>[] = [];
    for (const [name, session] of held) calls.push(this.bus.eval(REFRESH, this.keys(name), [this.holder(session), String(CLAIM_TTL_MS)]));
    const results = await Promise.allSettled(calls);
    for (const r of results) if (r.status === 'rejected') this.onError('refresh', r.reason);
  }

  private takeOffline(name: string, holder: number): boolean {
    if (this.offline.elsewhere(name)) return false;
    this.provisional.set(holder, name);
    return true;
  }

  /**
   * After an outage: take `name` for `holder` again in Redis (a Redis that restarted lost every
   * claim). False when someone else holds it now; a link that breaks again counts as kept (the
   * next return tries again).
   */
  async retake(name: string, holder: number): Promise<boolean> {
    try {
      const r = await this.bus.eval(CLAIM, this.keys(name), [this.holder(holder), String(CLAIM_TTL_MS)]);
      if (Number(r) === 1) this.provisional.delete(holder);
      return Number(r) === 1;
    } catch (err) {
      this.onError('retake', err);
      return true;
    }
  }

  private async ask(script: string, keys: string[], args: string[]): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), CLAIM_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.bus.eval(script, keys, args).then((r) => Number(r) === 1), timeout]);
    } catch (err) {
      this.onError('claim', err);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
