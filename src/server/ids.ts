/**
 * @module
 * IdSource: ids for `message` and `private`. Unique and increasing on the server; with a store,
 * still increasing after a restart (the store's own IdSource starts after the largest id it
 * holds); in a cluster, unique across nodes.
 */
export interface IdSource {
  next(): number;
}

/** In memory: 1, 2, 3, ... from `after` + 1. */
export class CounterIds implements IdSource {
  constructor(private latest = 0) {}

  /** The id handed out last (`after` before the first). */
  get last(): number {
    return this.latest;
  }

  next(): number {
    return ++this.latest;
  }
}
