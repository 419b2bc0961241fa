/**
 * One suite for every Store implementation (as hono runs one suite against every runtime):
 * memory.test.ts and sqlite.test.ts call runStoreCases with a factory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PasswordHash } from '../../src/server/passwords.js';
import type { Account, PrivateMessage, RoomMessage, Store, StoredMessage } from '../../src/server/store/store.js';

export interface StoreFactory {
  /** A fresh, empty store; `pruneBatch` for the retention cases. A networked store opens asynchronously. */
  make(options?: { pruneBatch?: number }): Store | Promise<Store>;
}

export const HOSTILE_QUERIES = [
  '"',
  '""',
  '"hello',
  'hello"',
  'NEAR(',
  'NEAR(hello world)',
  'NEAR(a b, 2)',
  '*',
  'hel*',
  'AND',
  'a AND',
  'OR b',
  'NOT',
  '(',
  ')',
  'body:hello',
  '-hello',
  '^hello',
  '+',
  '{a b}',
  "'",
  '\\',
  'a"b"c',
  '   ',
  '',
];

export function runStoreCases(name: string, factory: StoreFactory): void {
  describe(`store cases: ${name}`, () => {
    const open: Store[] = [];
    afterEach(async () => {
      // An asynchronous store's close() settles once its last commit and connections are done.
      for (const s of open.splice(0)) await s.close();
    });
    const make = async (options?: { pruneBatch?: number }): Promise<Store> => {
      const s = await factory.make(options);
      open.push(s);
      return s;
    };

    function say(store: Store, room: string, text: string, extra: Partial<RoomMessage> = {}): RoomMessage {
      const m: RoomMessage = { kind: 'room', id: store.ids.next(), ts: 1_000, room, from: 'alice', text, ...extra };
      store.append(m);
      return m;
    }

    function priv(
      store: Store,
      from: string,
      to: string,
      text: string,
      accounts: { fromAccount?: string; toAccount?: string },
    ): PrivateMessage {
      const m: PrivateMessage = { kind: 'private', id: store.ids.next(), ts: 1_000, from, to, text, ...accounts };
      store.append(m);
      return m;
    }

    const texts = (ms: StoredMessage[]): string[] => ms.map((m) => m.text);

    it('hands out unique, increasing ids', async () => {
      const store = await make();
      const ids = Array.from({ length: 1000 }, () => store.ids.next());
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
    });

    it('gives the latest messages oldest first, with more when older ones exist', async () => {
      const store = await make();
      for (let i = 0; i < 10; i++) say(store, '#main', `m${i}`);
      expect(await store.commit()).toMatchObject({ written: 10, pending: 0, dropped: 0 });
      expect(await store.latest('#main', 3)).toEqual({ messages: expect.any(Array), more: true });
      expect(texts((await store.latest('#main', 3)).messages)).toEqual(['m7', 'm8', 'm9']);
      const all = await store.latest('#main', 10);
      expect(all.more).toBe(false);
      expect(texts(all.messages)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    });

    it('returns every field of a message as it was appended', async () => {
      const store = await make();
      const m = say(store, '#main', 'waves', { action: true, from: 'Bob', ts: 1_700_000_000_123 });
      const plain = say(store, '#main', 'hello');
      await store.commit();
      expect((await store.latest('#main', 10)).messages).toEqual([m, plain]);
    });

    it('reads see messages appended in the same turn, before commit', async () => {
      const store = await make();
      say(store, '#main', 'not yet committed');
      expect(texts((await store.latest('#main', 5)).messages)).toEqual(['not yet committed']);
      expect(texts((await store.search('committed', { rooms: ['#main'], limit: 5 })).messages)).toEqual(['not yet committed']);
    });

    it('compares rooms folded and keeps them apart', async () => {
      const store = await make();
      say(store, '#Main', 'in main');
      say(store, '#other', 'in other');
      await store.commit();
      expect(texts((await store.latest('#MAIN', 10)).messages)).toEqual(['in main']);
      expect(texts((await store.latest('#other', 10)).messages)).toEqual(['in other']);
      expect(await store.latest('#nowhere', 10)).toEqual({ messages: [], more: false });
    });

    it('pages backwards with before and forwards with after, each message once', async () => {
      const store = await make();
      const sent = Array.from({ length: 25 }, (_, i) => say(store, '#main', `m${i}`));
      say(store, '#elsewhere', 'not here');
      await store.commit();
      const back: string[] = [];
      let page = await store.latest('#main', 10);
      back.unshift(...texts(page.messages));
      while (page.more) {
        page = await store.before('#main', page.messages[0]!.id, 10);
        back.unshift(...texts(page.messages));
      }
      expect(back).toEqual(texts(sent));
      const forward: string[] = [];
      page = await store.after('#main', 0, 10);
      forward.push(...texts(page.messages));
      while (page.more) {
        page = await store.after('#main', page.messages[page.messages.length - 1]!.id, 10);
        forward.push(...texts(page.messages));
      }
      expect(forward).toEqual(texts(sent));
      expect(await store.after('#main', sent[24]!.id, 10)).toEqual({ messages: [], more: false });
      expect(await store.before('#main', sent[0]!.id, 10)).toEqual({ messages: [], more: false });
    });

    it('catches up with since: the messages after the id, more when there are more', async () => {
      const store = await make();
      const sent = Array.from({ length: 8 }, (_, i) => say(store, '#main', `m${i}`));
      await store.commit();
      const page = await store.since('#main', sent[2]!.id, 3);
      expect(texts(page.messages)).toEqual(['m3', 'm4', 'm5']);
      expect(page.more).toBe(true);
      const rest = await store.since('#main', sent[5]!.id, 3);
      expect(texts(rest.messages)).toEqual(['m6', 'm7']);
      expect(rest.more).toBe(false);
    });

    it('clamps absurd limits instead of failing', async () => {
      const store = await make();
      for (let i = 0; i < 3; i++) say(store, '#main', `m${i}`);
      await store.commit();
      expect((await store.latest('#main', 0)).messages).toHaveLength(1);
      expect((await store.latest('#main', -5)).messages).toHaveLength(1);
      expect((await store.latest('#main', Number.NaN)).messages).toHaveLength(3);
      expect((await store.latest('#main', 1e12)).messages).toHaveLength(3);
    });

    it('pages a private conversation between two accounts, in both directions', async () => {
      const store = await make();
      const a = priv(store, 'Alice', 'bob', 'hi bob', { fromAccount: 'alice', toAccount: 'bob' });
      const b = priv(store, 'bob', 'Alice', 'hi alice', { fromAccount: 'bob', toAccount: 'alice' });
      priv(store, 'alice', 'carol', 'hi carol', { fromAccount: 'alice', toAccount: 'carol' });
      const c = priv(store, 'bob', 'alice', 'again', { fromAccount: 'Bob', toAccount: 'Alice' });
      await store.commit();
      const c2 = { ...c, fromAccount: 'bob', toAccount: 'alice' };
      expect((await store.privateLatest('alice', 'bob', 10)).messages).toEqual([a, b, c2]);
      expect((await store.privateLatest('BOB', 'alice', 10)).messages).toEqual([a, b, c2]);
      const last = await store.privateLatest('alice', 'bob', 2);
      expect(last).toEqual({ messages: [b, c2], more: true });
      expect(await store.privateBefore('alice', 'bob', b.id, 10)).toEqual({ messages: [a], more: false });
      expect(await store.privateAfter('alice', 'bob', a.id, 1)).toEqual({ messages: [b], more: true });
      expect(texts((await store.privateLatest('alice', 'carol', 10)).messages)).toEqual(['hi carol']);
      expect((await store.privateLatest('bob', 'carol', 10)).messages).toEqual([]);
    });

    it('keeps no private message that no account was a party to', async () => {
      const store = await make();
      priv(store, 'guest1', 'guest2', 'secret between guests', {});
      priv(store, 'alice', 'guest2', 'from an account to a guest', { fromAccount: 'alice' });
      await store.commit();
      expect((await store.search('guests', { rooms: [], privateAccount: 'alice', limit: 10 })).messages).toEqual([]);
      expect(texts((await store.search('guest', { rooms: [], privateAccount: 'alice', limit: 10 })).messages)).toEqual([
        'from an account to a guest',
      ]);
      expect((await store.search('guest', { rooms: [], privateAccount: 'guest2', limit: 10 })).messages).toEqual([]);
    });

    it('sets, replaces and clears a topic, with who set it and when', async () => {
      const store = await make();
      expect(await store.getTopic('#main')).toBeUndefined();
      store.setTopic('#Main', { text: 'first', by: 'alice', ts: 5 });
      store.setTopic('#main', { text: 'welcome', by: 'bob', ts: 6 });
      await store.commit();
      expect(await store.getTopic('#MAIN')).toEqual({ text: 'welcome', by: 'bob', ts: 6 });
      store.setTopic('#main', { text: '', by: 'bob', ts: 7 });
      await store.commit();
      expect(await store.getTopic('#main')).toBeUndefined();
    });

    describe('search', () => {
      async function find(store: Store, query: string, rooms = ['#main']): Promise<string[]> {
        return texts((await store.search(query, { rooms, limit: 100 })).messages);
      }

      it('finds English words, case folded, whole words only', async () => {
        const store = await make();
        say(store, '#main', 'The cat sat on the mat');
        say(store, '#main', 'a category of things');
        say(store, '#main', 'CATS are plural');
        await store.commit();
        expect(await find(store, 'cat')).toEqual(['The cat sat on the mat']);
        expect(await find(store, 'CAT')).toEqual(['The cat sat on the mat']);
        expect(await find(store, 'cat mat')).toEqual(['The cat sat on the mat']);
        expect(await find(store, 'cat dog')).toEqual([]);
      });

      it('folds accents both ways', async () => {
        const store = await make();
        say(store, '#main', 'un café crème');
        say(store, '#main', 'plain cafe');
        await store.commit();
        expect(await find(store, 'cafe')).toEqual(['plain cafe', 'un café crème']);
        expect(await find(store, 'café')).toEqual(['plain cafe', 'un café crème']);
        expect(await find(store, 'CREME')).toEqual(['un café crème']);
      });

      it('finds two-character Chinese words inside longer runs and sentences', async () => {
        const store = await make();
        say(store, '#main', '你好世界');
        say(store, '#main', '我说你好，然后走了');
        say(store, '#main', '你们好');
        say(store, '#main', 'hello 世界 mixed');
        await store.commit();
        expect(await find(store, '你好')).toEqual(['我说你好，然后走了', '你好世界']);
        expect(await find(store, '世界')).toEqual(['hello 世界 mixed', '你好世界']);
        expect(await find(store, '好世')).toEqual(['你好世界']);
        expect(await find(store, '再见')).toEqual([]);
      });

      it('finds Japanese words', async () => {
        const store = await make();
        say(store, '#main', 'こんにちは、元気ですか');
        say(store, '#main', '東京タワーに行きました');
        await store.commit();
        expect(await find(store, 'こんにちは')).toEqual(['こんにちは、元気ですか']);
        expect(await find(store, '元気')).toEqual(['こんにちは、元気ですか']);
        expect(await find(store, 'タワー')).toEqual(['東京タワーに行きました']);
      });

      it('searches hostile query strings literally and never fails', async () => {
        const store = await make();
        say(store, '#main', 'hello world, NEAR the AND gate');
        say(store, '#main', 'say "hello" in quotes');
        await store.commit();
        for (const q of HOSTILE_QUERIES) {
          await expect(store.search(q, { rooms: ['#main'], limit: 10 }), q).resolves.toEqual({ messages: expect.any(Array), more: false });
        }
        expect(await find(store, 'NEAR(')).toEqual(['hello world, NEAR the AND gate']);
        expect(await find(store, 'AND')).toEqual(['hello world, NEAR the AND gate']);
        expect(await find(store, '"hello"')).toEqual(['say "hello" in quotes', 'hello world, NEAR the AND gate']);
        expect(await find(store, '*')).toEqual([]);
        expect(await find(store, '"')).toEqual([]);
        expect(await find(store, 'hel*')).toEqual([]);
      });

      it("searches only the rooms in scope, the account's private messages, and from", async () => {
        const store = await make();
        say(store, '#main', 'needle in main', { from: 'Alice' });
        say(store, '#secret', 'needle in secret', { from: 'carol' });
        say(store, '#main', 'needle by bob', { from: 'bob' });
        priv(store, 'alice', 'bob', 'needle in private', { fromAccount: 'alice', toAccount: 'bob' });
        await store.commit();
        expect(await find(store, 'needle')).toEqual(['needle by bob', 'needle in main']);
        expect(await find(store, 'needle', [])).toEqual([]);
        expect(texts((await store.search('needle', { rooms: ['#main'], privateAccount: 'Bob', limit: 10 })).messages)).toEqual([
          'needle in private',
          'needle by bob',
          'needle in main',
        ]);
        expect(texts((await store.search('needle', { rooms: ['#main'], privateAccount: 'carol', limit: 10 })).messages)).toEqual([
          'needle by bob',
          'needle in main',
        ]);
        expect(texts((await store.search('needle', { rooms: ['#main', '#secret'], from: 'ALICE', limit: 10 })).messages)).toEqual([
          'needle in main',
        ]);
      });

      it('bounds results newest first, with more, and pages with before', async () => {
        const store = await make();
        for (let i = 0; i < 150; i++) say(store, '#main', `word ${i}`);
        await store.commit();
        const first = await store.search('word', { rooms: ['#main'], limit: 1000 });
        expect(first.messages).toHaveLength(100);
        expect(first.more).toBe(true);
        expect(first.messages[0]!.text).toBe('word 149');
        const ids = first.messages.map((m) => m.id);
        expect([...ids].sort((a, b) => b - a)).toEqual(ids);
        const next = await store.search('word', { rooms: ['#main'], limit: 100, before: ids[ids.length - 1]! });
        expect(next.messages).toHaveLength(50);
        expect(next.more).toBe(false);
        expect(next.messages[0]!.text).toBe('word 49');
      });
    });

    describe('retention', () => {
      it('removes messages older than the cutoff in bounded batches', async () => {
        const store = await make({ pruneBatch: 10 });
        for (let i = 0; i < 25; i++) say(store, '#main', `old ${i}`, { ts: 100 + i });
        for (let i = 0; i < 5; i++) say(store, '#main', `new ${i}`, { ts: 10_000 + i });
        await store.commit();
        const removed: number[] = [];
        for (let i = 0; i < 10; i++) {
          const r = await store.prune(1000, 0);
          removed.push(r.removed);
          if (!r.more) break;
        }
        expect(removed.slice(0, 3)).toEqual([10, 10, 5]);
        expect(removed.every((n) => n <= 10)).toBe(true);
        expect(texts((await store.latest('#main', 100)).messages)).toEqual(['new 0', 'new 1', 'new 2', 'new 3', 'new 4']);
        expect(await find(store, 'old')).toEqual([]);
      });

      it('keeps the newest perRoomCap messages of each room', async () => {
        const store = await make({ pruneBatch: 7 });
        for (let i = 0; i < 30; i++) say(store, '#big', `b${i}`);
        for (let i = 0; i < 3; i++) say(store, '#small', `s${i}`);
        await store.commit();
        let calls = 0;
        while ((await store.prune(0, 5)).more && calls < 20) calls++;
        expect(calls).toBeGreaterThanOrEqual(3);
        expect(texts((await store.latest('#big', 100)).messages)).toEqual(['b25', 'b26', 'b27', 'b28', 'b29']);
        expect(texts((await store.latest('#small', 100)).messages)).toEqual(['s0', 's1', 's2']);
        expect(await store.prune(0, 5)).toEqual({ removed: 0, more: false });
      });

      it('caps every room over the cap, each call saying more until none is over', async () => {
        const store = await make({ pruneBatch: 100 });
        for (let i = 0; i < 20; i++) for (const room of ['#a', '#b', '#c']) say(store, room, `${room} ${i}`);
        say(store, '#small', 'alone');
        await store.commit();
        let calls = 0;
        while ((await store.prune(0, 5)).more && calls < 50) calls++;
        for (const room of ['#a', '#b', '#c']) {
          expect(texts((await store.latest(room, 100)).messages)).toEqual(Array.from({ length: 5 }, (_, i) => `${room} ${i + 15}`));
        }
        expect(texts((await store.latest('#small', 100)).messages)).toEqual(['alone']);
      });

      it('caps interleaved rooms oldest first, never more rows a call than the batch', async () => {
        const store = await make({ pruneBatch: 6 });
        // Five rooms written round robin, 12 messages each, and one old message of a sixth.
        say(store, '#old', 'ancient', { ts: 50 });
        for (let i = 0; i < 12; i++) for (let r = 0; r < 5; r++) say(store, `#r${r}`, `r${r} ${i}`, { ts: 10_000 + i });
        await store.commit();
        const removed: number[] = [];
        for (let calls = 0; calls < 100; calls++) {
          const r = await store.prune(100, 4);
          removed.push(r.removed);
          if (!r.more) break;
        }
        expect(removed.every((n) => n <= 6)).toBe(true);
        // 5 rooms x 8 over the cap, the old message and its room (a store may count rooms it removes).
        expect(removed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(41);
        expect(removed.length).toBeGreaterThanOrEqual(7);
        for (let r = 0; r < 5; r++) {
          expect(texts((await store.latest(`#r${r}`, 100)).messages)).toEqual([8, 9, 10, 11].map((i) => `r${r} ${i}`));
        }
        expect(texts((await store.latest('#old', 100)).messages)).toEqual([]);
      });

      async function find(store: Store, query: string): Promise<string[]> {
        return texts((await store.search(query, { rooms: ['#main'], limit: 100 })).messages);
      }
    });

    // ---- accounts ----
    describe('accounts', () => {
      const hash = (tag: number): PasswordHash => ({
        algo: 'scrypt',
        N: 1024,
        r: 8,
        p: 1,
        keylen: 4,
        salt: Buffer.from([tag, 1, 2, 3]),
        hash: Buffer.from([tag, 9, 9, 9]),
      });
      const account = (name: string, tag = 1, createdTs = 5_000): Account => ({ name, password: hash(tag), createdTs });

      it('registers a name once, found folded, with its hash parameters as stored', async () => {
        const store = await make();
        expect(await store.createAccount(account('Alice'))).toBe(true);
        expect(await store.createAccount(account('ALICE', 2))).toBe(false);
        const found = await store.findAccount('alice');
        expect(found).toEqual(account('Alice'));
        expect(await store.findAccount('bob')).toBeUndefined();
      });

      it('reserves the look-alikes of a registered name: found by them, and not registrable', async () => {
        const store = await make();
        expect(await store.createAccount(account('alice'))).toBe(true);
        // Cyrillic а, and a capital I for the l.
        for (const lookalike of ['\u0430lice', 'AIice']) {
          expect((await store.findAccount(lookalike))?.name).toBe('alice');
          expect(await store.createAccount(account(lookalike))).toBe(false);
        }
        expect((await store.listAccounts(undefined, 10)).map((a) => a.name)).toEqual(['alice']);
      });

      it('changes a password, and deletes an account, freeing its name and look-alikes', async () => {
        const store = await make();
        await store.createAccount(account('alice'));
        expect(await store.setPassword('ALICE', hash(7))).toBe(true);
        expect((await store.findAccount('alice'))?.password).toEqual(hash(7));
        expect(await store.setPassword('bob', hash(7))).toBe(false);
        expect(await store.deleteAccount('Alice')).toBe(true);
        expect(await store.deleteAccount('alice')).toBe(false);
        expect(await store.findAccount('\u0430lice')).toBeUndefined();
        expect(await store.createAccount(account('\u0430lice'))).toBe(true);
      });

      it('lists accounts in folded order, a page at a time', async () => {
        const store = await make();
        for (const name of ['carol', 'Bob', 'alice', 'dave']) await store.createAccount(account(name));
        const first = await store.listAccounts(undefined, 2);
        expect(first.map((a) => a.name)).toEqual(['alice', 'Bob']);
        expect((await store.listAccounts(first[1]!.name, 10)).map((a) => a.name)).toEqual(['carol', 'dave']);
      });

      it('reads private history and private search from notBefore / privateSince on only', async () => {
        const store = await make();
        const old = { ...priv(store, 'alice', 'bob', 'old secret', { fromAccount: 'alice', toAccount: 'bob' }) };
        const fresh: PrivateMessage = {
          kind: 'private',
          id: store.ids.next(),
          ts: 9_000,
          from: 'bob',
          to: 'alice',
          text: 'new secret',
          fromAccount: 'bob',
          toAccount: 'alice',
        };
        store.append(fresh);
        expect(texts((await store.privateLatest('alice', 'bob', 10)).messages)).toEqual([old.text, 'new secret']);
        expect(texts((await store.privateLatest('alice', 'bob', 10, 5_000)).messages)).toEqual(['new secret']);
        expect(texts((await store.privateBefore('alice', 'bob', fresh.id + 1, 10, 5_000)).messages)).toEqual(['new secret']);
        expect(texts((await store.privateAfter('alice', 'bob', 0, 10, 5_000)).messages)).toEqual(['new secret']);
        const found = await store.search('secret', { rooms: [], privateAccount: 'alice', privateSince: 5_000, limit: 10 });
        expect(texts(found.messages)).toEqual(['new secret']);
      });
    });
    // ---- end accounts ----

    // ---- moderation ----
    describe('moderation', () => {
      const account = (name: string): Account => ({
        name,
        password: { algo: 'scrypt', N: 1024, r: 8, p: 1, keylen: 4, salt: Buffer.from([1]), hash: Buffer.from([2]) },
        createdTs: 1,
      });

      it('finds a name ban folded and an address ban exactly, per room, until it expires', async () => {
        const store = await make();
        await store.addBan({ kind: 'name', target: 'Troll', by: 'op', reason: 'spam', ts: 1_000 });
        await store.addBan({ kind: 'address', target: '2001:db8:1:2::/64', by: 'op', ts: 1_000, until: 5_000 });
        await store.addBan({ kind: 'name', target: 'bob', room: '#Rust', by: 'founder', ts: 1_000 });
        expect(await store.findBan({ names: ['TROLL'] }, 2_000)).toEqual({
          kind: 'name',
          target: 'Troll',
          by: 'op',
          reason: 'spam',
          ts: 1_000,
        });
        expect(await store.findBan({ names: ['x'], address: '2001:db8:1:2::/64' }, 4_999)).toMatchObject({ kind: 'address', until: 5_000 });
        expect(await store.findBan({ names: ['x'], address: '2001:db8:1:2::/64' }, 5_000)).toBeUndefined();
        expect(await store.findBan({ names: ['x'], address: '2001:db8:1:3::/64' }, 2_000)).toBeUndefined();
        // A room ban is not a server ban, and the other way round.
        expect(await store.findBan({ names: ['bob'] }, 2_000)).toBeUndefined();
        expect(await store.findBan({ names: ['bob'], room: '#rust' }, 2_000)).toMatchObject({ room: '#rust', by: 'founder' });
        expect(await store.findBan({ names: ['troll'], room: '#rust' }, 2_000)).toBeUndefined();
      });

      it('replaces a ban of the same target, lists those in force oldest first, and lifts them', async () => {
        const store = await make();
        await store.addBan({ kind: 'name', target: 'a', by: 'op', ts: 1_000 });
        await store.addBan({ kind: 'name', target: 'b', by: 'op', ts: 2_000, until: 3_000 });
        await store.addBan({ kind: 'name', target: 'A', by: 'op2', ts: 2_500, reason: 'again' });
        expect((await store.listBans(undefined, 2_600, 10)).map((b) => [b.target, b.by])).toEqual([
          ['b', 'op'],
          ['A', 'op2'],
        ]);
        expect((await store.listBans(undefined, 3_000, 10)).map((b) => b.target)).toEqual(['A']);
        expect(await store.listBans(undefined, 2_600, 1)).toHaveLength(1);
        expect(await store.listBans('#main', 2_600, 10)).toEqual([]);
        expect(await store.removeBan('name', 'a', undefined, 4_000)).toBe(true);
        expect(await store.removeBan('name', 'a', undefined, 4_000)).toBe(false);
        // An expired ban is not lifted (there was none in force).
        expect(await store.removeBan('name', 'b', undefined, 4_000)).toBe(false);
        expect(await store.listBans(undefined, 0, 10)).toEqual([]);
      });

      it('keeps a mute per room and name, folded, until it expires or is lifted', async () => {
        const store = await make();
        expect(await store.addMute({ room: '#Rust', name: 'Bob', by: 'op', ts: 1_000 }, 10)).toBe(true);
        expect(await store.addMute({ room: '#main', name: 'carol', by: 'op', ts: 2_000, until: 5_000 }, 10)).toBe(true);
        expect(await store.listMutes(4_999, 10)).toEqual([
          { room: '#rust', name: 'Bob', by: 'op', ts: 1_000 },
          { room: '#main', name: 'carol', by: 'op', ts: 2_000, until: 5_000 },
        ]);
        expect(await store.listMutes(5_000, 10)).toEqual([{ room: '#rust', name: 'Bob', by: 'op', ts: 1_000 }]);
        expect(await store.listMutes(0, 1)).toHaveLength(1);
        // Muting again replaces the mute.
        expect(await store.addMute({ room: '#rust', name: 'BOB', by: 'op2', ts: 3_000, until: 9_000 }, 10)).toBe(true);
        expect(await store.listMutes(5_000, 10)).toEqual([{ room: '#rust', name: 'BOB', by: 'op2', ts: 3_000, until: 9_000 }]);
        expect(await store.removeMute('#RUST', 'bob', 5_000)).toBe(true);
        expect(await store.removeMute('#rust', 'bob', 5_000)).toBe(false);
        // An expired mute is not lifted (there was none in force).
        expect(await store.removeMute('#main', 'carol', 6_000)).toBe(false);
        expect(await store.listMutes(0, 10)).toEqual([]);
      });

      it('refuses a mute past the room bound but replaces one within it; a rename carries mutes', async () => {
        const store = await make();
        expect(await store.addMute({ room: '#a', name: 'x', by: 'op', ts: 1 }, 2)).toBe(true);
        expect(await store.addMute({ room: '#a', name: 'y', by: 'op', ts: 2 }, 2)).toBe(true);
        expect(await store.addMute({ room: '#a', name: 'z', by: 'op', ts: 3 }, 2)).toBe(false);
        expect(await store.addMute({ room: '#a', name: 'X', by: 'op', ts: 4, until: 10 }, 2)).toBe(true);
        expect(await store.addMute({ room: '#b', name: 'z', by: 'op', ts: 5 }, 2)).toBe(true);
        // Once x's mute has ended, its place is free.
        expect(await store.addMute({ room: '#a', name: 'z', by: 'op', ts: 11 }, 2)).toBe(true);
        await store.renameMutes('Y', 'Yves');
        expect((await store.listMutes(11, 10)).map((m) => [m.room, m.name]).sort()).toEqual([
          ['#a', 'Yves'],
          ['#a', 'z'],
          ['#b', 'z'],
        ]);
        // A rename onto a muted name replaces its mute in that room.
        await store.renameMutes('z', 'yves');
        expect((await store.listMutes(11, 10)).map((m) => [m.room, m.name]).sort()).toEqual([
          ['#a', 'yves'],
          ['#b', 'yves'],
        ]);
        await store.renameMutes('nobody', 'else');
        expect(await store.listMutes(11, 10)).toHaveLength(2);
      });

      it('marks operators among accounts, and forgets them and their rooms with the account', async () => {
        const store = await make();
        await store.createAccount(account('Alice'));
        expect(await store.setOperator('bob', true)).toBe(false);
        expect(await store.setOperator('alice', true)).toBe(true);
        expect(await store.listOperators()).toEqual(['Alice']);
        expect(await store.claimFounder('#Rust', 'Alice')).toBe(true);
        expect(await store.claimFounder('#rust', 'carol')).toBe(false);
        expect(await store.getFounder('#RUST')).toBe('Alice');
        expect(await store.setOperator('ALICE', false)).toBe(true);
        expect(await store.listOperators()).toEqual([]);
        await store.setOperator('alice', true);
        await store.deleteAccount('alice');
        await store.createAccount(account('alice'));
        expect(await store.listOperators()).toEqual([]);
        expect(await store.getFounder('#rust')).toBeUndefined();
      });
    });
    // ---- end moderation ----
  });
}
