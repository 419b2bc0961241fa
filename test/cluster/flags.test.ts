/** The cluster's flags on the built binary: mistakes are refused at once with one clear line. */
import { expect, it } from 'vitest';
import { runServerBinary } from '../helpers/server-binary.js';

it.each<[string, string[], number, RegExp]>([
  ['--redis without --database', ['--redis', 'redis://127.0.0.1:1'], 2, /--redis needs --database/],
  ['--redis that is not a URL', ['--redis', 'localhost:6379', '--database', 'postgres://x@127.0.0.1/x'], 2, /--redis must be a URL/],
  ['--database that is not a connection string', ['--database', 'framechat'], 2, /--database must be a connection string/],
  [
    'a --node-id with a space',
    ['--redis', 'redis://127.0.0.1:1', '--database', 'postgres://x@127.0.0.1/x', '--node-id', 'a b'],
    2,
    /--node-id is 1 to 64/,
  ],
  ['--node-id without --redis', ['--node-id', 'n1'], 2, /--node-id needs --redis/],
  ['a database nobody listens on', ['--database', 'postgres://x@127.0.0.1:1/x'], 1, /cannot reach the database/],
])('refuses %s', async (_what, args, status, message) => {
  const r = await runServerBinary(['start', '--host', '127.0.0.1', '--port', '0', ...args]);
  expect(r.status).toBe(status);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n.*\n.*\n.*\n/); // a line or two, not a stack
});
