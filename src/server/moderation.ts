/**
 * @module
 * Moderation's state and rights: who may moderate where (operators, room founders), the bans in
 * force (in the store, read at every check like accounts, so they survive a restart and hold on
 * every node) and the mutes (in the store too, so they survive a restart; and copied in memory,
 * loaded at start, because every `say` checks them and must not wait on a database).
 *
 * In a cluster the relay (cluster/moderation.ts) carries what a node does to the others: kicks of
 * users held elsewhere, bans (whose matches every node removes) and each change to the mutes, so
 * every node's copy follows the store.
 *
 * Rights: an operator is an account named in the server's `operators` (config) or marked by the
 * CLI (`chat-server accounts oper NAME on`, stored); a room's founder is the account that made it
 * (store.claimFounder). A guest is never either: rights go with a login to the account.
 */
import { foldName, MAIN_ROOM, ProtocolError } from '../protocol/internal.js';
import type { Logger } from './log.js';
import { MAX_MUTE_PAGE, type Ban, type Store } from './store/store.js';

/** Mutes per room at most; one more is refused (bad_request), so the store and the copy stay bounded. */
export const MAX_MUTES_PER_ROOM = 1000;

export type Right = 'operator' | 'founder';

/** A kick of a user another node holds. */
export interface KickOrder {
  /** As the directory spells it. */
  name: string;
  room?: string;
  by: string;
  reason?: string;
}

/**
 * How moderation reaches the other nodes of a cluster; a single process has none. Each change is
 * in the store before it is relayed.
 */
export interface ModerationRelay {
  /** Kick `order.name` where they are; resolves once it is on its way (as muted and unmuted do). */
  kick(order: KickOrder): Promise<void>;
  /** The other nodes remove whoever `ban` matches; resolves with how many they removed. */
  ban(ban: Ban): Promise<number>;
  muted(room: string, name: string, until: number | undefined): Promise<void>;
  unmuted(room: string, name: string): Promise<void>;
  renamed(from: string, to: string): void;
}

export class Moderation {
  /** Folded room → folded name → when the mute ends (ms), or undefined: until lifted. A copy of the store's. */
  private readonly mutes = new Map<string, Map<string, number | undefined>>();
  private readonly configured: ReadonlySet<string>;
  /** While load() reads: the mutes changed meanwhile (relayed), which the read must not undo. */
  private touched: Set<string> | undefined;

  constructor(
    private readonly store: Store,
    operators: readonly string[],
    private readonly log: Logger,
    private readonly now: () => number,
    readonly relay?: ModerationRelay,
  ) {
    this.configured = new Set(operators.map(foldName));
  }

  /** Read the mutes in force from the store (at start). */
  async load(): Promise<void> {
    this.touched = new Set();
    try {
      const mutes = await this.store.listMutes(this.now(), MAX_MUTE_PAGE);
      for (const m of mutes) if (!this.touched.has(muteKey(m.room, m.name))) this.put(m.room, m.name, m.until);
      if (mutes.length > 0) this.log.info('mutes_loaded', { mutes: mutes.length });
    } finally {
      this.touched = undefined;
    }
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

  /** Mute `name` in `room` (store first, then this copy, then the other nodes'). */
  async mute(room: string, name: string, until: number | undefined, by: string): Promise<void> {
    const mute = { room, name, by, ts: this.now(), ...(until === undefined ? {} : { until }) };
    if (!(await this.store.addMute(mute, MAX_MUTES_PER_ROOM)))
      throw new ProtocolError('bad_request', `${room} has ${MAX_MUTES_PER_ROOM} mutes, the most it may hold; lift one first.`, 'mute');
    this.put(room, name, until);
    await this.relay?.muted(room, name, until);
  }

  /** False when `name` was not muted in `room`. */
  async unmute(room: string, name: string): Promise<boolean> {
    const had = await this.store.removeMute(room, name, this.now());
    this.drop(room, name);
    await this.relay?.unmuted(room, name);
    return had;
  }

  /** When `name`'s mute in `room` ends (Infinity: until lifted), or undefined when not muted. */
  mutedUntil(room: string, name: string): number | undefined {
    const muted = this.mutes.get(foldName(room));
    if (!muted) return undefined;
    const key = foldName(name);
    if (!muted.has(key)) return undefined;
    const until = muted.get(key);
    if (until !== undefined && until <= this.now()) {
      this.drop(room, name);
      return undefined;
    }
    return until ?? Infinity;
  }

  /** A muted user who renames stays muted under the new name, in the store and on every node. */
  renamed(from: string, to: string): void {
    if (!this.takeRename(from, to)) return;
    this.store.renameMutes(from, to).catch((err: unknown) => this.log.error('mute_rename_failed', { from, to, error: String(err) }));
    this.relay?.renamed(from, to);
  }

  // What another node did (already in the store): this copy follows.

  takeMute(room: string, name: string, until: number | undefined): void {
    this.touched?.add(muteKey(room, name));
    this.put(room, name, until);
  }

  takeUnmute(room: string, name: string): void {
    this.touched?.add(muteKey(room, name));
    this.drop(room, name);
  }

  /** True when `from` was muted somewhere. */
  takeRename(from: string, to: string): boolean {
    const a = foldName(from);
    const b = foldName(to);
    if (a === b) return false;
    let moved = false;
    for (const [room, muted] of this.mutes) {
      if (!muted.has(a)) continue;
      this.touched?.add(muteKey(room, from)).add(muteKey(room, to));
      muted.set(b, muted.get(a));
      muted.delete(a);
      moved = true;
    }
    return moved;
  }

  private put(room: string, name: string, until: number | undefined): void {
    const key = foldName(room);
    let muted = this.mutes.get(key);
    if (!muted) this.mutes.set(key, (muted = new Map()));
    muted.set(foldName(name), until);
  }

  private drop(room: string, name: string): void {
    const key = foldName(room);
    const muted = this.mutes.get(key);
    muted?.delete(foldName(name));
    if (muted?.size === 0) this.mutes.delete(key);
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

function muteKey(room: string, name: string): string {
  return `${foldName(room)}\u0000${foldName(name)}`;
}

/** "until 2026-12-02 10:00 UTC" or "until lifted", for messages. */
export function untilText(until: number | undefined): string {
  if (until === undefined || until === Infinity) return 'until lifted';
  return `until ${new Date(until).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
