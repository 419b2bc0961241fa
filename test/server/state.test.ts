/**
 * The server's pure state pieces, as tables: Users (names, look-alikes, renames), Rooms
 * (membership, several rooms per member, topics, look-alike rooms) and LocalFanout (who gets a
 * packet, except by session id, once per member across rooms). No sockets: members are plain
 * objects with an Identity and a Membership, as Sessions are.
 */
import { describe, expect, it } from 'vitest';
import type { Recipient } from '../../src/server/fanout.js';
import { LocalFanout } from '../../src/server/fanout.js';
import { Packet } from '../../src/server/packet.js';
import { Membership, Rooms } from '../../src/server/rooms.js';
import { Identity, Users } from '../../src/server/users.js';

interface Member extends Recipient {
  got: string[];
}

let nextId = 1;
function member(): Member {
  const m: Member = {
    id: nextId++,
    identity: new Identity(),
    membership: new Membership(),
    got: [],
    deliver(packet: Packet) {
      m.take(packet);
    },
    take(packet: Packet) {
      const msg = packet.message;
      m.got.push(msg.type === 'notice' ? msg.text : msg.type);
      return true;
    },
  };
  return m;
}

function world(...names: string[]): { users: Users<Member>; rooms: Rooms<Member>; fanout: LocalFanout<Member>; people: Member[] } {
  const users = new Users<Member>();
  const rooms = new Rooms<Member>();
  const people = names.map((name) => {
    const m = member();
    expect(users.add(m, name)).toBe(true);
    return m;
  });
  return { users, rooms, fanout: new LocalFanout(rooms, users), people };
}

const notice = (text: string): Packet => new Packet({ type: 'notice', text });

describe('Users', () => {
  it.each<[string, string, string, boolean]>([
    ['the same name', 'alice', 'alice', false],
    ['another case', 'alice', 'ALICE', false],
    ['fullwidth', 'alice', 'ａlice', false],
    ['Cyrillic а', 'alice', 'аlice', false],
    ['a different name', 'alice', 'bob', true],
    ['an accent (not a look-alike in UTS #39)', 'alice', 'alíce', true],
  ])('with %s: %s then %s → second add %s', (_what, first, second, ok) => {
    const users = new Users<Member>();
    expect(users.add(member(), first)).toBe(true);
    expect(users.add(member(), second)).toBe(ok);
    expect(users.count).toBe(ok ? 2 : 1);
  });

  it('assigns the name to the member, renames (case only too) and frees names on remove', () => {
    const { users, people } = world('alice', 'bob');
    const [alice, bob] = people as [Member, Member];
    expect(alice.identity.name).toBe('alice');
    expect(users.rename(alice, 'BOB')).toBe(false);
    expect(users.rename(alice, 'Alice')).toBe(true);
    expect(alice.identity.name).toBe('Alice');
    expect(users.get('alice')).toBe(alice);
    users.remove(bob);
    expect(users.get('bob')).toBeUndefined();
    expect(users.add(member(), 'bob')).toBe(true);
    expect(users.names()).toEqual(['Alice', 'bob']);
  });
});

