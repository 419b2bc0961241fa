/**
 * The soak's bookkeeping: what every connection received, and from that, who had to receive what.
 *
 * How membership is decided. The server runs on one event loop and writes to each socket in the
 * order it acts, so a member's own stream is a faithful, ordered view of its room: `welcome` and
 * `room{}` give the members at that moment, then `joined` and `left` every change. When a member
 * receives message X, its view at that point is exactly the set of people in the room when X's id
 * was assigned, and the server delivered X to each of them right then. The first receiver's view
 * becomes X's expected recipients; every later receiver's view must agree (a fingerprint check).
 *
 * Who had to receive it. A member that logged out (it got `bye`) must have every X it was expected
 * to get: `bye` is written after all of them. A member whose connection ended abruptly (we dropped
 * it, or the server did) must have X if it received any later id: the server writes in id order,
 * so X was on the wire before that one. Anything else was in flight when the socket went: excused.
 *
 * Names are unique for the whole run (a new connection or a nick always takes a fresh name), so a
 * name identifies one connection's life for good. Every text carries its sender's index, so the
 * ledger also checks that a message came from whom it says, and that every say and msg of a member
 * that logged out was answered.
 */
import { foldName, type ServerMessage } from '../../src/protocol/internal.js';

export type Ending = 'bye' | 'abrupt' | 'dropped';

export interface Tally {
  /** Distinct ids of room messages and private messages seen by anyone. */
  messages: number;
  privates: number;
  /** Highest id seen; ids the server assigned that nobody reported are `unobserved`. */
  maxId: number;
  unobserved: number;
  /** Expected receipts that were there. */
  delivered: number;
  /** Expected receipts not required: in flight when the member's socket closed abruptly. */
  excused: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  misrouted: number;
  viewMismatches: number;
  impostors: number;
  unanswered: number;
  unexpectedErrors: number;
  badFrames: number;
  /** Connections the server closed without a `bye`. */
  dropped: number;
  members: number;
  endings: Record<Ending, number>;
}

type Count = Exclude<keyof Tally, 'endings' | 'members' | 'messages' | 'privates' | 'maxId' | 'unobserved' | 'delivered' | 'excused'>;

interface Sent {
  says: number;
  echoed: number;
  msgs: number;
  answered: number;
}

/** One room message or private message, keyed by id. */
interface Expected {
  room: string | undefined;
  members: Int32Array;
  sum: number;
  xor: number;
}

