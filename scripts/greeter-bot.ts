/**
 * Greeter bot: welcomes everyone who enters its room and answers `!time` with the server's clock.
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

const chat = await connect({ host: flags.host, port: Number(flags.port), name: flags.name, password: flags.password, client: 'greeter-bot/1' }).catch(
  (err: Error) => {
    console.error(`greeter-bot: ${err.message}`);
    process.exit(1);
  },
);
if (flags.room !== undefined) await chat.join(flags.room);
console.log(`greeter-bot: logged in as ${chat.name} in ${chat.room}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void chat.close());

for await (const m of chat) {
  // `joined` comes for others entering our room (never for ourselves).
  if (m.type === 'joined') chat.say(`Welcome to ${m.room}, ${m.name}!`);
  // m.ts is the server's clock when it relayed the question.
  if (m.type === 'message' && m.text.trim() === '!time') chat.say(`${m.from}: the time is ${new Date(m.ts).toISOString()}`);
}
console.log('greeter-bot: disconnected');
