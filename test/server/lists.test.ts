/**
 * List replies cost what they return: Users and Rooms keep names and rooms in display order as
 * they change, so `who`, `look`, `rooms` and the text-mode lines sort nothing. Cost is shown by
 * counting comparisons, not by timing.
 */
import { describe, expect, it } from 'vitest';
import { Membership, Rooms } from '../../src/server/rooms.js';
import { compareNames, Identity, SortedNames, Users } from '../../src/server/users.js';
import { TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

interface Person {
  readonly id: number;
  readonly identity: Identity;
  readonly membership: Membership;
}

let nextId = 1;
function person(): Person {
  return { id: nextId++, identity: new Identity(), membership: new Membership() };
}

/** People with these names, named by a Users of their own (only Users assigns names). */
function named(names: string[]): Person[] {
  const users = new Users<Person>();
  return names.map((name) => {
    const p = person();
    users.add(p, name);
    return p;
  });
}

/** compareNames, counting its calls. */
function countingCompare(): { compare: (a: string, b: string) => number; calls: () => number } {
  let calls = 0;
  return {
    compare: (a, b) => {
      calls++;
      return compareNames(a, b);
    },
    calls: () => calls,
  };
}

/** 2 000 distinct names in a scrambled order, with case and accents mixed in. */
const NAMES = Array.from({ length: 2000 }, (_, i) => {
  const n = (i * 7919) % 2000; // a permutation of 0..1999
  return [`user${n}`, `User${n}x`, `zoë${n}`, `Zoe${n}`, `小明${n}`][n % 5]!;
});

function log2(n: number): number {
  return Math.ceil(Math.log2(n + 1));
}

describe('the order of names', () => {
  it('is case- and accent-insensitive and total, so that distinct names never tie', () => {
    expect(['bob', 'Alice', 'zoë', 'Zoe', 'alice'].sort(compareNames)).toEqual(['Alice', 'alice', 'bob', 'Zoe', 'zoë']);
    expect(compareNames('Zoe', 'Zoë')).not.toBe(0);
    expect(compareNames('alice', 'alice')).toBe(0);
  });

  it('is kept by SortedNames as names are added and deleted', () => {
    const names = new SortedNames();
    for (const name of NAMES) names.add(name);
    expect(names.values()).toEqual([...NAMES].sort(compareNames));
    for (const name of NAMES.slice(0, 1000)) expect(names.delete(name)).toBe(true);
    expect(names.delete('nobody')).toBe(false);
    expect(names.values()).toEqual(NAMES.slice(1000).sort(compareNames));
  });
});

describe('Users with 2 000 people', () => {
  it('answers names() sorted and without a single comparison, however often it is asked', () => {
    const counter = countingCompare();
    const users = new Users<Person>(counter.compare);
    const people = NAMES.map(person);
    people.forEach((p, i) => users.add(p, NAMES[i]!));
    // Building the order as people log in: O(log n) comparisons each.
    expect(counter.calls()).toBeLessThanOrEqual(NAMES.length * log2(NAMES.length));

    const before = counter.calls();
    for (let i = 0; i < 100; i++) expect(users.names()).toHaveLength(2000);
    expect(counter.calls()).toBe(before);
    expect(users.names()).toEqual([...NAMES].sort(compareNames));
  });

  it('pays O(log n) comparisons for a login, a logout and a rename, not a sort', () => {
    const counter = countingCompare();
    const users = new Users<Person>(counter.compare);
    const people = NAMES.map(person);
    people.forEach((p, i) => users.add(p, NAMES[i]!));

    let before = counter.calls();
    users.add(person(), 'newcomer');
    users.remove(people[0]!);
    users.rename(people[1]!, 'Aardvark');
    // Each change is one or two binary searches: 4 of them here.
    expect(counter.calls() - before).toBeLessThanOrEqual(4 * log2(2001));
    const expected = [...NAMES.slice(2), 'newcomer', 'Aardvark'].sort(compareNames);
    before = counter.calls();
    expect(users.names()).toEqual(expected);
    expect(counter.calls() - before).toBe(0);
    expect(users.names()[0]).toBe('Aardvark');
  });
});

describe('Rooms with 2 000 people', () => {
  it('answers names(room) and list() sorted and without a comparison', () => {
    const counter = countingCompare();
    const rooms = new Rooms<Person>(counter.compare);
    const people = named(NAMES);
    // Half in #main, the others each in a room of their own: 1 001 rooms.
    people.forEach((p, i) => rooms.join(p, i % 2 === 0 ? '#main' : `#r${i}`));
    const before = counter.calls();
    for (let i = 0; i < 100; i++) {
      rooms.names('#main');
      rooms.list();
    }
    expect(counter.calls()).toBe(before);
    expect(rooms.names('#main')).toEqual(NAMES.filter((_, i) => i % 2 === 0).sort(compareNames));
    expect(rooms.list().map((r) => r.room)).toEqual(
      ['#main', ...NAMES.map((_, i) => `#r${i}`).filter((_, i) => i % 2 === 1)].sort(compareNames),
    );
    expect(rooms.list().find((r) => r.room === '#main')).toEqual({ room: '#main', users: 1000, topic: '' });
    expect(rooms.count).toBe(1001);
  });

  it('keeps a room in order through a rename, and forgets a room once it is empty', () => {
    const rooms = new Rooms<Person>();
    const users = new Users<Person>();
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((name) => {
      const p = person();
      users.add(p, name);
      return p;
    });
    for (const p of [alice!, bob!, carol!]) rooms.join(p, '#main');
    users.rename(bob!, 'Zed'); // Users assigns the name; Rooms is told after
    rooms.renamed(bob!, 'bob');
    expect(rooms.names('#main')).toEqual(['alice', 'carol', 'Zed']);
    rooms.part(carol!, '#main');
    rooms.join(carol!, '#side');
    expect(rooms.names('#main')).toEqual(['alice', 'Zed']);
    expect(rooms.list()).toEqual([
      { room: '#main', users: 2, topic: '' },
      { room: '#side', users: 1, topic: '' },
    ]);
    rooms.leaveAll(carol!);
    rooms.join(carol!, '#main');
    expect(rooms.list()).toEqual([{ room: '#main', users: 3, topic: '' }]);
    expect(rooms.names('#side')).toEqual([]);
  });
});

describe('text mode lists', () => {
  it('are sorted case-insensitively as before, and follow a rename', async () => {
    const { port } = await startServer();
    const carol = await TextClient.login(port, 'carol');
    await TextClient.login(port, 'Bob');
    await TextClient.login(port, 'alice');
    carol.line('who');
    await carol.expect('Online (3): alice, Bob, carol');
    carol.line('nick Aaron');
    await carol.expect('carol is now known as Aaron.');
    carol.line('look');
    await carol.expect('Room #main (3): Aaron, alice, Bob');
    carol.line('who');
    await carol.expect('Online (3): Aaron, alice, Bob');
  });
});
