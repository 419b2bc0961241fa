/**
 * @module
 * ClusterModeration: the relay (moderation.ts ModerationRelay) that carries kicks, bans and mutes
 * between nodes on the bus. The store (PostgreSQL) holds every ban and mute before it is relayed,
 * so the bus only says "act on this now":
 *
 * - `kick`: every node hears it; the one holding the user kicks them as a local kick would, so the
 *   user and their rooms see the same `left{kicked}` (it goes out through the cluster fanout).
 * - `ban`: every other node removes the sessions it matches and answers `banned` with how many, so
 *   the operator's `moderated.kicked` counts the whole cluster. The origin waits for the nodes it
 *   knows of at most BAN_REPLY_MS, then answers with what it has. Logins and joins on any node read
 *   bans from the store, so there is no cache to invalidate.
 * - `mute`, `unmute`, `mrename`: each node's copy of the mutes (read from the store at start)
 *   follows, so a `say` on any node is checked against the same mutes.
 */
import { applyBan, applyKick } from '../handlers/moderation.js';
import type { KickOrder, ModerationRelay } from '../moderation.js';
import type { ChatServer } from '../server.js';
import type { Ban } from '../store/store.js';

/** The longest the node that bans waits for the others to say how many they removed. */
export const BAN_REPLY_MS = 2_000;

/** Moderation's events on the bus (JSON); `n` is the sending node. */
export type ModerationEvent =
  | { n: string; t: 'kick'; k: KickOrder }
  | { n: string; t: 'ban'; c: number; b: Ban }
  | { n: string; t: 'banned'; to: string; c: number; k: number }
  | { n: string; t: 'mute'; room: string; name: string; u?: number }
  | { n: string; t: 'unmute'; room: string; name: string }
  | { n: string; t: 'mrename'; from: string; to: string };

interface Waiting {
  /** Nodes yet to answer. */
  left: Set<string>;
  kicked: number;
  finish(): void;
}

export class ClusterModeration implements ModerationRelay {
  private readonly waiting = new Map<number, Waiting>();
  private nonce = 0;

  constructor(
    private readonly node: string,
    /** Resolves once the bus has taken the event: what is answered was sent before the answer. */
    private readonly send: (event: ModerationEvent) => Promise<void>,
    /** The other nodes this one knows of. */
    private readonly others: () => Iterable<string>,
    private readonly server: ChatServer,
  ) {}

  kick(order: KickOrder): Promise<void> {
    return this.send({ n: this.node, t: 'kick', k: order });
  }

  ban(ban: Ban): Promise<number> {
    const c = ++this.nonce;
    const left = new Set(this.others());
    return new Promise((resolve) => {
      const wait: Waiting = {
        left,
        kicked: 0,
        finish: () => {
          clearTimeout(timer);
          this.waiting.delete(c);
          resolve(wait.kicked);
        },
      };
      const timer = setTimeout(wait.finish, BAN_REPLY_MS);
      this.waiting.set(c, wait);
      void this.send({ n: this.node, t: 'ban', c, b: ban });
      if (left.size === 0) wait.finish();
    });
  }

  muted(room: string, name: string, until: number | undefined): Promise<void> {
    return this.send({ n: this.node, t: 'mute', room, name, ...(until === undefined ? {} : { u: until }) });
  }

  unmuted(room: string, name: string): Promise<void> {
    return this.send({ n: this.node, t: 'unmute', room, name });
  }

  renamed(from: string, to: string): void {
    void this.send({ n: this.node, t: 'mrename', from, to });
  }

  /** An event from the bus; this node's own were done when they were made. */
  receive(e: ModerationEvent, mine: boolean): void {
    if (mine) return;
    const ctx = this.server;
    switch (e.t) {
      case 'kick':
        applyKick(ctx, e.k);
        break;
      case 'ban': {
        const kicked = applyBan(ctx, e.b);
        if (kicked > 0) ctx.log.info('ban', { by: e.b.by, kind: e.b.kind, target: e.b.target, room: e.b.room, kicked, relayed: true });
        void this.send({ n: this.node, t: 'banned', to: e.n, c: e.c, k: kicked });
        break;
      }
      case 'banned':
        if (e.to === this.node) this.answered(e.c, e.n, e.k);
        break;
      case 'mute':
        ctx.moderation.takeMute(e.room, e.name, e.u);
        break;
      case 'unmute':
        ctx.moderation.takeUnmute(e.room, e.name);
        break;
      case 'mrename':
        ctx.moderation.takeRename(e.from, e.to);
        break;
    }
  }

  /** `node` left the cluster: no answer will come from it. */
  gone(node: string): void {
    for (const c of [...this.waiting.keys()]) this.answered(c, node, 0);
  }

  private answered(c: number, node: string, kicked: number): void {
    const wait = this.waiting.get(c);
    if (!wait || !wait.left.delete(node)) return;
    wait.kicked += kicked;
    if (wait.left.size === 0) wait.finish();
  }
}