describe('Rooms', () => {
  it.each<[string, (r: Rooms<Member>, p: Member[]) => unknown, Record<string, string[]>]>([
    [
      'a join adds a room and keeps the others',
      (r, [a]) => (r.join(a!, '#main'), r.join(a!, '#rust')),
      { '#main': ['alice'], '#rust': ['alice'] },
    ],
    ['a second join of the same room changes nothing', (r, [a]) => (r.join(a!, '#main'), r.join(a!, '#main')), { '#main': ['alice'] }],
    [
      'a part leaves one room; an empty room is gone',
      (r, [a, b]) => (r.join(a!, '#main'), r.join(b!, '#main'), r.join(a!, '#x'), r.part(a!, '#x')),
      { '#main': ['alice', 'bob'] },
    ],
    [
      'leaveAll leaves every room',
      (r, [a, b]) => (r.join(a!, '#main'), r.join(a!, '#x'), r.join(b!, '#x'), r.leaveAll(a!)),
      { '#x': ['bob'] },
    ],
  ])('%s', (_what, act, expected) => {
    const { rooms, people } = world('alice', 'bob');
    act(rooms, people);
    const got = Object.fromEntries(rooms.list().map((r) => [r.room, rooms.names(r.room)]));
    expect(got).toEqual(expected);
    for (const p of people) for (const room of p.membership.rooms) expect(rooms.members(room).has(p)).toBe(true);
  });

  it('answers join and part with whether anything changed, and keeps topics while a room lives', () => {
    const { rooms, people } = world('alice');
    const [alice] = people as [Member];
    expect(rooms.join(alice, '#main')).toBe(true);
    expect(rooms.join(alice, '#main')).toBe(false);
    expect(rooms.setTopic('#main', { text: 'hi', by: 'alice', ts: 1 })).toBe(true);
    expect(rooms.list()).toEqual([{ room: '#main', users: 1, topic: 'hi' }]);
    expect(rooms.part(alice, '#main')).toBe(true);
    expect(rooms.part(alice, '#main')).toBe(false);
    expect(rooms.topic('#main').text).toBe('');
    expect(rooms.setTopic('#main', { text: 'x', by: 'alice', ts: 2 })).toBe(false);
  });

  it('resolves a look-alike of an existing room to it, and of #main always to #main', () => {
    const { rooms, people } = world('alice');
    expect(rooms.resolve('#mаin')).toBe('#main');
    rooms.join(people[0]!, '#rust');
    expect(rooms.resolve('#ruѕt')).toBe('#rust');
    rooms.part(people[0]!, '#rust');
    expect(rooms.resolve('#ruѕt')).toBe('#ruѕt');
  });

  it('counts a member once in its only room, and has none when in several', () => {
    const { rooms, people } = world('alice');
    const [alice] = people as [Member];
    expect(alice.membership.only).toBeUndefined();
    rooms.join(alice, '#main');
    expect(alice.membership.only).toBe('#main');
    rooms.join(alice, '#rust');
    expect(alice.membership.only).toBeUndefined();
    expect([...alice.membership.rooms]).toEqual(['#main', '#rust']);
  });
});

describe('LocalFanout', () => {
  it.each<[string, (f: LocalFanout<Member>, p: Member[]) => void, string[][]]>([
    ['toRoom reaches the room only', (f) => f.toRoom('#main', notice('m')), [['m'], ['m'], []]],
    ['toRoom leaves out a session by id', (f, [a]) => f.toRoom('#main', notice('m'), a!.id), [[], ['m'], []]],
    ['toRooms reaches each member once across rooms', (f) => f.toRooms(['#main', '#side'], notice('r')), [['r'], ['r'], ['r']]],
    ['toRooms leaves out a session by id', (f, [, b]) => f.toRooms(['#main', '#side'], notice('r'), b!.id), [['r'], [], ['r']]],
    ['toUser reaches one user by name, whatever the case', (f) => void f.toUser('CAROL', notice('u')), [[], [], ['u']]],
    ['toAll reaches everyone but the one left out', (f, [, , c]) => f.toAll(notice('a'), c!.id), [['a'], ['a'], []]],
  ])('%s', (_what, send, expected) => {
    const { rooms, fanout, people } = world('alice', 'bob', 'carol');
    const [alice, bob, carol] = people as [Member, Member, Member];
    rooms.join(alice, '#main');
    rooms.join(bob, '#main');
    rooms.join(bob, '#side');
    rooms.join(carol, '#side');
    send(fanout, people);
    expect(people.map((p) => p.got)).toEqual(expected);
  });

  it('toUser says whether anyone of that name is online', () => {
    const { fanout } = world('alice');
    expect(fanout.toUser('alice', notice('x'))).toBe(true);
    expect(fanout.toUser('nobody', notice('x'))).toBe(false);
  });
});
