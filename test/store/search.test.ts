/**
 * `search` over the wire, against a real SQLite file and against the memory store (the same
 * answers from both): words in English, accents folded, Chinese and Japanese, plain-text queries
 * that are never syntax, members' rooms only, `from`, paging with `before`, bounded pages, the
 * flood cost, and the text-mode `search` and `history` commands.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RESULTS } from '../../src/protocol/internal.js';
import { openSqliteStore } from '../../src/server/store/sqlite.js';
import type { Store } from '../../src/server/store/store.js';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

type Msg = Record<string, unknown>;
const texts = (r: Msg): string[] => (r['messages'] as Msg[]).map((m) => m['text'] as string);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function sqlite(): Store {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-search-'));
  dirs.push(dir);
  return openSqliteStore(path.join(dir, 'framechat.sqlite'));
}

async function sayAll(client: RawClient, room: string, list: string[]): Promise<number[]> {
  const ids: number[] = [];
  for (const text of list) {
    const label = `say-${ids.length}-${Math.random()}`;
    client.send({ type: 'say', room, text, label });
    ids.push((await client.next('message', (m) => m['label'] === label))['id'] as number);
  }
  return ids;
}

let searches = 0;
async function search(client: RawClient, request: Msg): Promise<Msg> {
  const label = `search-${++searches}`;
  client.send({ type: 'search', ...request, label });
  return client.next(undefined, (m) => m['label'] === label && (m.type === 'results' || m.type === 'error'));
}

describe.each([
  ['sqlite', sqlite],
  ['memory', undefined],
] as const)('search (%s store)', (_kind, makeStore) => {
  // A generous flood budget: these tests send faster than a person, and the cost has its own test.
  const start = (): Promise<{ port: number }> => startServer({ rate: 1000, burst: 1000 }, makeStore ? { store: makeStore() } : {});

  it('finds words case- and accent-insensitively, newest first, with the message as sent', async () => {
    const { port } = await start();
    const alice = await RawClient.login(port, 'alice');
    const ids = await sayAll(alice, '#main', ['Lunch at the Café?', 'the cafe is closed', 'tea instead', 'CAFE again']);
    const r = await search(alice, { text: 'cafe' });
    expect(r).toMatchObject({ type: 'results', more: false });
    expect(texts(r)).toEqual(['CAFE again', 'the cafe is closed', 'Lunch at the Café?']);
    expect((r['messages'] as Msg[])[2]).toEqual({
      type: 'message',
      id: ids[0],
      ts: expect.any(Number),
      room: '#main',
      from: 'alice',
      text: 'Lunch at the Café?',
    });
    expect(texts(await search(alice, { text: 'zürich' }))).toEqual([]);
  });

  it('finds a two-character Chinese word inside a sentence, and Japanese', async () => {
    const { port } = await start();
    const alice = await RawClient.login(port, 'alice');
    await sayAll(alice, '#main', ['你好世界', '世界很大', '明日東京に行きます', 'hello']);
    expect(texts(await search(alice, { text: '你好' }))).toEqual(['你好世界']);
    expect(texts(await search(alice, { text: '世界' }))).toEqual(['世界很大', '你好世界']);
    expect(texts(await search(alice, { text: '東京' }))).toEqual(['明日東京に行きます']);
  });

  it('reads every character of the query as text: syntax is searched for, never an error', async () => {
    const { port } = await start();
    const alice = await RawClient.login(port, 'alice');
    await sayAll(alice, '#main', ['say "hi" AND bye', 'NEAR(one two) here', 'plain words']);
    for (const text of ['"', '"hi', 'AND', 'NEAR(', 'one*', '*', 'a:b', '-plain', '(((', 'bye OR']) {
      const r = await search(alice, { text });
      expect(r['type'], `query ${text}`).toBe('results');
    }
    expect(texts(await search(alice, { text: 'AND' }))).toEqual(['say "hi" AND bye']);
    expect(texts(await search(alice, { text: '"hi"' }))).toEqual(['say "hi" AND bye']);
    expect(texts(await search(alice, { text: 'NEAR(one' }))).toEqual(['NEAR(one two) here']);
    expect(texts(await search(alice, { text: '*' }))).toEqual([]);
  });

  it('searches only the rooms the user is in, or the one it names, and refuses a room it is not in', async () => {
    const { port } = await start();
    const alice = await RawClient.login(port, 'alice', { rooms: ['#main', '#secret'] });
    const bob = await RawClient.login(port, 'bob', { rooms: ['#main', '#rust'] });
    await sayAll(alice, '#secret', ['the launch code is 1234']);
    await sayAll(alice, '#main', ['launch at noon']);
    await sayAll(bob, '#rust', ['launch the crate']);
    expect(texts(await search(bob, { text: 'launch' }))).toEqual(['launch the crate', 'launch at noon']);
    expect(texts(await search(bob, { text: 'launch', room: '#rust' }))).toEqual(['launch the crate']);
    expect(await search(bob, { text: 'launch', room: '#secret' })).toMatchObject({ type: 'error', code: 'not_in_room', ref: 'search' });
    // Once bob parts #rust, its messages are out of his search.
    bob.send({ type: 'part', room: '#rust' });
    await bob.next('left', (m) => m['name'] === 'bob');
    expect(texts(await search(bob, { text: 'launch' }))).toEqual(['launch at noon']);
  });

  it('filters by sender with from, and pages older results with before', async () => {
    const { port } = await start();
    const alice = await RawClient.login(port, 'alice');
    const bob = await RawClient.login(port, 'bob');
    await sayAll(alice, '#main', ['deploy one', 'deploy two']);
    await sayAll(bob, '#main', ['deploy three']);
    await sayAll(alice, '#main', ['deploy four', 'deploy five']);
    expect(texts(await search(bob, { text: 'deploy', from: 'ALICE' }))).toEqual(['deploy five', 'deploy four', 'deploy two', 'deploy one']);
    const first = await search(bob, { text: 'deploy', limit: 2 });
    expect(texts(first)).toEqual(['deploy five', 'deploy four']);
    expect(first['more']).toBe(true);
    const last = (first['messages'] as Msg[])[1]!['id'];
    const second = await search(bob, { text: 'deploy', limit: 2, before: last });
    expect(texts(second)).toEqual(['deploy three', 'deploy two']);
    expect(second['more']).toBe(true);
    const third = await search(bob, { text: 'deploy', limit: 2, before: (second['messages'] as Msg[])[1]!['id'] });
    expect(texts(third)).toEqual(['deploy one']);
    expect(third['more']).toBe(false);
  });

  it(`never returns more than ${MAX_RESULTS} results, whatever the limit asked`, async () => {
    const { port } = await start();
    const alice = await RawClient.login(port, 'alice');
    // Quick to write: one frame each, then one round trip.
    for (let i = 0; i < MAX_RESULTS + 5; i++) alice.send({ type: 'say', text: `word ${i}` });
    await alice.next('message', (m) => m['text'] === `word ${MAX_RESULTS + 4}`, 20_000);
    const r = await search(alice, { text: 'word', limit: 10_000 });
    expect((r['messages'] as Msg[]).length).toBe(MAX_RESULTS);
    expect(r['more']).toBe(true);
  }, 30_000);
});

describe('search of private messages', () => {
  it("finds an account's private messages, and none for a guest", async () => {
    const { port } = await startServer({ rate: 1000, burst: 1000 }, { store: sqlite() });
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'register', password: 'correct horse' });
    await alice.next('registered');
    const bob = await RawClient.login(port, 'bob');
    bob.send({ type: 'register', password: 'battery staple' });
    await bob.next('registered');
    alice.send({ type: 'msg', to: 'bob', text: 'the secret rendezvous', label: 'm' });
    await alice.next('private', (m) => m['label'] === 'm');
    expect(texts(await search(alice, { text: 'rendezvous' }))).toEqual(['the secret rendezvous']);
    expect(texts(await search(bob, { text: 'rendezvous' }))).toEqual(['the secret rendezvous']);
    // Naming a room searches that room only.
    expect(texts(await search(bob, { text: 'rendezvous', room: '#main' }))).toEqual([]);
    // carol is a guest: her private messages are never searched (nor kept for the next "carol").
    const carol = await RawClient.login(port, 'carol');
    alice.send({ type: 'msg', to: 'carol', text: 'rendezvous for carol', label: 'c' });
    await carol.next('private', (m) => m['text'] === 'rendezvous for carol');
    expect(texts(await search(carol, { text: 'rendezvous' }))).toEqual([]);
  });
});

describe('search requests', () => {
  it('refuses an empty, over-long or control-character query with a clear code, and keeps the connection', async () => {
    const { port } = await startServer();
    const alice = await RawClient.login(port, 'alice');
    expect(await search(alice, { text: '   ' })).toMatchObject({ type: 'error', code: 'bad_text', ref: 'search' });
    expect(await search(alice, { text: 'x'.repeat(513) })).toMatchObject({ type: 'error', code: 'text_too_long' });
    expect(await search(alice, { text: 'a\u0007b' })).toMatchObject({ type: 'error', code: 'bad_text' });
    expect(await search(alice, { text: 'ok', from: 'bad name!' })).toMatchObject({ type: 'error', code: 'bad_name' });
    expect(await search(alice, { text: 'ok', before: -1 })).toMatchObject({ type: 'error', code: 'bad_request' });
    expect(await search(alice, { text: 'ok' })).toMatchObject({ type: 'results', messages: [] });
  });

  it('costs several flood tokens: a burst of searches is refused long before a burst of pings would be', async () => {
    const { port } = await startServer({ rate: 1, burst: 40 });
    const alice = await RawClient.login(port, 'alice');
    const bob = await RawClient.login(port, 'bob');
    // 40 tokens: five each, so the ninth search in a row is refused, not the forty-first.
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) answers.push(((await search(alice, { text: 'anything' }))['code'] as string) ?? 'results');
    expect(answers.slice(0, 8)).toEqual(Array(8).fill('results'));
    expect(answers.slice(8)).toContain('rate_limited');
    // Another user is not held up by it.
    bob.send({ type: 'say', text: 'still here', label: 'b' });
    expect((await bob.next('message', (m) => m['label'] === 'b'))['text']).toBe('still here');
  });

  it('works from text mode: search TEXT and history N', async () => {
    const { port } = await startServer();
    const bob = await RawClient.login(port, 'bob');
    await sayAll(bob, '#main', ['first light', 'second light', 'third thing']);
    const carol = await TextClient.login(port, 'carol');
    carol.line('/search light');
    await carol.expect('Found 2:');
    expect(await carol.expect(/\] \[#main\] bob: first light$/)).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d\] /);
    await carol.expect(/\] \[#main\] bob: second light$/);
    carol.line('/search nothing-like-it');
    await carol.expect('No messages found.');
    carol.line('history 2');
    await carol.expect(/^\[\d\d:\d\d\] bob: second light$/);
    await carol.expect(/^\[\d\d:\d\d\] bob: third thing$/);
    // Bare "search me" is chat, not a search.
    carol.line('search me');
    await bob.next('message', (m) => m['text'] === 'search me');
  });
});
