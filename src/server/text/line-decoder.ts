/**
 * @module
 * LineDecoder: bytes → lines for text mode. Lines end in \n or \r\n, or in \r\0, which is what
 * telnet sends for Enter in character mode (the NVT's bare carriage return); telnet IAC sequences are
 * dropped (IAC IAC is a literal 0xFF); a partial line is held until its end; a line longer than
 * maxLine bytes is refused (reported once) and skipped up to its end, so the buffer never holds
 * more than maxLine bytes.
 */

const IAC = 0xff;
const SB = 250;
const SE = 240;
const WILL = 251;
const DONT = 254;
const LF = 0x0a;
/** Held parts of a partial line beyond this many are joined into one. */
const MAX_HELD_PARTS = 64;
const CR = 0x0d;
const NUL = 0x00;

export interface LineSink {
  line(text: string): void;
  tooLong(limit: number): void;
}

export class LineDecoder {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private skipping = false;
  private paused = false;
  /** Telnet-stripped input held while paused; bounded because the socket is paused too. */
  private readonly waiting: Buffer[] = [];
  /** Telnet state: 0 data, 1 after IAC, 2 option byte of WILL/WONT/DO/DONT, 3 in SB, 4 IAC in SB. */
  private telnet = 0;
  /** The last byte pushed was a CR, so a NUL that starts the next chunk ends a line. */
  private afterCr = false;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly sink: LineSink,
    private readonly maxLine: number,
  ) {}

  /** Bytes of the current partial line held (at most maxLine + 1). */
  get buffered(): number {
    return this.heldBytes;
  }

  push(chunk: Buffer): void {
    let data = this.telnet !== 0 || chunk.includes(IAC) ? this.stripTelnet(chunk) : chunk;
    if (data.includes(NUL)) data = this.crNulToLf(data);
    if (data.length > 0) this.afterCr = data[data.length - 1] === CR;
    if (this.paused) this.waiting.push(data);
    else this.split(data);
  }

  /** Hold back lines after the current one until resume() (backpressure, as FrameDecoder). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    while (!this.paused && this.waiting.length > 0) this.split(this.waiting.shift()!);
  }

  private split(data: Buffer): void {
    let start = 0;
    while (start < data.length) {
      const nl = data.indexOf(LF, start);
      const end = nl < 0 ? data.length : nl;
      this.hold(data.subarray(start, end));
      if (nl < 0) return;
      this.endLine();
      start = nl + 1;
      if (this.paused && start < data.length) {
        this.waiting.unshift(data.subarray(start));
        return;
      }
    }
  }

  private hold(part: Buffer): void {
    if (this.skipping || part.length === 0) return;
    if (this.heldBytes + part.length > this.maxLine + 1) {
      // +1: the \r of a \r\n ending may sit in the buffer without counting against the limit.
      this.held = [];
      this.heldBytes = 0;
      this.skipping = true;
      this.sink.tooLong(this.maxLine);
      return;
    }
    this.held.push(part);
    this.heldBytes += part.length;
    // A line typed (or sent) a byte at a time would otherwise hold one small Buffer per byte.
    if (this.held.length > MAX_HELD_PARTS) this.held = [Buffer.concat(this.held, this.heldBytes)];
  }

  private endLine(): void {
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    let bytes = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > this.maxLine) {
      this.sink.tooLong(this.maxLine);
      return;
    }
    this.sink.line(this.decoder.decode(bytes));
  }

  /** \r\0 → \r\n (a copy; NUL is rare: text may not hold control characters anyway). */
  private crNulToLf(data: Buffer): Buffer {
    const out = Buffer.from(data);
    for (let i = out.indexOf(NUL); i >= 0; i = out.indexOf(NUL, i + 1)) {
      if (i > 0 ? out[i - 1] === CR : this.afterCr) out[i] = LF;
    }
    return out;
  }

  private stripTelnet(chunk: Buffer): Buffer {
    const out = Buffer.allocUnsafe(chunk.length);
    let n = 0;
    for (const byte of chunk) {
      switch (this.telnet) {
        case 0:
          if (byte === IAC) this.telnet = 1;
          else out[n++] = byte;
          break;
        case 1:
          if (byte === IAC) {
            out[n++] = byte;
            this.telnet = 0;
          } else if (byte >= WILL && byte <= DONT) this.telnet = 2;
          else if (byte === SB) this.telnet = 3;
          else this.telnet = 0;
          break;
        case 2:
          this.telnet = 0;
          break;
        case 3:
          if (byte === IAC) this.telnet = 4;
          break;
        case 4:
          this.telnet = byte === SE ? 0 : 3;
          break;
      }
    }
    return out.subarray(0, n);
  }
}
