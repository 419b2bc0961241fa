/**
 * @module
 * One benchmark client per socket, in the two wire formats the benchmark speaks. Both log in and
 * enter their room, send stamped chat lines, and hand every stamped line they receive to a Sink.
 *
 * FramedClient speaks framechat's protocol with the project's codec. It reads 500 times as many
 * frames as the server it measures, so reading must stay cheaper than the server's work: it walks
 * the frames of each chunk in place (FrameDecoder hands out a new Buffer view per frame, which
 * was a third of a generator's time in its profile) and reads chat messages with peek() instead
 * of a full decode. IrcClient speaks IRC: NICK/USER, JOIN,
 * PRIVMSG, and answers PING. An IRC server does not echo a message to its sender; framechat and
 * the relay do, and the Sink ignores those echoes, so every target is counted the same way.
 */
import net from 'node:net';
import { decode, encode, HEADER_BYTES, MAX_FRAME_LIMIT, MAIN_ROOM } from '../../src/protocol/internal.js';
import type { ClientSpec, TargetAddress } from './ipc.js';
import { NEEDS_V2 } from './scenarios.js';
import { Kind, peek, type Peek } from './peek.js';
import { nowUs, readDigits, readStamp, TEXT_BYTES, type Stamp } from './stamp.js';

export interface Sink {
  chat(receiver: BenchClient, stamp: Stamp, atUs: number): void;
  /** A `renamed` whose new name carries its send time ("t<µs>"): the broadcast-to-all probe. */
  renamed(receiver: BenchClient, sentUs: number, atUs: number): void;
  closed(client: BenchClient): void;
}

/** Scratch space reused for every message: reading a message allocates nothing. */
const stamp: Stamp = { sender: 0, seq: 0, sentUs: 0 };
const peeked: Peek = { kind: Kind.Ignore, start: 0, end: 0 };

export abstract class BenchClient {
  readonly id: number;
  readonly name: string;
  /** The room it talks in. */
  readonly room: string;
  /** Every room it is in (room first). */
  readonly rooms: string[];
  readonly talker: number;
  protected readonly socket: net.Socket;
  protected loggedIn = false;
  private settle: ((error?: string) => void) | undefined;
  closing = false;
  /** The generator's counters for this receiver: the next sequence number expected per talker. */
  nextSeq = new Int32Array(0);
  /** Whether some talker in this generator waits for its messages to arrive here. */
  observer = false;
  /** Which of a cluster's nodes it is connected to (0 on a single server). */
  node = 0;

  constructor(
    spec: ClientSpec,
    target: TargetAddress,
    protected readonly sink: Sink,
  ) {
    this.id = spec.id;
    this.name = `u${spec.id}`;
    this.room = spec.room;
    this.rooms = spec.rooms ?? [spec.room];
    this.talker = spec.talker;
    this.socket = net.connect({ host: target.host, port: target.port });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => this.greet());
    this.socket.on('data', (chunk: Buffer) => this.read(chunk, nowUs()));
    this.socket.on('error', (err) => this.fail(err.message));
    this.socket.on('close', () => {
      this.fail('connection closed');
      if (!this.closing) sink.closed(this);
    });
  }

  /** Resolves once logged in and in the room; rejects with the reason it could not. */
  login(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve() : reject(new Error(`${this.name}: ${error}`)));
    });
  }

  abstract say(text: string): void;
  abstract rename(name: string): void;

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  close(): void {
    this.closing = true;
    this.socket.destroy();
  }

  protected abstract greet(): void;
  protected abstract read(chunk: Buffer, atUs: number): void;

  protected ready(): void {
    this.loggedIn = true;
    this.settle?.();
    this.settle = undefined;
  }

  protected fail(reason: string): void {
    this.settle?.(reason);
    this.settle = undefined;
  }
}

export class FramedClient extends BenchClient {
  /** The start of a frame whose end has not arrived yet. */
  private partial: Buffer | undefined;
  /** In several rooms: protocol v2 (join adds a room, say names its room). */
  private readonly multi = this.rooms.length > 1;
  /** Rooms whose `room` answer has not arrived yet (several rooms only). */
  private readonly pending = new Set(this.multi ? this.rooms : []);
  private welcomed = false;

