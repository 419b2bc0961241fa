/**
 * @module
 * LoginThrottle: failed account logins (and failed password checks of passwd/unregister) cost a
 * token from two buckets, one for the client's address group and one for the account; an attempt
 * is refused, before any hashing, while either bucket is empty. Buckets refill with time, so a
 * guessing run is slowed to the refill rate (an account: after 5 misses, one guess per 30 s),
 * and successful logins cost nothing: other users, from the same address too, log in as usual
 * until the address itself has failed `address.burst` times.
 *
 * Memory: one small entry per key that failed recently, dropped once full again (sweep) and at
 * most `maxKeys` entries (the oldest go first). The clock is injected (`now` arguments).
 */

export interface BucketRule {
  /** Failures allowed at once. */
  burst: number;
  /** One more failure allowed every this many ms. */
  refillMs: number;
}

export interface ThrottleRules {
  address: BucketRule;
  account: BucketRule;
  maxKeys: number;
}

export const DEFAULT_THROTTLE: ThrottleRules = {
  address: { burst: 20, refillMs: 3_000 },
  account: { burst: 5, refillMs: 30_000 },
  maxKeys: 100_000,
};

interface Bucket {
  tokens: number;
  at: number;
}

class Buckets {
  private readonly map = new Map<string, Bucket>();

  constructor(
    private readonly rule: BucketRule,
    private readonly maxKeys: number,
  ) {}

  private level(key: string, now: number): number {
    const b = this.map.get(key);
    if (!b) return this.rule.burst;
    return Math.min(this.rule.burst, b.tokens + Math.max(0, now - b.at) / this.rule.refillMs);
  }

  has(key: string, now: number): boolean {
    return this.level(key, now) >= 1;
  }

  /** ms until `key` may try again (0 when it may now). */
  waitMs(key: string, now: number): number {
    const level = this.level(key, now);
    return level >= 1 ? 0 : Math.ceil((1 - level) * this.rule.refillMs);
  }

  take(key: string, now: number): void {
    const tokens = Math.max(0, this.level(key, now) - 1);
    this.map.delete(key);
    this.map.set(key, { tokens, at: now });
    if (this.map.size > this.maxKeys) this.map.delete(this.map.keys().next().value!);
  }

  sweep(now: number): void {
    for (const key of this.map.keys()) if (this.level(key, now) >= this.rule.burst) this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}

export class LoginThrottle {
  private readonly addresses: Buckets;
  private readonly accounts: Buckets;

  constructor(rules: ThrottleRules = DEFAULT_THROTTLE) {
    this.addresses = new Buckets(rules.address, rules.maxKeys);
    this.accounts = new Buckets(rules.account, rules.maxKeys);
  }

  /** 0 when `address` may try `account` now, else the ms to wait. `account` is folded by the caller. */
  waitMs(address: string, account: string, now: number): number {
    return Math.max(this.addresses.waitMs(address, now), this.accounts.waitMs(account, now));
  }

  failed(address: string, account: string, now: number): void {
    this.addresses.take(address, now);
    this.accounts.take(account, now);
  }

  sweep(now: number): void {
    this.addresses.sweep(now);
    this.accounts.sweep(now);
  }

  get keys(): number {
    return this.addresses.size + this.accounts.size;
  }
}
