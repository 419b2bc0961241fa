/**
 * @module
 * Refusals: connections turned away at admission (too many from one address, server full). They
 * never become Sessions and hold no session slot; they are counted here, with their own small
 * bounds, and each is closed within REFUSE_WAIT_MS + REFUSE_LINGER_MS of its arrival.
 *
 * A refusal is one error in the client's mode: the mode is known only from the first byte (or at
 * once on the text port), so a refused connection may wait REFUSE_WAIT_MS for that byte. A framed
 * client speaks at once; one still silent after the wait is taken for a person at telnet who has
 * not typed yet and is told in text. After the error the server sends FIN and reads (discarding)
 * for REFUSE_LINGER_MS, so that closing with unread input does not reset the connection before
 * the peer has read the error.
 */
import type net from 'node:net';
import type { ErrorCode } from '../protocol/internal.js';
import { Packet } from './packet.js';
import { modeOf } from './sniff.js';

/** How long a refused connection may take for its TLS handshake and first byte. */
export const REFUSE_WAIT_MS = 2_000;
/** How long the peer has to read the error and close before the socket is destroyed. */
export const REFUSE_LINGER_MS = 1_000;

export interface RefusalLimits {
  /** Refusals in progress at once, server-wide. */
  total: number;
  /** Refusals in progress at once per address group. */
  perGroup: number;
}

export interface Refusal {
  code: ErrorCode;
  message: string;
}

/** A refusal slot: held from the socket's arrival until its transport closes. */
export interface RefusalSlot {
  /** Answer on `socket` (the transport itself, or the TLS socket over it). */
  answer(socket: net.Socket, refusal: Refusal, textAtOnce: boolean): void;
}

/** One `error` in the given mode: a frame, or its line in text. */
export function errorBytes(mode: 'framed' | 'text', error: Refusal): Buffer {
  const packet = new Packet({ type: 'error', ...error });
  return mode === 'framed' ? packet.frame : (packet.text('') ?? Buffer.from(`${error.message}\r\n`));
}

export class Refusals {
  private readonly transports = new Set<net.Socket>();
  private total = 0;
  private readonly perGroup = new Map<string, number>();

  constructor(private readonly limits: RefusalLimits) {}

  /** Refusals in progress. */
  get count(): number {
    return this.total;
  }

  /**
   * Take a slot for `transport` (the TCP socket), or destroy it at once and return undefined when
   * the bounds are reached: under a flood of refused connections the excess is dropped unanswered.
   */
  take(transport: net.Socket, group: string): RefusalSlot | undefined {
    const inGroup = this.perGroup.get(group) ?? 0;
    if (this.total >= this.limits.total || inGroup >= this.limits.perGroup) {
      transport.destroy();
      return undefined;
    }
    this.total++;
    this.perGroup.set(group, inGroup + 1);
    this.transports.add(transport);
    transport.once('close', () => {
      this.transports.delete(transport);
      this.total--;
      const left = (this.perGroup.get(group) ?? 1) - 1;
      if (left <= 0) this.perGroup.delete(group);
      else this.perGroup.set(group, left);
    });
    return new Slot(transport);
  }

  /** Shutdown: drop every refusal in progress. */
  destroyAll(): void {
    for (const transport of this.transports) transport.destroy();
  }
}

class Slot implements RefusalSlot {
  private socket: net.Socket | undefined;
  private refusal: Refusal | undefined;
  private answered = false;
  private timer: NodeJS.Timeout;

  constructor(private readonly transport: net.Socket) {
    transport.on('error', () => {}); // resets and the like: close follows
    transport.once('close', () => clearTimeout(this.timer));
    this.timer = setTimeout(() => this.expire(), REFUSE_WAIT_MS);
    this.timer.unref();
  }

  answer(socket: net.Socket, refusal: Refusal, textAtOnce: boolean): void {
    this.socket = socket;
    this.refusal = refusal;
    if (socket !== this.transport) socket.on('error', () => {});
    if (textAtOnce) {
      this.write('text');
      return;
    }
    const onData = (chunk: Buffer): void => {
      if (!this.answered && chunk.length > 0) this.write(modeOf(chunk[0]!));
    };
    socket.on('data', onData);
  }

  private expire(): void {
    if (this.answered || this.socket === undefined) {
      this.transport.destroy();
      return;
    }
    this.write('text');
  }

  private write(mode: 'framed' | 'text'): void {
    const socket = this.socket!;
    this.answered = true;
    socket.end(errorBytes(mode, this.refusal!));
    socket.resume(); // keep reading, and discard, until the peer closes
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.transport.destroy(), REFUSE_LINGER_MS);
    this.timer.unref();
  }
}
