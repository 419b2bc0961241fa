/**
 * The example bots, run as child processes exactly as the README shows (through tsx), against a
 * test server: they chat with each other and with a bot-API client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { connect } from '../../src/protocol/internal.js';
import { startServer } from '../helpers/server.js';

const bots = new Set<ChildProcess>();
afterEach(() => {
  for (const bot of bots) bot.kill('SIGKILL');
  bots.clear();
});

function startBot(script: string, port: number): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', `scripts/${script}`, '--host', '127.0.0.1', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  bots.add(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

it('the greeter welcomes the echo bot, the echo bot repeats it, and both serve a client', async () => {
  const { port } = await startServer();
  const alice = await connect({ host: '127.0.0.1', port, name: 'alice' });
  const said = (from: string, match: (text: string) => boolean) =>
    alice.waitFor('message', (m) => m.from === from && match(m.text), 15_000);

  const greeter = startBot('greeter-bot.ts', port);
  await alice.waitFor('joined', (m) => m.name === 'greeter', 15_000);

  // The two bots talk to each other: the greeter welcomes the echo bot, which echoes the welcome.
  const welcomeEcho = said('greeter', (t) => t === 'Welcome to #main, echo!');
  const echoOfWelcome = said('echo', (t) => t === 'greeter said: Welcome to #main, echo!');
  const echo = startBot('echo-bot.ts', port);
  await welcomeEcho;
  await echoOfWelcome;

  // The echo bot repeats a client; the greeter tells the time.
  const repeated = said('echo', (t) => t === 'alice said: hello bots');
  alice.say('hello bots');
  await repeated;

  // An action (`/me waves`) comes back as an action, not as a plain line.
  const acted = alice.waitFor('message', (m) => m.from === 'echo' && m.action === true, 15_000);
  alice.me('waves');
  expect(await acted).toMatchObject({ text: 'repeats: alice waves', action: true });

  const time = said('greeter', (t) => t.startsWith('alice: the time is '));
  alice.say('!time');
  const iso = (await time).text.slice('alice: the time is '.length);
  expect(new Date(iso).toISOString()).toBe(iso);

  // A private message to the echo bot comes back privately.
  const reply = alice.waitFor('private', (m) => m.from === 'echo', 15_000);
  alice.msg('echo', 'just between us');
  expect((await reply).text).toBe('you said: just between us');

  // Someone new arrives and is greeted.
  const greeted = said('greeter', (t) => t === 'Welcome to #main, bob!');
  const bob = await connect({ host: '127.0.0.1', port, name: 'bob' });
  await greeted;

  // On SIGTERM each bot logs out cleanly and exits 0.
  const echoLeft = alice.waitFor('left', (m) => m.name === 'echo' && m.reason === 'logout', 15_000);
  echo.child.kill('SIGTERM');
  await echoLeft;
  expect(await echo.exited).toBe(0);
  greeter.child.kill('SIGTERM');
  expect(await greeter.exited).toBe(0);
  expect(greeter.output()).toContain('greeter-bot: logged in as greeter in #main');

  await bob.close();
  await alice.close();
});

it('a bot exits 1 with one line saying why when its name is taken', async () => {
  const { port } = await startServer();
  const squatter = await connect({ host: '127.0.0.1', port, name: 'echo' });
  const echo = startBot('echo-bot.ts', port);
  expect(await echo.exited).toBe(1);
  expect(echo.output().trim()).toMatch(/^echo-bot: The name "echo" is taken\.$/);
  await squatter.close();
});

it('the greeter survives a server restart: it logs in again and greets newcomers', async () => {
  const first = await startServer();
  const port = first.port;
  const alice = await connect({ host: '127.0.0.1', port, name: 'alice' });
  const greeter = startBot('greeter-bot.ts', port);
  await alice.waitFor('joined', (m) => m.name === 'greeter', 15_000);
  const greeted = alice.waitFor('message', (m) => m.from === 'greeter' && m.text === 'Welcome to #main, bob!', 15_000);
  const bob = await connect({ host: '127.0.0.1', port, name: 'bob' });
  await greeted;
  bob.destroy();
  alice.destroy();

  // The server goes away (telling its clients it is shutting down) and comes back on the same port.
  await first.stop();
  await startServer({ port });
  const watcher = await connect({ host: '127.0.0.1', port, name: 'watcher' });
  const back = watcher.waitFor('joined', (m) => m.name === 'greeter', 30_000);
  if (!(await watcher.who()).users.includes('greeter')) await back;

  const carol = watcher.waitFor('message', (m) => m.from === 'greeter' && m.text === 'Welcome to #main, carol!', 15_000);
  const newcomer = await connect({ host: '127.0.0.1', port, name: 'carol' });
  await carol;
  expect(greeter.child.exitCode).toBeNull();
  expect(greeter.output()).toMatch(/greeter-bot: disconnected \(.*\); reconnecting\n/);
  expect(greeter.output().match(/greeter-bot: logged in as greeter in #main/g)).toHaveLength(2);

  greeter.child.kill('SIGTERM');
  expect(await greeter.exited).toBe(0);
  newcomer.destroy();
  watcher.destroy();
}, 60_000);