  say(text: string): void {
    this.socket.write(encode(this.multi ? { type: 'say', room: this.room, text } : { type: 'say', text }));
  }

  rename(name: string): void {
    this.socket.write(encode({ type: 'nick', name }));
  }

  protected greet(): void {
    if (this.multi) {
      // Protocol v2: start in the first room, join every room (the first answers `room` again,
      // without a joined, so the answer is awaited for each whether or not hello honoured rooms).
      this.socket.cork();
      this.socket.write(encode({ type: 'hello', name: this.name, client: 'framechat-bench', rooms: [this.room] }));
      for (const room of this.rooms) this.socket.write(encode({ type: 'join', room }));
      this.socket.uncork();
      return;
    }
    this.socket.write(encode({ type: 'hello', name: this.name, client: 'framechat-bench' }));
    // Pipelined: the server handles frames in order, so the join lands right after the login.
    if (this.room !== MAIN_ROOM) this.socket.write(encode({ type: 'join', room: this.room }));
  }

  protected read(chunk: Buffer, atUs: number): void {
    const buf = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
    this.partial = undefined;
    let at = 0;
    while (buf.length - at >= HEADER_BYTES) {
      const length = buf.readUInt32BE(at);
      if (length === 0 || length > MAX_FRAME_LIMIT) {
        this.fail(`bad frame from server: length ${length}`);
        this.socket.destroy();
        return;
      }
      const end = at + HEADER_BYTES + length;
      if (end > buf.length) break;
      this.onPayload(buf, at + HEADER_BYTES, end, atUs);
      at = end;
    }
    if (at < buf.length) this.partial = buf.subarray(at);
  }

  /** One payload at buf[start..end). */
  private onPayload(buf: Buffer, start: number, end: number, atUs: number): void {
    const p = peek(buf, start, end, peeked);
    if (p.kind === Kind.Message) {
      if (readStamp(buf, p.start, p.end, stamp)) this.sink.chat(this, stamp, atUs);
    } else if (p.kind === Kind.Renamed) {
      // The probe's new name is "t" followed by its send time in µs.
      const sentUs = buf[p.start] === 0x74 ? readDigits(buf, p.start + 1, p.end) : -1;
      if (sentUs >= 0) this.sink.renamed(this, sentUs, atUs);
    } else if (p.kind === Kind.Control) {
      this.onControl(decode(buf.subarray(start, end)) as Record<string, unknown>);
    }
  }

  private onControl(m: Record<string, unknown>): void {
    switch (m['type']) {
      case 'welcome':
        if (this.multi) {
          // A v1 server's join moves the user: the scenario cannot run, and is not faked.
          if (m['protocol'] !== 2) this.fail(NEEDS_V2);
          this.welcomed = true;
          if (this.pending.size === 0) this.ready();
        } else if (this.room === MAIN_ROOM) this.ready();
        break;
      case 'room':
        if (this.multi) {
          this.pending.delete(m['room'] as string);
          if (this.welcomed && this.pending.size === 0) this.ready();
        } else if (m['room'] === this.room) this.ready();
        break;
      case 'ping':
        this.socket.write(encode({ type: 'pong', token: m['token'] }));
        break;
      case 'error':
        if (!this.loggedIn) this.fail(`error ${String(m['code'])}: ${String(m['message'])}`);
        break;
    }
  }
}

const CR = 13;
const LF = 10;
const SPACE = 32;
const COLON = 0x3a;
const PRIVMSG = Buffer.from('PRIVMSG');
const PING = Buffer.from('PING');

export class IrcClient extends BenchClient {
  private rest: Buffer | undefined;
  private readonly setup: string[];
  /** Channels whose end of NAMES (366) has not arrived yet. */
  private readonly pending = new Set(this.rooms);

  constructor(spec: ClientSpec, target: TargetAddress, sink: Sink) {
    super(spec, target, sink);
    this.setup = spec.talker >= 0 ? (target.talkerSetup ?? []).map((line) => line.replaceAll('{nick}', this.name)) : [];
  }

  say(text: string): void {
    this.socket.write(`PRIVMSG ${this.room} :${text}\r\n`);
  }