function mix(n: number): number {
  let h = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A member's view of its room: connection indices, with an order-independent fingerprint. */
class View {
  readonly set = new Set<number>();
  sum = 0;
  xor = 0;

  add(i: number): void {
    if (this.set.has(i)) return;
    this.set.add(i);
    this.sum = (this.sum + mix(i)) >>> 0;
    this.xor = (this.xor ^ mix(i + 0x51ed27)) >>> 0;
  }

  delete(i: number): void {
    if (!this.set.delete(i)) return;
    this.sum = (this.sum - mix(i)) >>> 0;
    this.xor = (this.xor ^ mix(i + 0x51ed27)) >>> 0;
  }

  reset(members: number[]): void {
    for (const i of [...this.set]) this.delete(i);
    for (const i of members) this.add(i);
  }

  equals(members: number[]): boolean {
    return members.length === this.set.size && members.every((i) => this.set.has(i));
  }
}

class Member {
  /** Ids received, strictly increasing (out-of-order and repeated ones are not pushed). */
  readonly ids: number[] = [];
  readonly late = new Set<number>();
  room: string | undefined;
  readonly view = new View();
  ending: Ending | undefined;
  readonly sent: Sent = { says: 0, echoed: 0, msgs: 0, answered: 0 };

  get lastId(): number {
    return this.ids.length === 0 ? 0 : this.ids[this.ids.length - 1]!;
  }

  has(id: number): boolean {
    if (this.late.has(id)) return true;
    let lo = 0;
    let hi = this.ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.ids[mid]!;
      if (v === id) return true;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

const TEXT_RE = /^([cp])(\d+)\.\d+$/;
const MAX_PROBLEMS = 25;

export class Ledger {
  private readonly members: Member[] = [];
  private readonly owners = new Map<string, number>();
  private readonly expected = new Map<number, Expected>();
  private readonly counts: Record<Count, number> = {
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    misrouted: 0,
    viewMismatches: 0,
    impostors: 0,
    unanswered: 0,
    unexpectedErrors: 0,
    badFrames: 0,
    dropped: 0,
  };
  private privates = 0;
  private maxId = 0;
  /** The first problems found, in words, for the report. */
  readonly problems: string[] = [];

  /** A new connection that will log in as `name`; returns its index. */
  join(name: string): number {
    const index = this.members.length;
    this.members.push(new Member());
    this.claim(index, name);
    return index;
  }

  /** `index` is about to ask for `name` (login or nick). Names are never reused. */
  claim(index: number, name: string): void {
    const key = foldName(name);
    if (this.owners.has(key)) throw new Error(`soak bug: name ${name} used twice`);
    this.owners.set(key, index);
  }

  sayText(index: number): string {
    return `c${index}.${this.members[index]!.sent.says++}`;
  }

  msgText(index: number): string {
    return `p${index}.${this.members[index]!.sent.msgs++}`;
  }

  end(index: number, ending: Ending): void {
    const member = this.members[index]!;
    if (member.ending !== undefined) return;
    member.ending = ending;
    if (ending === 'dropped') this.problem('dropped', `connection ${index} was closed by the server without a bye`);
  }

  badFrame(index: number, error: string): void {
    this.problem('badFrames', `connection ${index} got a frame it could not read: ${error}`);
  }

  /** Feed one message, in the order connection `index` received it. */
  receive(index: number, m: ServerMessage): void {
    const me = this.members[index]!;
    switch (m.type) {
      case 'welcome': {
        const first = m.rooms[0];
        me.room = first?.room ?? me.room;
        me.view.reset((first?.users ?? []).map((n) => this.owner(n)));
        return;
      }
      case 'room': {
        const users = m.users.map((n) => this.owner(n));
        if (m.room === me.room && !me.view.equals(users)) {
          this.problem(
            'viewMismatches',
            `connection ${index}: look in ${m.room} lists ${m.users.length} users, its view has ${me.view.set.size}`,
          );
        }
        me.room = m.room;
        me.view.reset(users);
        return;
      }
      case 'joined':
      case 'left':
        if (m.room !== me.room) {
          this.problem('misrouted', `connection ${index} in ${me.room} got ${m.type} for ${m.room}`);
          return;
        }
        if (m.type === 'joined') me.view.add(this.owner(m.name));
        else if (this.owner(m.name) === index) {
          // Our own part (a soak join moves: part, then join): in no room until the join's answer.
          me.room = undefined;
          me.view.reset([]);
        } else me.view.delete(this.owner(m.name));
        return;
      case 'renamed':
        if (this.owner(m.from) !== this.owner(m.to)) this.problem('impostors', `renamed ${m.from} → ${m.to} is not one connection's nick`);
        return;
      case 'message':
      case 'private':
        this.receiveId(index, me, m);
        return;
      case 'error':
        if (m.code === 'no_such_user' && m.ref === 'msg') me.sent.answered++;
        else this.problem('unexpectedErrors', `connection ${index} got error ${m.code}: ${m.message}`);
        return;
      default:
        return;
    }
  }

  private receiveId(index: number, me: Member, m: Extract<ServerMessage, { type: 'message' | 'private' }>): void {
    const last = me.lastId;
    if (m.id <= last) {
      if (me.has(m.id)) {
        this.problem('duplicated', `connection ${index} got id ${m.id} twice`);
        return;
      }
      this.problem('outOfOrder', `connection ${index} got id ${m.id} after ${last}`);
      me.late.add(m.id);
    } else {
      me.ids.push(m.id);
    }
    this.maxId = Math.max(this.maxId, m.id);
    const from = this.owner(m.from);
    const sender = TEXT_RE.exec(m.text);
    if (!sender || Number(sender[2]) !== from)
      this.problem('impostors', `id ${m.id} from ${m.from} carries text ${JSON.stringify(m.text.slice(0, 40))}`);

    if (m.type === 'message') {
      if (m.room !== me.room) return this.problem('misrouted', `connection ${index} in ${me.room} got id ${m.id} said in ${m.room}`);
      if (!me.view.set.has(from))
        this.problem('viewMismatches', `connection ${index}: id ${m.id} is from ${m.from}, who is not in its view of ${m.room}`);
      if (from === index) me.sent.echoed++;
      const known = this.expected.get(m.id);
      if (!known) {
        this.expected.set(m.id, { room: m.room, members: Int32Array.from(me.view.set), sum: me.view.sum, xor: me.view.xor });
      } else if (
        known.room !== m.room ||
        known.members.length !== me.view.set.size ||
        known.sum !== me.view.sum ||
        known.xor !== me.view.xor
      ) {
        this.problem('viewMismatches', `members disagree on who was in ${m.room} when id ${m.id} was said`);
      }
      return;
    }
    const to = this.owner(m.to);
    if (index !== from && index !== to)
      return this.problem('misrouted', `connection ${index} got private id ${m.id} between ${m.from} and ${m.to}`);
    if (from === index) me.sent.answered++;
    if (!this.expected.has(m.id)) {
      this.privates++;
      this.expected.set(m.id, { room: undefined, members: Int32Array.from(new Set([from, to])), sum: 0, xor: 0 });
    }
  }

  /** Check every expected receipt; call once every connection has ended. */
  verify(): Tally {
    let delivered = 0;
    let excused = 0;
    for (const [id, x] of this.expected) {
      for (const i of x.members) {
        const member = this.members[i];
        if (!member) continue;
        if (member.has(id)) delivered++;
        else if (member.ending === 'bye' || member.ending === undefined || member.lastId > id) {
          this.problem('lost', `connection ${i} (${member.ending ?? 'open'}) never got id ${id}${x.room ? ` in ${x.room}` : ' (private)'}`);
        } else excused++;
      }
    }
    const endings: Record<Ending, number> = { bye: 0, abrupt: 0, dropped: 0 };
    for (const [i, member] of this.members.entries()) {
      if (member.ending) endings[member.ending]++;
      if (member.ending !== 'bye') continue;
      const { says, echoed, msgs, answered } = member.sent;
      if (says !== echoed || msgs !== answered) {
        this.problem(
          'unanswered',
          `connection ${i} logged out having sent ${says} says (${echoed} echoed) and ${msgs} msgs (${answered} answered)`,
        );
      }
    }
    return {
      ...this.counts,
      messages: this.expected.size - this.privates,
      privates: this.privates,
      maxId: this.maxId,
      unobserved: this.maxId - this.expected.size,
      delivered,
      excused,
      members: this.members.length,
      endings,
    };
  }

  private owner(name: string): number {
    const i = this.owners.get(foldName(name));
    if (i === undefined) {
      this.problem('impostors', `the server named someone the soak never logged in: ${name}`);
      return -1;
    }
    return i;
  }

  private problem(kind: Count, text: string): void {
    this.counts[kind]++;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(text);
  }
}
