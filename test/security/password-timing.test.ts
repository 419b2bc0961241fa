/**
 * The password check is constant-time: asserted by observing the real crypto.timingSafeEqual
 * being called, with equal-length inputs, on the server's actual login path. (A timing
 * measurement would be a flaky timed assertion; the structure is what can be checked honestly.)
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';

// Wrap the real timingSafeEqual in a spy: behaviour unchanged, calls recorded.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, default: real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});
const crypto = await import('node:crypto');
const spy = vi.mocked(crypto.timingSafeEqual);
const { passwordMatches } = await import('../../src/server/handlers/session.js');

// Braces matter: a function returned from beforeEach would be run as its teardown.
beforeEach(() => {
  spy.mockClear();
});

describe('password comparison', () => {
  it.each([
    ['a right password', 'secret', true],
    ['a wrong password of the same length', 'secreT', false],
    ['a shorter password', 's', false],
    ['a much longer password', 'x'.repeat(10_000), false],
    ['no password', undefined, false],
  ])('compares %s with timingSafeEqual on two equal-length digests', (_what, given, result) => {
    expect(passwordMatches('secret', given)).toBe(result);
    expect(spy).toHaveBeenCalledTimes(1);
    const [a, b] = spy.mock.calls[0]!;
    // Hashing first makes the lengths equal whatever was sent, so no early length check leaks.
    expect(a.byteLength).toBe(32);
    expect(b.byteLength).toBe(32);
  });

  it('is what the server runs for a framed hello', async () => {
    const { port } = await startServer({ password: 'secret' });
    const guess = await RawClient.connect(port);
    guess.send({ type: 'hello', name: 'mallory', password: 'guess' });
    expect(await guess.next('error')).toMatchObject({ code: 'auth_failed' });
    expect(spy).toHaveBeenCalled();
    spy.mockClear();
    await RawClient.login(port, 'alice', { password: 'secret' });
    expect(spy).toHaveBeenCalled();
  });

  it('is what the server runs for a text-mode login', async () => {
    const { port } = await startServer({ password: 'secret' });
    const bob = await TextClient.connect(port);
    bob.line('login bob secret');
    await bob.expect(/^Welcome/);
    expect(spy).toHaveBeenCalled();
  });
});
