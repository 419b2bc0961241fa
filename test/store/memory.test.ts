import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/server/store/memory.js';
import { runStoreCases } from './store.cases.js';

runStoreCases('memory', { make: (options) => new MemoryStore(options) });

describe('memory store bounds', () => {
  it('keeps the latest perRoom messages of a room', async () => {
    const store = new MemoryStore({ perRoom: 5 });
    for (let i = 0; i < 12; i++) store.append({ kind: 'room', id: store.ids.next(), ts: 1, room: '#main', from: 'a', text: `m${i}` });
    const page = await store.latest('#main', 100);
    expect(page.messages.map((m) => m.text)).toEqual(['m7', 'm8', 'm9', 'm10', 'm11']);
    expect(page.more).toBe(false);
  });

  it('forgets the room written longest ago beyond maxRooms', async () => {
    const store = new MemoryStore({ maxRooms: 3 });
    for (const room of ['#a', '#b', '#c', '#a', '#d'])
      store.append({ kind: 'room', id: store.ids.next(), ts: 1, room, from: 'x', text: room });
    expect((await store.latest('#b', 10)).messages).toEqual([]);
    for (const room of ['#a', '#c', '#d']) expect((await store.latest(room, 10)).messages.length).toBeGreaterThan(0);
  });
});
