/**
 * @module
 * A line in the message pane, before it is styled: what happened, not how it looks. state.ts makes
 * them, format.ts styles them, scrollback.ts keeps them.
 */

/**
 * - message / action: said in the room (action = /me)
 * - private: a /msg, to us or from us
 * - system: joins, leaves, renames, connection changes (drawn dimmed)
 * - info: answers to our commands (/who, /rooms, /help)
 * - error: the server refused something, or a command was wrong
 */
export type LineKind = 'message' | 'action' | 'private' | 'system' | 'info' | 'error';

export interface ChatLine {
  kind: LineKind;
  /** Milliseconds since the epoch: the server's `ts` where it sent one, else when it happened here. */
  ts: number;
  text: string;
  /** The speaker (message, action, private). */
  from?: string;
  /** The recipient (private). */
  to?: string;
  /** We said it. */
  own?: boolean;
  /** Someone else's line that contains our name. */
  mention?: boolean;
  /** Not yet echoed by the server. */
  pending?: boolean;
  /** An error about a line the server refused: what to type to send it again. */
  unsent?: string;
}
