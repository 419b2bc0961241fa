/**
 * @module
 * A load-generator process. The bench runner starts a few of these (one Node process cannot read
 * for thousands of clients as fast as a server writes to them) and drives them over IPC
 * (ipc.ts): connect a share of the clients, talk, report what arrived, disconnect.
 *
 * Counting: every stamped message from sender s is expected once at every other member of the
 * sender's room. Each receiver remembers the next sequence number it expects from each sender, so
 * a repeat is a duplicate and a jump is a gap; the runner compares the total received with the
 * total sent to count losses. Latency is receipt time minus the stamp's send time.
 *
 * Flow control: a talker keeps at most `window` messages between sending one and seeing it
 * arrive at its observer, another member of its room held by this same process. That keeps every
 * server's input and output queues short (ngIRCd drops a client whose unread input passes 2 KiB)
 * without any acknowledgement that IRC lacks.
 *
 * Run by the runner only: node --import tsx scripts/bench/loadgen.ts (with an IPC channel).
 */
import { createClient, type BenchClient, type Sink } from './clients.js';
import { Histogram } from './histogram.js';
import type { PhaseStats, Reply, Request, TalkPlan } from './ipc.js';

type ConnectRequest = Extract<Request, { op: 'connect' }>;
import { nowUs, stampText, type Stamp } from './stamp.js';

interface Talker {
  client: BenchClient;
  index: number;
  observer: BenchClient | undefined;
  /** Messages sent so far; also the next sequence number. */
  seq: number;
  /** Messages seen at the observer (its next expected sequence number). */
  acked: number;
}

class Generator implements Sink {
  private clients: BenchClient[] = [];
  private talkers: Talker[] = [];
  private talkerCount = 0;
  private readonly observing = new Map<BenchClient, Talker[]>();
  private readonly latency = new Histogram();
  private received = 0;
  private duplicates = 0;
  private gaps = 0;
  private dropped = 0;
  private firstUs = 0;
  private lastUs = 0;
  private cpuMark = process.cpuUsage();
  /** The client that sent the broadcast probe, in the generator that sent it. */
  private broadcaster: BenchClient | undefined;
  /** Set while a saturate phase runs: an ack wakes the sender. */
  private onAck: (() => void) | undefined;

  async handle(request: Request): Promise<Reply> {
    switch (request.op) {
      case 'connect':
        return this.connect(request);
      case 'talk':
        return this.talk(request.plan);
      case 'broadcast':
        this.broadcast();
        return { op: 'ok' };
      case 'say-once':
        return this.sayOnce();
      case 'progress':
        return { op: 'progress', received: this.received };
      case 'collect':
        return this.collect();
      case 'disconnect':
        this.disconnect();
        return { op: 'ok' };
      case 'exit':
        this.disconnect();
        setImmediate(() => process.exit(0));
        return { op: 'ok' };
    }
  }

  // ---- Sink ---------------------------------------------------------------------------------

  chat(receiver: BenchClient, stamp: Stamp, atUs: number): void {
    const s = stamp.sender;
    // The sender's own echo, or a message from before this generator arranged its counters.
    if (s === receiver.talker || s >= receiver.nextSeq.length) return;
    const seen = receiver.nextSeq;
    const expected = seen[s]!;
    if (stamp.seq < expected) {
      this.duplicates++;
      return;
    }
    if (stamp.seq > expected) this.gaps += stamp.seq - expected;
    seen[s] = stamp.seq + 1;
    this.count(atUs - stamp.sentUs, atUs);
    if (receiver.observer) {
      for (const t of this.observing.get(receiver)!) if (t.index === s) t.acked = stamp.seq + 1;
      this.onAck?.();
    }
  }

  renamed(receiver: BenchClient, sentUs: number, atUs: number): void {
    if (receiver !== this.broadcaster) this.count(atUs - sentUs, atUs);
  }

  closed(client: BenchClient): void {
    if (!client.closing) this.dropped++;
  }

  private count(latencyUs: number, atUs: number): void {
    this.received++;
    this.latency.record(latencyUs);
    if (this.firstUs === 0) this.firstUs = atUs;
    this.lastUs = atUs;
  }

  // ---- requests -----------------------------------------------------------------------------

