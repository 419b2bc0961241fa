/**
 * @module
 * Account passwords: scrypt (node:crypto) with its parameters stored beside every hash, so they
 * can be raised later (a login with a hash made under weaker ones rehashes it), a timing-safe
 * comparison, and a bounded pool of hashing jobs.
 *
 * scrypt runs on libuv's thread pool, off the event loop. The pool bounds how much of it the
 * server takes on: at most `active` jobs run at once and at most `queued` wait; one more is
 * refused at once (ServerBusyError → `server_busy`), so a flood of logins costs a refusal each,
 * not an unbounded queue of 16 MiB, 70 ms jobs.
 *
 * A password is never logged, put in an error message or in the process title: nothing here
 * formats one, and every error thrown names the job, not its input.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
  /** Bytes of derived key. */
  keylen: number;
}

/** A stored password: the derived key and everything needed to derive it again. */
export interface PasswordHash extends ScryptParams {
  algo: 'scrypt';
  salt: Buffer;
  hash: Buffer;
}

/**
 * N = 2^14, r = 8 (16 MiB per job), p = 2: about 70 ms on the 2-core machine this was measured on
 * (median of 9, load average 4; docs/SECURITY.md). p costs time without more memory.
 */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ N: 16_384, r: 8, p: 2, keylen: 32 });
const SALT_BYTES = 16;

/** Memory one scrypt job needs (128·N·r, plus slack), passed as maxmem so big N is not refused. */
function maxmem(params: ScryptParams): number {
  return 128 * params.N * params.r + 1024 * 1024;
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(
      password.normalize('NFC'),
      salt,
      params.keylen,
      { N: params.N, r: params.r, p: params.p, maxmem: maxmem(params) },
      (err, key) => (err ? reject(new Error(`scrypt failed: ${err.message}`)) : resolve(key)),
    );
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params);
  return { algo: 'scrypt', N: params.N, r: params.r, p: params.p, keylen: params.keylen, salt, hash };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (stored.algo !== 'scrypt' || stored.hash.length !== stored.keylen) return false;
  const key = await derive(password, stored.salt, stored);
  return timingSafeEqual(key, stored.hash);
}

/** True when `stored` was made with weaker parameters than `current`: rehash on the next login. */
export function needsRehash(stored: PasswordHash, current: ScryptParams): boolean {
  return stored.N < current.N || stored.r < current.r || stored.p < current.p || stored.keylen < current.keylen;
}

export class ServerBusyError extends Error {
  override readonly name = 'ServerBusyError';
  readonly code = 'server_busy';
}

/** At most `active` jobs at once, at most `queued` waiting; beyond that run() throws ServerBusyError. */
export class HashPool {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly active: number,
    readonly queued: number,
  ) {}

  /** Jobs running or waiting now. */
  get load(): number {
    return this.running + this.waiting.length;
  }

  /** Run `job` when a slot is free; throws ServerBusyError synchronously when the queue is full. */
  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.active && this.waiting.length >= this.queued) {
      throw new ServerBusyError('Too many logins are being checked right now; try again in a moment.');
    }
    const start = async (): Promise<T> => {
      this.running++;
      try {
        return await job();
      } finally {
        this.running--;
        this.waiting.shift()?.();
      }
    };
    if (this.running < this.active) return start();
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(start);
  }
}
