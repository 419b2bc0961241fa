/**
 * @module
 * Archive: the server's side of the Store. It numbers messages (the store's IdSource), enqueues
 * each message and topic as the handler makes it, and commits once per event-loop turn from the
 * Outbox's before-flush hook, so no byte of a message reaches a socket before the message is in
 * the store (one transaction per turn, not per message). A failed commit (disk full) never stops
 * live chat: it is logged once, operators are told in a `notice`, and the store retries on later
 * turns until it can write again.
 */
import type { MessageMsg, PrivateMsg } from '../protocol/internal.js';
import { performance } from 'node:perf_hooks';
import type { Logger } from './log.js';
import { onBeforeFlush } from './outbox.js';
import type { CommitReport, IdSource, Store, StoredMessage } from './store/store.js';

export class Archive {
  readonly ids: IdSource;
  /** True while commits fail; cleared by the first one that writes again. */
  private failing = false;
  private readonly removeHook: () => void;
  /** Told how long each commit took and what it reported (the server's metrics). */
  onCommit: ((ms: number, report: CommitReport) => void) | undefined;

  constructor(
    readonly store: Store,
    private readonly log: Logger,
    /** Tell the operators something (a `notice`). */
    private readonly notify: (text: string) => void,
    private readonly hooks: { onWriteFailed?: () => void } = {},
  ) {
    this.ids = store.ids;
    this.removeHook = onBeforeFlush(() => this.commit(), store.async === true);
  }

  /**
   * Enqueue a room or private message for this turn's commit. `accounts`: the accounts sender and
   * recipient of a private message were logged in to (who may read it back later).
   */
  record(message: MessageMsg | PrivateMsg, accounts: { from?: string; to?: string } = {}): void {
    const base = { id: message.id, ts: message.ts, from: message.from, text: message.text };
    const stored: StoredMessage =
      message.type === 'message'
        ? { kind: 'room', room: message.room, ...base, ...(message.action ? { action: true } : {}) }
        : {
            kind: 'private',
            to: message.to,
            ...base,
            ...(accounts.from !== undefined ? { fromAccount: accounts.from } : {}),
            ...(accounts.to !== undefined ? { toAccount: accounts.to } : {}),
          };
    this.store.append(stored);
  }

  setTopic(room: string, text: string, by: string, ts: number): void {
    this.store.setTopic(room, { text, by, ts });
  }

  /** True while commits fail (history is not being saved). */
  get storeFailing(): boolean {
    return this.failing;
  }

  /**
   * Write what this turn enqueued; called before every flush. An asynchronous store's promise is
   * returned, and the Outbox holds this flush's bytes until it settles, so what a client has
   * received is in the store (a failed commit settles too: live chat goes on).
   */
  commit(): void | Promise<void> {
    let result: CommitReport | Promise<CommitReport>;
    const start = performance.now();
    try {
      result = this.store.commit();
    } catch (err) {
      this.log.error('store_commit_failed', { error: String((err as Error)?.stack ?? err) });
      return;
    }
    if (result instanceof Promise) {
      const settled = result.then(
        (r) => this.report(r, start),
        (err: unknown) => this.log.error('store_commit_failed', { error: String(err) }),
      );
      // While the store fails, live chat does not wait for it: the messages wait in the store's
      // bounded queue for a retry instead (and what is dropped is counted and told).
      return this.failing ? undefined : settled;
    }
    this.report(result, start);
  }

  /** Messages given up on since the failure began: told when saving works again. */
  private lost = 0;

  private report(r: CommitReport, start: number): void {
    this.onCommit?.(performance.now() - start, r);
    if (r.dropped > 0) {
      this.lost += r.dropped;
      this.log.error('store_dropped', { dropped: r.dropped, total: this.lost });
    }
    if (r.error && !this.failing) {
      this.failing = true;
      this.log.error('store_write_failed', { code: r.error.code, error: r.error.message, pending: r.pending });
      this.notify(`History is not being saved (${r.error.code === 'disk_full' ? 'disk full' : r.error.code}); live chat goes on.`);
    }
    if (r.error) this.hooks.onWriteFailed?.();
    else if (!r.error && r.pending === 0 && r.written > 0 && this.failing) {
      this.failing = false;
      this.log.warn('store_recovered', { written: r.written });
      this.notify(
        this.lost > 0
          ? `History is being saved again; ${this.lost} message${this.lost === 1 ? ' was' : 's were'} dropped from it meanwhile.`
          : 'History is being saved again.',
      );
      this.lost = 0;
    }
  }

  /** The last commit, then the store closed; resolves once both have settled. */
  async close(): Promise<void> {
    this.removeHook();
    await this.commit();
    await this.store.close();
  }
}
