/**
 * Greeter bot: welcomes everyone who enters its room and answers `!time` with the server's clock.
 * It outlives a server restart: when the connection drops it logs in again, waiting longer after
 * each failed try (capped, with jitter), and goes back to its room.
 *
 *   npx tsx scripts/greeter-bot.ts --port 5005 [--host localhost] [--name greeter] [--room '#main']
 *
 * It uses only the public bot API. In this repository that is src/protocol/index.ts; in a project
 * that depends on framechat, write `import { connect } from 'framechat'` instead.
 */
import { parseArgs } from 'node:util';
import { connect, ServerError, type Connection } from '../src/protocol/index.js';

const { values: flags } = parseArgs({
  options: {
    host: { type: 'string', default: 'localhost' },
    port: { type: 'string', default: '5005' },
    name: { type: 'string', default: 'greeter' },
    room: { type: 'string' },
    password: { type: 'string' },
  },
});

/** Refusals that trying again cannot fix. (A taken name can be the old session not yet gone.) */
const FATAL = new Set(['auth_failed', 'bad_name']);

let chat: Connection | undefined;
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopping = true;
    if (chat) void chat.close();
    else process.exit(0);
  });
}

/** Log in and go to our room. */
async function login(): Promise<Connection> {
  const conn = await connect({
    host: flags.host,
    port: Number(flags.port),
    name: flags.name,
    password: flags.password,
    client: 'greeter-bot/1',
  });
  if (flags.room !== undefined) await conn.join(flags.room);
  console.log(`greeter-bot: logged in as ${conn.name} in ${conn.room}`);
  return conn;
}

/** Wait before try `attempt` (0, 1, ...): between half and all of min(30 s, 0.5 s × 2^attempt). */
function backoff(attempt: number): Promise<void> {
  const cap = Math.min(30_000, 500 * 2 ** Math.min(attempt, 16));
  return new Promise((resolve) => setTimeout(resolve, cap / 2 + Math.random() * (cap / 2)));
}

/** After a drop: log in again until it works; undefined once we are stopping. */
async function relogin(): Promise<Connection | undefined> {
  for (let attempt = 0; !stopping; attempt++) {
    await backoff(attempt);
    if (stopping) break;
    try {
      return await login();
    } catch (err) {
      if (err instanceof ServerError && FATAL.has(err.code)) {
        console.error(`greeter-bot: ${err.message}`);
        process.exit(1);
      }
      console.log(`greeter-bot: ${(err as Error).message}; trying again`);
    }
  }
  return undefined;
}

// The first login must work: a wrong host, port or password is better told at once.
let conn: Connection | undefined = await login().catch((err: Error) => {
  console.error(`greeter-bot: ${err.message}`);
  process.exit(1);
});
while (conn) {
  chat = conn;
  try {
    for await (const m of conn) {
      // `joined` comes for others entering one of our rooms (never for ourselves); answer in that room.
      if (m.type === 'joined') conn.say(`Welcome to ${m.room}, ${m.name}!`, { room: m.room });
      // m.ts is the server's clock when it relayed the question.
      if (m.type === 'message' && m.text.trim() === '!time')
        conn.say(`${m.from}: the time is ${new Date(m.ts).toISOString()}`, { room: m.room });
    }
  } catch {
    // The iteration throws when the connection broke (rather than closed); closed() says why.
  }
  chat = undefined;
  if (stopping) break;
  const why = await conn.closed();
  console.log(`greeter-bot: disconnected (${why?.message ?? 'the server closed the connection'}); reconnecting`);
  conn = await relogin();
}
console.log('greeter-bot: disconnected');
