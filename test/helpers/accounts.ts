/**
 * What the account tests share: cheap hashes, one password, a hello that reports its answer, and
 * a user that registers itself.
 */
import { RawClient } from './raw.js';

/** scrypt parameters small enough for tests that hash many times (the defaults cost ~70 ms a hash). */
export const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1, keylen: 32 };

export const PASSWORD = 'correct horse battery';

/** Send `hello` on a new connection; resolves with the client and its answer (welcome or error). */
export async function helloOn(
  port: number,
  message: Record<string, unknown>,
): Promise<{ client: RawClient; answer: Record<string, unknown> }> {
  const client = await RawClient.connect(port);
  client.send({ type: 'hello', ...message });
  const answer = await client.next(undefined, (m) => m.type === 'welcome' || m.type === 'error');
  return { client, answer };
}

/** The answer to a `hello` on a connection of its own, closed after. */
export async function hello(port: number, message: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { client, answer } = await helloOn(port, message);
  client.close();
  return answer;
}

/** `name` logged in and registered with `password`: an account now, logged in to it. */
export async function registered(port: number, name: string, password = PASSWORD, extra: Record<string, unknown> = {}): Promise<RawClient> {
  const c = await RawClient.login(port, name, extra);
  c.send({ type: 'register', password });
  await c.next('registered');
  return c;
}
