/**
 * Passwords: scrypt with its parameters stored beside the hash (a login rehashes a weaker one),
 * failed logins throttled per account and per address while other users log in as usual, and
 * hashing bounded server-wide (a flood of logins is refused with server_busy, not queued).
 */
import { describe, expect, it } from 'vitest';
import { HashPool, hashPassword, needsRehash, ServerBusyError, verifyPassword, DEFAULT_SCRYPT } from '../../src/server/passwords.js';
import { MemoryStore } from '../../src/server/store/memory.js';
import { RawClient } from '../helpers/raw.js';
import { startClockedServer, startServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';
import { CHEAP_SCRYPT, hello, PASSWORD } from '../helpers/accounts.js';

describe('password hashes', () => {
  it('verify with the parameters stored beside them, default ones included', async () => {
    const h = await hashPassword(PASSWORD);
    expect(h).toMatchObject({ algo: 'scrypt', ...DEFAULT_SCRYPT });
    expect(h.salt.length).toBe(16);
    expect(await verifyPassword(PASSWORD, h)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}!`, h)).toBe(false);
    const other = await hashPassword(PASSWORD);
    expect(other.salt.equals(h.salt)).toBe(false);
    expect(needsRehash(await hashPassword(PASSWORD, CHEAP_SCRYPT), DEFAULT_SCRYPT)).toBe(true);
    expect(needsRehash(h, DEFAULT_SCRYPT)).toBe(false);
  });

  it('are redone with the current parameters at the next successful login', async () => {
    const store = new MemoryStore();
    const weak = await startServer({ scrypt: CHEAP_SCRYPT }, { store });
    await weak.server.accounts.register('alice', PASSWORD);
    expect((await store.findAccount('alice'))?.password.N).toBe(CHEAP_SCRYPT.N);
    const stronger = { ...CHEAP_SCRYPT, N: 4096 };
    const { port, server, logs } = await startServer({ scrypt: stronger }, { store });
    expect(await hello(port, { name: 'alice', auth: { password: 'wrong password' } })).toMatchObject({ code: 'login_failed' });
    expect((await store.findAccount('alice'))?.password.N).toBe(CHEAP_SCRYPT.N);
    expect(await hello(port, { name: 'alice', auth: { password: PASSWORD } })).toMatchObject({ type: 'welcome' });
    await until(() => logs.some((l) => l.includes('password_rehashed')));
    expect((await store.findAccount('alice'))?.password.N).toBe(4096);
    expect(await hello(port, { name: 'alice', auth: { password: PASSWORD } })).toMatchObject({ type: 'welcome' });
    // No password in any log line.
    expect(logs.join('\n')).not.toContain(PASSWORD);
    expect(logs.join('\n')).not.toContain('wrong password');
    expect(server.accounts.pool.load).toBe(0);
  });
});

describe('failed logins are throttled', () => {
  it('a guessing loop on one account is throttled while other users log in at the same time', async () => {
    const t = await startClockedServer({ scrypt: CHEAP_SCRYPT });
    for (const name of ['alice', 'bob', 'carol']) await t.server.accounts.register(name, PASSWORD);
    const guesser = await RawClient.connect(t.port);
    const guess = async (i: number): Promise<string> => {
      guesser.send({ type: 'hello', name: 'alice', auth: { password: `guess number ${i}` } });
      return String((await guesser.next('error'))['code']);
    };
    const others = async (): Promise<string[]> => {
      const answers: string[] = [];
      for (let i = 0; i < 4; i++)
        for (const name of ['bob', 'carol']) answers.push(String((await hello(t.port, { name, auth: { password: PASSWORD } }))['type']));
      return answers;
    };
    const guessing = (async () => {
      const codes: string[] = [];
      for (let i = 0; i < 30; i++) codes.push(await guess(i));
      return codes;
    })();
    const [codes, logins] = await Promise.all([guessing, others()]);
    // The account's burst (5) was all the guesser got to try; the rest never reached scrypt.
    expect(codes.filter((c) => c === 'login_failed')).toHaveLength(5);
    expect(codes.filter((c) => c === 'login_throttled')).toHaveLength(25);
    expect(t.logs.filter((l) => l.includes('login_failed'))).toHaveLength(5);
    expect(logins).toEqual(Array(8).fill('welcome'));
    // alice herself waits too, for 30 s (one more try per 30 s).
    expect(await hello(t.port, { name: 'alice', auth: { password: PASSWORD } })).toMatchObject({ code: 'login_throttled' });
    t.advance(30_000);
    expect(await hello(t.port, { name: 'alice', auth: { password: PASSWORD } })).toMatchObject({ type: 'welcome', account: 'alice' });
  });

  it('an address failing across many accounts is throttled for every account it tries', async () => {
    const t = await startClockedServer({ scrypt: CHEAP_SCRYPT });
    const names = Array.from({ length: 21 }, (_, i) => `user${i}`);
    for (const name of names) await t.server.accounts.register(name, PASSWORD);
    const codes: string[] = [];
    for (const name of names.slice(0, 20)) codes.push(String((await hello(t.port, { name, auth: { password: 'not it at all' } }))['code']));
    expect(codes).toEqual(Array(20).fill('login_failed'));
    // The address's burst (20) is spent: even a right password from it waits now.
    expect(await hello(t.port, { name: 'user20', auth: { password: PASSWORD } })).toMatchObject({ code: 'login_throttled' });
    t.advance(3_000);
    expect(await hello(t.port, { name: 'user20', auth: { password: PASSWORD } })).toMatchObject({ type: 'welcome' });
  });
});

describe('bounded hashing', () => {
  it('runs at most `active` jobs, queues at most `queued`, and refuses one more at once', async () => {
    const pool = new HashPool(2, 3);
    let started = 0;
    const releases: (() => void)[] = [];
    const job = (): Promise<number> => {
      started++;
      return new Promise((resolve) => releases.push(() => resolve(started)));
    };
    const accepted = Array.from({ length: 5 }, () => pool.run(job));
    expect(started).toBe(2);
    expect(pool.load).toBe(5);
    expect(() => pool.run(job)).toThrow(ServerBusyError);
    releases.shift()!();
    await accepted[0];
    await until(() => started === 3);
    expect(() => pool.run(job)).not.toThrow();
    expect(() => pool.run(job)).toThrow(ServerBusyError);
    while (releases.length > 0 || started < 6) {
      releases.shift()?.();
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(accepted);
    expect(pool.load).toBe(0);
  });

  it('a flood of logins gets server_busy beyond the queue while a canary keeps chatting', async () => {
    // Default (slow) parameters, one job at a time and one waiting: 12 logins at once overflow it.
    const { port, server } = await startServer({ hashConcurrency: 1, hashQueue: 1 });
    await server.accounts.register('alice', PASSWORD);
    const canary = await RawClient.login(port, 'canary');
    const clients = await Promise.all(Array.from({ length: 12 }, () => RawClient.connect(port)));
    for (const c of clients) c.send({ type: 'hello', name: 'alice', auth: { password: 'a wrong guess' } });
    canary.send({ type: 'say', text: 'still here' });
    expect(await canary.next('message')).toMatchObject({ text: 'still here' });
    const answers = await Promise.all(clients.map(async (c) => String((await c.next('error', () => true, 15_000))['code'])));
    const busy = answers.filter((a) => a === 'server_busy').length;
    expect(busy).toBeGreaterThan(0);
    // The rest were hashed (and failed), or throttled once alice's account had failed 5 times.
    for (const a of answers) expect(['server_busy', 'login_failed', 'login_throttled']).toContain(a);
    expect(answers.filter((a) => a === 'login_failed').length).toBeLessThanOrEqual(5);
    expect(server.accounts.pool.load).toBe(0);
  }, 30_000);
});
