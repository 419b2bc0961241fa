/**
 * @module
 * NameClaims: who may take a name. A name is unique wherever the chat runs; in one process the
 * name map (Users) is the whole truth, and a cluster checks a shared registry first (a claim in
 * Redis that its node refreshes). Claims may complete asynchronously: the handler that asks
 * (hello, nick) returns a promise, and the session reads no more of that client's input until it
 * settles, so answers keep their order.
 *
 * Invariant: a name is claimed before Users maps it, and released after Users unmaps it.
 */
import { foldName } from '../protocol/internal.js';

export interface NameClaims {
  /** Reserve `name` for session `holder`; false when someone else holds it. */
  claim(name: string, holder: number): boolean | Promise<boolean>;
  /** Move `holder`'s claim from `from` to `to` in one step; false when `to` is someone else's. */
  move(from: string, to: string, holder: number): boolean | Promise<boolean>;
  /** Give up `holder`'s claim on `name` (logout, disconnect). */
  release(name: string, holder: number): void;
}

/** One process: a name is free when no local session holds it. */
export class LocalClaims implements NameClaims {
  constructor(private readonly holderOf: (name: string) => number | undefined) {}

  claim(name: string, holder: number): boolean {
    const current = this.holderOf(name);
    return current === undefined || current === holder;
  }

  move(from: string, to: string, holder: number): boolean {
    return foldName(from) === foldName(to) || this.claim(to, holder);
  }

  release(): void {}
}
