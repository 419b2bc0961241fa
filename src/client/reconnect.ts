/**
 * @module
 * Reconnecting: the delay before each attempt as a pure function (capped exponential backoff with
 * "equal jitter", so a server restart is not met by every client at the same instant), and the
 * retry loop that uses it. The clock and the random source are injected, so tests run instantly.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface BackoffOptions {
  /** Delay scale for the first attempt, ms. */
  baseMs: number;
  /** No delay is longer than this, ms. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000 };

/**
 * Delay before attempt `attempt` (0 = the first retry): half of min(cap, base·2^attempt) fixed,
 * the other half random. Never 0, never above the cap, and it grows until it reaches the cap.
 */
export function backoffDelay(attempt: number, random: () => number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface RetryOptions {
  backoff?: BackoffOptions;
  random?: () => number;
  /** Wait `ms`; rejects (or resolves early) when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<unknown>;
  /** Stops the loop between attempts. */
  signal: AbortSignal;
  /** Give up after this many attempts (default: never). */
  maxAttempts?: number;
  /** Errors for which trying again is pointless (a refused password, say): the loop throws them. */
  isFatal?: (err: unknown) => boolean;
  /** Told before each wait: the attempt number (1-based), the delay, and why the last attempt failed. */
  onWait?: (attempt: number, delayMs: number, lastError: unknown) => void;
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<unknown> => delay(ms, undefined, { signal }).catch(() => undefined);

/**
 * Call `attempt` until it resolves, waiting a backoff delay before each call. Resolves with its
 * value, or with undefined when aborted or out of attempts; rejects with a fatal error.
 */
export async function retry<T>(attempt: () => Promise<T>, opts: RetryOptions): Promise<T | undefined> {
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? defaultSleep;
  const max = opts.maxAttempts ?? Infinity;
  let lastError: unknown;
  for (let n = 0; n < max; n++) {
    if (opts.signal.aborted) return undefined;
    const wait = backoffDelay(n, random, opts.backoff);
    opts.onWait?.(n + 1, wait, lastError);
    await sleep(wait, opts.signal);
    if (opts.signal.aborted) return undefined;
    try {
      return await attempt();
    } catch (err) {
      if (opts.isFatal?.(err)) throw err;
      lastError = err;
    }
  }
  return undefined;
}