  private async connect({ targets, clients: specs, talkers, concurrency, timeoutMs, budgetMs }: ConnectRequest): Promise<Reply> {
    this.disconnect();
    this.talkerCount = talkers;
    const startUs = nowUs();
    const stopUs = startUs + budgetMs * 1000;
    let endUs = startUs;
    let ok = 0;
    const okPerTarget = targets.map(() => 0);
    const errors: string[] = [];
    let next = 0;
    // Keep `concurrency` logins in progress until every client has had its turn.
    const worker = async (): Promise<void> => {
      while (next < specs.length && nowUs() < stopUs) {
        // Round-robin over a cluster's nodes, within this share: every node has members here.
        const node = next % targets.length;
        const client = createClient(specs[next++]!, targets[node]!, this);
        client.node = node;
        this.clients.push(client);
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            client.login(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`${client.name}: no login within ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          ok++;
          okPerTarget[node]!++;
          endUs = nowUs();
        } catch (err) {
          if (errors.length < 5) errors.push((err as Error).message);
        } finally {
          clearTimeout(timer);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker));
    if (next < specs.length) errors.unshift(`${specs.length - next} logins not started: set-up took over ${budgetMs / 1000} s`);
    this.arrange();
    return { op: 'connected', ok, okPerTarget, failed: specs.length - ok, errors, startUs, endUs };
  }

  /** After login: the talkers this process drives, their observers, and the receivers' counters. */
  private arrange(): void {
    const byRoom = new Map<string, BenchClient[]>();
    for (const client of this.clients) {
      for (const room of client.rooms) {
        let members = byRoom.get(room);
        if (!members) byRoom.set(room, (members = []));
        members.push(client);
      }
      client.nextSeq = new Int32Array(this.talkerCount);
    }
    for (const client of this.clients) {
      if (client.talker < 0) continue;
      const members = byRoom.get(client.room) ?? [];
      // On a cluster, an observer on another node: the window then covers the hop between nodes.
      const listeners = members.filter((m) => m.talker < 0);
      const observer = listeners.find((m) => m.node !== client.node) ?? listeners[0] ?? members.find((m) => m !== client);
      const talker: Talker = { client, index: client.talker, observer, seq: 0, acked: 0 };
      this.talkers.push(talker);
      if (observer) {
        observer.observer = true;
        this.observing.set(observer, [...(this.observing.get(observer) ?? []), talker]);
      }
    }
  }

  private talk(plan: TalkPlan): Promise<Reply> {
    const startUs = nowUs();
    const first = this.talkers.map((t) => t.seq);
    const done = (): Reply => ({
      op: 'talked',
      sent: sentByTalker(this.talkers, first, this.talkerCount),
      startUs,
      endUs: nowUs(),
    });
    return plan.mode === 'rate' ? this.talkAtRate(plan, startUs).then(done) : this.saturate(plan).then(done);
  }

  /** Every talker sends `rate`/s on a fixed schedule; a message held back by the window keeps its due time. */
  private talkAtRate(plan: TalkPlan, startUs: number): Promise<void> {
    const interval = 1e6 / plan.rate;
    const total = Math.max(1, Math.round((plan.rate * plan.durationMs) / 1000));
    const base = new Map(this.talkers.map((t) => [t, t.seq]));
    const giveUpUs = startUs + (plan.durationMs + 20_000) * 1000;
    return new Promise((resolve) => {
      const tick = (): void => {
        const now = nowUs();
        let pending = 0;
        for (const t of this.talkers) {
          const from = base.get(t)!;
          const offset = (t.index / Math.max(1, this.talkerCount)) * interval;
          t.client.cork();
          while (t.seq - from < total && inFlight(t) < plan.window) {
            const due = startUs + offset + (t.seq - from) * interval;
            if (due > now) break;
            t.client.say(stampText(t.index, t.seq++, Math.round(due)));
          }
          t.client.uncork();
          if (t.seq - from < total) pending++;
        }
        if (pending === 0 || now > giveUpUs) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 1);
    });
  }

  /** Every talker keeps `window` messages in flight until the duration is over. */
  private saturate(plan: TalkPlan): Promise<void> {
    const endUs = nowUs() + plan.durationMs * 1000;
    let scheduled = false;
    const pump = (): void => {
      scheduled = false;
      const now = nowUs();
      if (now >= endUs) return;
      for (const t of this.talkers) {
        const room = plan.window - inFlight(t);
        if (room <= 0) continue;
        t.client.cork();
        for (let i = 0; i < room; i++) t.client.say(stampText(t.index, t.seq++, now));
        t.client.uncork();
      }
    };
    this.onAck = () => {
      if (!scheduled) {
        scheduled = true;
        setImmediate(pump);
      }
    };
    pump();
    return new Promise((resolve) =>
      setTimeout(() => {
        this.onAck = undefined;
        resolve();
      }, plan.durationMs),
    );
  }

  /** One stamped message from talker 0 to its room, if this generator holds it. */
  private sayOnce(): Reply {
    const startUs = nowUs();
    const sent = new Array<number>(this.talkerCount).fill(0);
    const t = this.talkers.find((x) => x.index === 0);
    if (t) {
      t.client.say(stampText(t.index, t.seq++, startUs));
      sent[0] = 1;
    }
    return { op: 'talked', sent, startUs, endUs: nowUs() };
  }

  private broadcast(): void {
    this.broadcaster = this.clients[0];
    this.broadcaster?.rename(`t${nowUs()}`);
  }

  private collect(): PhaseStats {
    const cpu = process.cpuUsage(this.cpuMark);
    this.cpuMark = process.cpuUsage();
    const stats: PhaseStats = {
      op: 'stats',
      received: this.received,
      duplicates: this.duplicates,
      gaps: this.gaps,
      latency: this.latency.toJSON(),
      firstUs: this.firstUs,
      lastUs: this.lastUs,
      cpuUs: cpu.user + cpu.system,
      dropped: this.dropped,
    };
    this.latency.reset();
    this.received = this.duplicates = this.gaps = this.dropped = this.firstUs = this.lastUs = 0;
    return stats;
  }

  private disconnect(): void {
    for (const client of this.clients) client.close();
    this.clients = [];
    this.talkers = [];
    this.observing.clear();
    this.broadcaster = undefined;
    this.onAck = undefined;
  }
}

/** Messages not yet seen by the observer; a talker with no observer here is not held back. */
function inFlight(t: Talker): number {
  return t.observer ? t.seq - t.acked : 0;
}

function sentByTalker(talkers: Talker[], first: number[], count: number): number[] {
  const sent = new Array<number>(count).fill(0);
  talkers.forEach((t, i) => (sent[t.index] = t.seq - first[i]!));
  return sent;
}

const generator = new Generator();
process.on('message', (request: Request) => {
  generator.handle(request).then(
    (reply) => process.send?.(reply),
    (err: Error) => process.send?.({ op: 'error', message: err.stack ?? err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
