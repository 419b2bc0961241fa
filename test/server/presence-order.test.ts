/**
 * Presence (`joined`/`left`) is delivered deferred (the Outbox holds it for company): what each
 * member reads must not change, only when. Each member gets every other arrival and departure
 * exactly once, never its own `joined`, and always before anything the newcomer says, in framed
 * and in text mode. Counting and order only; no timings.
 */
import { describe, expect, it } from 'vitest';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

type Event = string;

/** A framed member's presence and messages in #main, as comparable strings. */
function eventsOf(client: RawClient): Event[] {
  const out: Event[] = [];
  for (const m of client.messages) {
    if (m.type === 'joined') out.push(`joined ${String(m.name)}`);
    else if (m.type === 'left') out.push(`left ${String(m.name)}`);
    else if (m.type === 'message') out.push(`${String(m.from)}: ${String(m.text)}`);
  }
  return out;
}

/** What member `i` of `names` must read: each later arrival then its greeting; the leaver; the end. */
function expected(names: string[], i: number, leaver: number, textMode: boolean, ender = names[0]!): Event[] {
  const out: Event[] = [`${names[i]!}: hi ${names[i]!}`];
  for (let j = i + 1; j < names.length; j++) out.push(`joined ${names[j]!}`, `${names[j]!}: hi ${names[j]!}`);
  if (i !== leaver) out.push(`left ${names[leaver]!}`, `${ender}: end`);
  return textMode
    ? out.map((e) => e.replace(/^joined (.*)$/, '$1 has entered the room.').replace(/^left (.*)$/, '$1 has left the room.'))
    : out;
}

describe('presence order (deferred delivery)', () => {
  it('every member gets each joined and left once, before the newcomer speaks, and never its own', async () => {
    const { port } = await startServer();
    // One text member first, so it sees everything; then framed members, one after another.
    const text = await TextClient.login(port, 'tess');
    text.line('hi tess');
    await text.expect('tess: hi tess');
    const names = Array.from({ length: 8 }, (_, i) => `m${i}`);
    const members: RawClient[] = [];
    for (const name of names) {
      const client = await RawClient.login(port, name);
      members.push(client);
      client.send({ type: 'say', text: `hi ${name}` });
      // Its own echo means the server has handled the say before the next login starts.
      await client.next('message', (m) => m.from === name);
    }
    const leaver = 3;
    members[leaver]!.send({ type: 'logout' });
    await members[leaver]!.waitClosed();
    // A member's left is deferred; a message to the room takes it along, ahead of itself.
    members[0]!.send({ type: 'say', text: 'end' });
    for (const [i, client] of members.entries()) if (i !== leaver) await client.next('message', (m) => m.text === 'end');
    await text.expect('m0: end');

    for (const [i, client] of members.entries()) {
      expect(eventsOf(client), names[i]).toEqual(expected(names, i, leaver, false));
      expect(client.messages.filter((m) => m.type === 'joined' && m.name === names[i])).toEqual([]);
    }
    const textEvents = text.lines.filter((l) => / has (entered|left) the room\.$/.test(l) || /^[a-z0-9]+: /.test(l));
    expect(textEvents).toEqual(expected(['tess', ...names], 0, leaver + 1, true, 'm0'));
  });

  it('a reply to a request carries the presence that came before it (look lists and joined agree)', async () => {
    const { port } = await startServer();
    const watcher = await RawClient.login(port, 'watcher');
    for (let i = 0; i < 5; i++) await RawClient.login(port, `p${i}`);
    watcher.send({ type: 'look', room: '#main' });
    const room = await watcher.next('room');
    const before = watcher.messages.slice(0, watcher.messages.indexOf(room));
    // Everyone the answer lists (but the watcher) was announced before it, once each.
    const announced = before.filter((m) => m.type === 'joined').map((m) => m.name);
    expect(announced).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(room.users).toEqual(expect.arrayContaining(['watcher', ...announced]));
  });
});
