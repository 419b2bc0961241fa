/**
 * Greeter bot: welcomes everyone who enters its room and answers `!time` with the server's clock.
 * It outlives a server restart: `connect({ reconnect: true })` logs in again by itself when the
 * connection drops (waiting longer after each failed try, capped, with jitter) and goes back to
 * every room it was in; the `for await` loop simply goes on.
 *
 *   npx tsx scripts/greeter-bot.ts --port 5005 [--host localhost] [--name greeter] [--room '#main']
 *
 * It uses only the public bot API. In this repository that is src/protocol/index.ts; in a project
 * that depends on framechat, write `import { connect } from 'framechat'` instead.
 */
import { parseArgs } from 'node:util';
import { connect } from '../src/protocol/index.js';

const { values: flags } = parseArgs({
  options: {
    host: { type: 'string', default: 'localhost' },
    port: { type: 'string', default: '5005' },
    name: { type: 'string', default: 'greeter' },
    room: { type: 'string' },
    password: { type: 'string' },
  },
});

// The first login must work: a wrong host, port or password is better told at once. Later drops
// are retried (a refused password or name after a restart ends the bot: closed() says why).
const chat = await connect({
  host: flags.host,
  port: Number(flags.port),
  name: flags.name,
  password: flags.password,
  client: 'greeter-bot/1',
  reconnect: true,
}).catch((err: Error) => {
  console.error(`greeter-bot: ${err.message}`);
  process.exit(1);
});
if (flags.room !== undefined) await chat.join(flags.room);
console.log(`greeter-bot: logged in as ${chat.name} in ${chat.room}`);
chat.on('disconnected', (why) => console.log(`greeter-bot: disconnected (${why.message}); reconnecting`));
chat.on('reconnecting', ({ attempt, error }) => {
  if (attempt > 1) console.log(`greeter-bot: ${error.message}; trying again`);
});
chat.on('reconnected', () => console.log(`greeter-bot: logged in as ${chat.name} in ${chat.room}`));

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void chat.close());

try {
  for await (const m of chat) {
    // `joined` comes for others entering one of our rooms (never for ourselves); answer in that room.
    // What was said while we were away comes in `history` and is not answered.
    if (m.type === 'joined') chat.say(`Welcome to ${m.room}, ${m.name}!`, { room: m.room });
    // m.ts is the server's clock when it relayed the question.
    if (m.type === 'message' && m.text.trim() === '!time')
      chat.say(`${m.from}: the time is ${new Date(m.ts).toISOString()}`, { room: m.room });
  }
} catch {
  // The iteration throws when the connection ended with an error; closed() says which.
}
const why = await chat.closed();
if (why !== undefined) {
  console.error(`greeter-bot: ${why.message}`);
  process.exit(1);
}
console.log('greeter-bot: disconnected');
