/**
 * Echo bot: repeats what people say in its room (an action, `/me waves`, as an action), and
 * answers private messages privately.
 *
 *   npx tsx scripts/echo-bot.ts --port 5005 [--host localhost] [--name echo] [--room '#main']
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
    name: { type: 'string', default: 'echo' },
    room: { type: 'string' },
    password: { type: 'string' },
  },
});

// Another echo bot's reply looks like "x said: ..." (or the action "repeats: ..."); echoing it
// back would never end.
const ECHO = /^\S+ said: /;
const ACTION_ECHO = /^repeats: /;

const chat = await connect({
  host: flags.host,
  port: Number(flags.port),
  name: flags.name,
  password: flags.password,
  client: 'echo-bot/1',
}).catch((err: Error) => {
  console.error(`echo-bot: ${err.message}`);
  process.exit(1);
});
if (flags.room !== undefined) await chat.join(flags.room);
console.log(`echo-bot: logged in as ${chat.name} in ${chat.room}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void chat.close());

for await (const m of chat) {
  if (m.type === 'message' && m.from !== chat.name) {
    // `/me waves` arrives as { text: 'waves', action: true }: "* echo repeats: alice waves".
    if (m.action === true && !ACTION_ECHO.test(m.text)) chat.me(`repeats: ${m.from} ${m.text}`, { room: m.room });
    else if (m.action !== true && !ECHO.test(m.text)) chat.say(`${m.from} said: ${m.text}`, { room: m.room });
  }
  if (m.type === 'private' && m.from !== chat.name) chat.msg(m.from, `you said: ${m.text}`);
}
console.log('echo-bot: disconnected');
