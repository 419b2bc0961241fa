/**
 * @module
 * Accounts: the manager behind hello.auth, register, passwd and unregister. It reads accounts from
 * the store at every use (no cache: the operator's CLI may change them from another process),
 * hashes through the bounded HashPool, and counts failed password checks in the LoginThrottle.
 * Every refusal is a ProtocolError with a stable code; no message ever holds a password.
 */
import { foldName, MIN_PASSWORD_CHARS, ProtocolError } from '../protocol/internal.js';
import type { Logger } from './log.js';
import { LoginThrottle, type ThrottleRules } from './login-throttle.js';
import { HashPool, hashPassword, needsRehash, ServerBusyError, verifyPassword, type PasswordHash, type ScryptParams } from './passwords.js';
import type { Account, Store } from './store/store.js';

export interface AccountsOptions {
  scrypt: ScryptParams;
  hashConcurrency: number;
  hashQueue: number;
  throttle?: ThrottleRules;
}

/** Characters (code points) of a password, as MIN_PASSWORD_CHARS counts them. */
function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function weakPassword(password: string, ref: string): ProtocolError | undefined {
  return chars(password) < MIN_PASSWORD_CHARS
    ? new ProtocolError('weak_password', `A password needs at least ${MIN_PASSWORD_CHARS} characters.`, ref)
    : undefined;
}

export class Accounts {
  readonly pool: HashPool;
  readonly throttle: LoginThrottle;

  constructor(
    private readonly store: Store,
    private readonly options: AccountsOptions,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    this.pool = new HashPool(options.hashConcurrency, options.hashQueue);
    this.throttle = new LoginThrottle(options.throttle);
  }

  /** The account named `name` or one that looks like it (see Store.findAccount). */
  find(name: string): Promise<Account | undefined> {
    return this.store.findAccount(name);
  }

  /** The account named exactly `name` (folded), not a look-alike. */
  async get(name: string): Promise<Account | undefined> {
    const account = await this.store.findAccount(name);
    return account !== undefined && foldName(account.name) === foldName(name) ? account : undefined;
  }

  private hash(password: string, ref: string): Promise<PasswordHash> {
    return this.busy(() => this.pool.run(() => hashPassword(password, this.options.scrypt)), ref);
  }

  /** ServerBusyError → server_busy, at once. */
  private async busy<T>(job: () => Promise<T>, ref: string): Promise<T> {
    try {
      return await job();
    } catch (err) {
      if (err instanceof ServerBusyError) throw new ProtocolError('server_busy', err.message, ref);
      throw err;
    }
  }

  /**
   * Check `password` for `account` from `address` (an address group): throttled before any
   * hashing, counted when wrong. Returns normally when right; a weaker stored hash is redone.
   */
  async check(account: Account, address: string, password: string, ref: string): Promise<void> {
    const key = foldName(account.name);
    const wait = this.throttle.waitMs(address, key, this.now());
    if (wait > 0) {
      this.log.info('login_throttled', { account: account.name, addr: address, waitMs: wait });
      throw new ProtocolError('login_throttled', `Too many failed passwords; try again in ${Math.ceil(wait / 1000)} s.`, ref);
    }
    const ok = await this.busy(() => this.pool.run(() => verifyPassword(password, account.password)), ref);
    if (!ok) {
      this.throttle.failed(address, key, this.now());
      this.log.info('login_failed', { account: account.name, addr: address, ref });
      throw new ProtocolError('login_failed', `Wrong password for ${account.name}.`, ref);
    }
    if (needsRehash(account.password, this.options.scrypt)) void this.rehash(account, password);
  }

  /** Best effort: a busy pool or a failed write leaves the old hash, which still works. */
  private async rehash(account: Account, password: string): Promise<void> {
    try {
      const hash = await this.pool.run(() => hashPassword(password, this.options.scrypt));
      await this.store.setPassword(account.name, hash);
      this.log.info('password_rehashed', { account: account.name, N: hash.N, r: hash.r, p: hash.p });
    } catch (err) {
      this.log.debug('rehash_skipped', { account: account.name, error: err instanceof Error ? err.name : 'error' });
    }
  }

  /** Register `name`; name_registered when it or a look-alike is an account. */
  async register(name: string, password: string): Promise<Account> {
    const weak = weakPassword(password, 'register');
    if (weak) throw weak;
    const taken = (): ProtocolError => new ProtocolError('name_registered', `The name "${name}" is registered already.`, 'register');
    if ((await this.find(name)) !== undefined) throw taken();
    const hash = await this.hash(password, 'register');
    const account: Account = { name, password: hash, createdTs: this.now() };
    if (!(await this.store.createAccount(account))) throw taken();
    this.log.info('account_registered', { account: name });
    return account;
  }

  async changePassword(name: string, address: string, old: string, next: string): Promise<void> {
    const weak = weakPassword(next, 'passwd');
    if (weak) throw weak;
    const account = await this.existing(name, 'passwd');
    await this.check(account, address, old, 'passwd');
    const hash = await this.hash(next, 'passwd');
    if (!(await this.store.setPassword(account.name, hash))) throw gone(name, 'passwd');
    this.log.info('password_changed', { account: account.name });
  }

  async unregister(name: string, address: string, password: string): Promise<void> {
    const account = await this.existing(name, 'unregister');
    await this.check(account, address, password, 'unregister');
    if (!(await this.store.deleteAccount(account.name))) throw gone(name, 'unregister');
    this.log.info('account_removed', { account: account.name, by: 'self' });
  }

  private async existing(name: string, ref: string): Promise<Account> {
    const account = await this.get(name);
    if (!account) throw gone(name, ref);
    return account;
  }

  sweep(): void {
    this.throttle.sweep(this.now());
  }
}

/** The account a session was logged in to is no more (the operator removed it). */
function gone(name: string, ref: string): ProtocolError {
  return new ProtocolError('no_account', `There is no account "${name}" any more.`, ref);
}
