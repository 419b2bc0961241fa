/**
 * @module
 * Packet: a server message with its encodings, each made at most once however many sessions it is
 * written to. A broadcast to 500 framed members costs one MessagePack encode and 500 writes of the
 * same Buffer; text-mode members share one rendered line the same way.
 */
import { encode, type ServerMessage } from '../protocol/internal.js';
import { renderText } from './text/render.js';

export class Packet {
  private frameBytes: Buffer | undefined;
  private textBytes: Buffer | null | undefined;
  private prefixedBytes: Buffer | null | undefined;

  constructor(readonly message: ServerMessage) {}

  /** A room's news of who came or went: what the Fanout may deliver deferred. */
  get presence(): boolean {
    return this.message.type === 'joined' || this.message.type === 'left';
  }

  /** Length-prefixed MessagePack frame. */
  get frame(): Buffer {
    return (this.frameBytes ??= encode(this.message));
  }

  /**
   * Text-mode lines for `viewer` (null when the message has no text form, e.g. pong); `prefixed`
   * when the viewer is in several rooms, so room lines name their room. Only private messages
   * read differently for sender and recipient; everything else is cached, once per form.
   */
  text(viewer: string, prefixed = false): Buffer | null {
    if (this.message.type === 'private') return toBytes(renderText(this.message, viewer));
    if (prefixed) {
      if (this.prefixedBytes === undefined) this.prefixedBytes = toBytes(renderText(this.message, viewer, true));
      return this.prefixedBytes;
    }
    if (this.textBytes === undefined) this.textBytes = toBytes(renderText(this.message, viewer));
    return this.textBytes;
  }
}

function toBytes(lines: string[]): Buffer | null {
  return lines.length === 0 ? null : Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
}
