/**
 * @module
 * Moderation's state and rights: who may moderate where (operators, room founders), the bans in
 * force (in the store, read at every check like accounts, so they survive a restart and hold on
 * every node) and the mutes (in memory: a mute is for the moment, lost at a restart).
 *
 * Rights: an operator is an account named in the server's `operators` (config) or marked by the
 * CLI (`chat-server accounts oper NAME on`, stored); a room's founder is the account that made it
 * (store.claimFounder). A guest is never either: rights go with a login to the account.
 */
import { foldName, MAIN_ROOM, ProtocolError } from '../protocol/internal.js';
import type { Logger } from './log.js';
import type { Ban, Store } from './store/store.js';

/** Mutes per room at most; one more is refused (bad_request), so the map stays bounded. */
export const MAX_MUTES_PER_ROOM = 1000;

export type Right = 'operator' | 'founder';

export class Moderation {
  /** Folded room → folded name → when the mute ends (ms), or undefined: until lifted. */
  private readonly mutes = new Map<string, Map<string, number | undefined>>();
  private readonly configured: ReadonlySet<string>;

  constructor(
    private readonly store: Store,
    operators: readonly string[],
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    this.configured = new Set(operators.map(foldName));
  }

  /** Is `account` an operator (config or store)? A guest (undefined) never is. */
  async isOperator(account: string | undefined): Promise<boolean> {
    if (account === undefined) return false;
    if (this.configured.has(foldName(account))) return true;
    const marked = await this.store.listOperators();
    return marked.some((name) => foldName(name) === foldName(account));
  }

  /** The right `account` has in `room` (operator first), or undefined. */
  async right(account: string | undefined, room: string | undefined): Promise<Right | undefined> {
    if (account === undefined) return undefined;
    if (await this.isOperator(account)) return 'operator';
    if (room === undefined) return undefined;
    const founder = await this.store.getFounder(room);
    return founder !== undefined && foldName(founder) === foldName(account) ? 'founder' : undefined;
  }

  /** not_operator unless `account` may moderate `room` (undefined: the server, operators only). */
  async require(account: string | undefined, room: string | undefined, ref: string, verb = ref): Promise<Right> {
    const right = await this.right(account, room);
    if (right !== undefined) return right;
    throw new ProtocolError(
      'not_operator',
      room === undefined
        ? `Only operators may ${verb} on the whole server.`
        : `Only operators and the founder of ${room} may ${verb} there.`,
      ref,
    );
  }

  /** A room made by an account is founded by it, unless it has a founder; #main is the server's. */
  async founded(room: string, account: string | undefined): Promise<void> {
    if (account === undefined || room === MAIN_ROOM) return;
    if (await this.store.claimFounder(room, account)) this.log.debug('room_founded', { room, account });
  }

  /** A ban in force on the server for this name, account or address group. */
  serverBan(name: string, account: string | undefined, group: string): Promise<Ban | undefined> {
    return this.store.findBan({ names: account === undefined ? [name] : [name, account], address: group }, this.now());
  }

  roomBan(room: string, name: string, account: string | undefined, group: string): Promise<Ban | undefined> {
    return this.store.findBan({ names: account === undefined ? [name] : [name, account], address: group, room }, this.now());
  }

  // ---- mutes ----

  mute(room: string, name: string, until: number | undefined): void {
    let muted = this.mutes.get(room);
    if (!muted) {
      muted = new Map();
      this.mutes.set(room, muted);
    }
    const key = foldName(name);
    if (!muted.has(key) && muted.size >= MAX_MUTES_PER_ROOM) {
      this.sweep();
      if (muted.size >= MAX_MUTES_PER_ROOM)
        throw new ProtocolError('bad_request', `${room} has ${MAX_MUTES_PER_ROOM} mutes, the most it may hold; lift one first.`, 'mute');
    }
    muted.set(key, until);
  }

  /** False when `name` was not muted in `room`. */
  unmute(room: string, name: string): boolean {
    const muted = this.mutes.get(room);
    const had = muted?.delete(foldName(name)) ?? false;
    if (muted?.size === 0) this.mutes.delete(room);
    return had;
  }

  /** When `name`'s mute in `room` ends (Infinity: until lifted), or undefined when not muted. */
  mutedUntil(room: string, name: string): number | undefined {
    const muted = this.mutes.get(room);
    if (!muted) return undefined;
    const key = foldName(name);
    if (!muted.has(key)) return undefined;
    const until = muted.get(key);
    if (until !== undefined && until <= this.now()) {
      muted.delete(key);
      return undefined;
    }
    return until ?? Infinity;
  }

  /** A muted user who renames stays muted under the new name. */
  renamed(from: string, to: string): void {
    const a = foldName(from);
    const b = foldName(to);
    if (a === b) return;
    for (const muted of this.mutes.values()) {
      if (!muted.has(a)) continue;
      muted.set(b, muted.get(a));
      muted.delete(a);
    }
  }

  /** Drop mutes that have ended (the server's periodic sweep). */
  sweep(): void {
    const now = this.now();
    for (const [room, muted] of this.mutes) {
      for (const [name, until] of muted) if (until !== undefined && until <= now) muted.delete(name);
      if (muted.size === 0) this.mutes.delete(room);
    }
  }
}

/** "until 2026-12-02 10:00 UTC" or "until lifted", for messages. */
export function untilText(until: number | undefined): string {
  if (until === undefined || until === Infinity) return 'until lifted';
  return `until ${new Date(until).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
