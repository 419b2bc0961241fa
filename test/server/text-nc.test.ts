/**
 * The acceptance check, with the real tool: a person running `nc 127.0.0.1 PORT` chats
 * with a user of the bot API (the transport chat-client uses), both ways, and who, look, msg,
 * nick, join and logout work from nc.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src/protocol/internal.js';
import { startServer } from '../helpers/server.js';

// CI installs netcat-openbsd (.ci/run); a developer machine without nc skips this one file's test.
const hasNc = spawnSync('sh', ['-c', 'command -v nc'], { encoding: 'utf8' }).status === 0;

const children: ChildProcessWithoutNullStreams[] = [];
const connections: Connection[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const c of connections.splice(0)) c.destroy();
});

/** `nc` as a child process: type lines into its stdin, wait for lines on its stdout. */
function netcat(
  port: number,
  flags: string[] = [],
): {
  type(line: string): void;
  /** End of input, as Ctrl-D. */
  end(): void;
  expect(line: string | RegExp): Promise<string>;
  exited: Promise<number | null>;
} {
  const child = spawn('nc', [...flags, '127.0.0.1', String(port)], { stdio: 'pipe' });
  children.push(child);
  const lines: string[] = [];
  let partial = '';
  let cursor = 0;
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    const parts = (partial + text).split('\r\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    type: (line) => child.stdin.write(`${line}\n`),
    end: () => child.stdin.end(),
    expect: (pattern) =>
      new Promise((resolve, reject) => {
        const test = (l: string): boolean => (typeof pattern === 'string' ? l === pattern : pattern.test(l));
        const check = (): boolean => {
          for (let i = cursor; i < lines.length; i++) {
            if (test(lines[i]!)) {
              cursor = i + 1;
              waiters.delete(check);
              clearTimeout(timer);
              resolve(lines[i]!);
              return true;
            }
          }
          return false;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`nc: no line ${String(pattern)}; last lines: ${JSON.stringify(lines.slice(-5))}`));
        }, 5_000);
        if (!check()) waiters.add(check);
      }),
    exited,
  };
}

describe('nc as a text client', () => {
  it.skipIf(!hasNc)('chats with a bot-API user both ways, and who/look/msg/nick/join/logout work', async () => {
    const { port } = await startServer();
    const alice = await connect({ host: '127.0.0.1', port, name: 'alice' });
    connections.push(alice);
    const nc = netcat(port);

    // waitFor() sees only later messages, so each wait starts before the line that causes it.
    const joined = alice.waitFor('joined', (m) => m.name === 'bob');
    nc.type('login bob');
    await nc.expect(/^Welcome to test, bob! You are in #main with 2 users: alice, bob\./);
    await joined;

    const said = alice.waitFor('message', (m) => m.from === 'bob');
    nc.type('hello');
    expect(await said).toMatchObject({ text: 'hello' });
    alice.say('hi bob');
    await nc.expect('alice: hi bob');

    nc.type('who');
    await nc.expect('Online (2): alice, bob');
    nc.type('look');
    await nc.expect('Room #main (2): alice, bob');
    const whispered = alice.waitFor('private');
    nc.type('msg alice just between us');
    expect(await whispered).toMatchObject({ from: 'bob', text: 'just between us' });
    alice.msg('bob', 'noted');
    await nc.expect('alice: (private) noted');

    const renamed = alice.waitFor('renamed', (m) => m.to === 'robert');
    nc.type('nick robert');
    await nc.expect('bob is now known as robert.');
    await renamed;

    nc.type('join #quiet');
    await nc.expect('Room #quiet (1): robert');
    await alice.join('#quiet');
    // In two rooms now, so text mode names the room of each line.
    await nc.expect('[#quiet] alice has entered the room.');

    const left = alice.waitFor('left', (m) => m.name === 'robert' && m.room === '#main');
    nc.type('logout');
    await nc.expect('Goodbye.');
    expect(await left).toMatchObject({ reason: 'logout', clients: 1 });
    // OpenBSD nc exits once both its input and the connection have ended, so with input ended
    // it exits only if the server really closed the connection.
    nc.end();
    expect(await nc.exited).toBe(0);
  });

  it.skipIf(!hasNc)('with -N (as the help says), Ctrl-D alone ends the session on both sides', async () => {
    const { port, server } = await startServer();
    const alice = await connect({ host: '127.0.0.1', port, name: 'alice' });
    connections.push(alice);
    const nc = netcat(port, ['-N']);
    nc.type('login bob');
    await nc.expect(/^Welcome to test, bob!/);
    const left = alice.waitFor('left', (m) => m.name === 'bob');
    nc.end();
    expect(await left).toMatchObject({ reason: 'disconnect' });
    expect(await nc.exited).toBe(0);
    expect(server.users.get('bob')).toBeUndefined();
  });
});