  rename(name: string): void {
    this.socket.write(`NICK ${name}\r\n`);
  }

  protected greet(): void {
    this.socket.write(`NICK ${this.name}\r\nUSER ${this.name} 0 * :framechat bench\r\n`);
  }

  /**
   * Lines end in LF; a benchmark PRIVMSG is recognised from its first bytes, and since its text is
   * always TEXT_BYTES long its end is found without scanning the text, as a frame's length gives
   * it on the framed wire. Plain byte loops rather than Buffer.indexOf: a native call per line
   * cost more than the rest of reading it (profile).
   */
  protected read(chunk: Buffer, atUs: number): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const length = buf.length;
    let start = 0;
    while (start < length) {
      const text = privmsgText(buf, start, length);
      const known = text + TEXT_BYTES;
      const eol =
        text >= 0 && known + 1 < length && buf[known] === CR && buf[known + 1] === LF ? known + 1 : indexOfByte(buf, LF, start, length);
      if (eol < 0) break;
      const end = eol > start && buf[eol - 1] === CR ? eol - 1 : eol;
      if (text < 0 || text > end) this.line(buf, start, end);
      else if (readStamp(buf, text, end, stamp)) this.sink.chat(this, stamp, atUs);
      start = eol + 1;
    }
    this.rest = start < length ? buf.subarray(start) : undefined;
  }

  /** Any line but a PRIVMSG, in buf[start..end): ":prefix COMMAND params :trailing". */
  private line(buf: Buffer, start: number, end: number): void {
    let cmd = start;
    if (buf[start] === COLON) cmd = indexOfByte(buf, SPACE, start, end) + 1;
    if (cmd <= 0 || cmd >= end) return;
    // Logged in, only PING matters: a join storm sends every client a JOIN line per later arrival,
    // so the rest are dropped without making a string of them.
    if (this.loggedIn && !isWord(buf, cmd, PING)) return;
    const words = buf.toString('latin1', cmd, end).split(' ');
    const command = words[0];
    if (command === 'PING') this.socket.write(`PONG ${words.slice(1).join(' ')}\r\n`);
    else if (this.loggedIn) return;
    else if (command === '001') this.socket.write(`JOIN ${this.rooms.join(',')}\r\n`);
    else if (command === '366' && words[2] !== undefined && this.pending.delete(words[2]) && this.pending.size === 0) {
      if (this.setup.length === 0) this.ready();
      else this.socket.write(`${this.setup.join('\r\n')}\r\nPING :ready\r\n`);
    } else if (command === 'PONG' && words.at(-1) === ':ready') this.ready();
    else if (command === 'ERROR' || (command !== undefined && /^[45]\d\d$/.test(command) && command !== '422')) {
      this.fail(buf.toString('latin1', start, end));
    }
  }
}

/**
 * Where the text of the line at buf[start..] begins if it is ":prefix PRIVMSG target :text",
 * else -1 (also when the line is not complete yet). Looks no further than the line's first LF.
 */
function privmsgText(buf: Buffer, start: number, limit: number): number {
  let i = start;
  if (buf[i] === COLON) {
    while (i < limit && buf[i] !== SPACE && buf[i] !== LF) i++;
    i++;
  }
  if (i + PRIVMSG.length >= limit || !isWord(buf, i, PRIVMSG)) return -1;
  for (i += PRIVMSG.length + 1; i + 1 < limit && buf[i] !== LF; i++) if (buf[i] === SPACE && buf[i + 1] === COLON) return i + 2;
  return -1;
}

function indexOfByte(buf: Buffer, byte: number, start: number, end: number): number {
  for (let i = start; i < end; i++) if (buf[i] === byte) return i;
  return -1;
}

function isWord(buf: Buffer, at: number, word: Buffer): boolean {
  for (let i = 0; i < word.length; i++) if (buf[at + i] !== word[i]) return false;
  return buf[at + word.length] === SPACE;
}

export function createClient(spec: ClientSpec, target: TargetAddress, sink: Sink): BenchClient {
  return target.proto === 'irc' ? new IrcClient(spec, target, sink) : new FramedClient(spec, target, sink);
}
