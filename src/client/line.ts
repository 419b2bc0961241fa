/**
 * @module
 * A line in the message pane, before it is styled: what happened, not how it looks. state.ts makes
 * them, format.ts styles them, scrollback.ts keeps them. Discriminated on `kind`: a line that has a
 * speaker always has one, a private line always has its recipient.
 */

interface Base {
  /** Milliseconds since the epoch: the server's `ts` where it sent one, else when it happened here. */
  ts: number;
  text: string;
}

/** Something someone said: in the room (message; action = /me) or privately (private). */
interface Spoken extends Base {
  /** The speaker. */
  from: string;
  /** We said it. */
  own?: boolean;
  /** Someone else's line that contains our name (or a private line to us). */
  mention?: boolean;
  /** Not yet echoed by the server. */
  pending?: boolean;
  /** The message's id (lines from the server): what dedupes, pages back and jumps. */
  id?: number;
  /** From the server's store (history on join, a catch-up, an older page, a search result), not live: drawn dimmed, dated. */
  history?: boolean;
  /** A search result: its number (for /goto N) and its room. */
  result?: { n: number; room: string };
}

export interface MessageLine extends Spoken {
  kind: 'message';
}
export interface ActionLine extends Spoken {
  kind: 'action';
}
/** A /msg, to us or from us. */
export interface PrivateLine extends Spoken {
  kind: 'private';
  to: string;
}
/**
 * - system: joins, leaves, renames, connection changes (drawn dimmed)
 * - info: answers to our commands (/who, /rooms, /help)
 */
export interface NoteLine extends Base {
  kind: 'system' | 'info';
}
/** The server refused something, or a command was wrong. */
export interface ErrorLine extends Base {
  kind: 'error';
  /** An error about a line the server refused: what to type to send it again. */
  unsent?: string;
}

export type SpokenLine = MessageLine | ActionLine | PrivateLine;
export type ChatLine = SpokenLine | NoteLine | ErrorLine;
export type LineKind = ChatLine['kind'];
