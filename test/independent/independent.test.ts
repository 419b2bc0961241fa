/**
 * The independent client (written only from docs/PROTOCOL.md) against a real server: it logs in,
 * chats with a bot-API client, and provokes every error code the document lists. What it expects
 * of the server (fields, whether the connection stays) is read from the document, not the code.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { connect } from '../../src/protocol/internal.js';
import type { ServerConfig } from '../../src/server/config.js';
import { startClockedServer, startServer } from '../helpers/server.js';
import { IndependentClient, type Message } from './client.js';

const doc = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8');

/** Rows of the document's error table: code → what it says about the connection. */
function documentedErrors(): Map<string, string[]> {
  const table = doc.slice(doc.indexOf('## Error codes'));
  const rows = new Map<string, string[]>();
  for (const line of table.split('\n')) {
    const cells = /^\| `(\w+)` \| .* \| (.+) \|$/.exec(line);
    if (cells) rows.set(cells[1]!, [...(rows.get(cells[1]!) ?? []), cells[2]!]);
  }
  return rows;
}

/** The connection is still served: a ping comes back as a pong with its token. */
async function expectStays(client: IndependentClient): Promise<void> {
  client.send({ type: 'ping', token: 'still-there' });
  await client.next((m) => m.type === 'pong' && m.token === 'still-there');
  expect(client.closed).toBe(false);
}

function header(length: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(length, 0);
  return h;
}

describe('an independent client written from docs/PROTOCOL.md', () => {
  it('imports nothing but node:net and another MessagePack library', () => {
    const source = readFileSync(new URL('./client.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports.sort()).toEqual(['@msgpack/msgpack', 'node:net']);
  });

  it('logs in, chats with a bot-API client, and uses every request', async () => {
    const { port } = await startServer({ name: 'indie', motd: 'welcome, independents' });
    const bot = await connect({ host: '127.0.0.1', port, name: 'bot' });
    // waitFor() sees only later messages, and the bot's joined goes out with indie's welcome.
    const joining = bot.waitFor('joined');
    const { client: indie, welcome } = await IndependentClient.login(port, 'indie', { client: 'indie/0.1' });

    expect(welcome).toMatchObject({
      type: 'welcome',
      protocol: 2,
      server: 'indie',
      you: 'indie',
      clients: 2,
      maxFrame: 65536,
      motd: 'welcome, independents',
    });
    expect(welcome.limits).toEqual({ maxRooms: 20, historyLimit: 200, text: 4096, topic: 512 });
    expect(welcome.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(welcome.rooms).toEqual([{ room: '#main', topic: '', users: ['bot', 'indie'] }]);
    const joined = await joining;
    expect(joined).toMatchObject({ name: 'indie', room: '#main', clients: 2 });
    expect(joined).not.toHaveProperty('host'); // version 2: no addresses for ordinary users

    // Room chat both ways.
    const heardByBot = bot.waitFor('message', (m) => m.from === 'indie');
    indie.send({ type: 'say', text: 'hello from outside 小明' });
    expect(await heardByBot).toMatchObject({ text: 'hello from outside 小明', room: '#main' });
    bot.me('waves');
    const action = await indie.next((m) => m.type === 'message' && m.from === 'bot');
    expect(action).toMatchObject({ text: 'waves', action: true, room: '#main' });
    expect(typeof action.id).toBe('number');
    expect(typeof action.ts).toBe('number');

    // Private messages both ways share one id between the two copies.
    indie.send({ type: 'msg', to: 'BOT', text: 'psst' });
    const toBot = await bot.waitFor('private');
    const copy = await indie.nextOf('private');
    expect(copy).toEqual({ type: 'private', id: toBot.id, ts: toBot.ts, from: 'indie', to: 'bot', text: 'psst' });

    indie.send({ type: 'who' });
    expect(await indie.nextOf('users')).toMatchObject({ clients: 2 });
    indie.send({ type: 'look' });
    expect(await indie.nextOf('room')).toMatchObject({ room: '#main' });

    // join folds the room to lower case and adds it; say names its room; part leaves one.
    indie.send({ type: 'join', room: '#Indie' });
    expect(await indie.nextOf('room')).toEqual({ type: 'room', room: '#indie', topic: '', users: ['indie'] });
    indie.send({ type: 'topic', room: '#indie', text: 'outside voices' });
    expect(await indie.nextOf('topic')).toMatchObject({ room: '#indie', text: 'outside voices', by: 'indie' });
    indie.send({ type: 'rooms' });
    const rooms = (await indie.nextOf('rooms')).rooms as Message[];
    expect(rooms).toEqual([
      { room: '#indie', users: 1, topic: 'outside voices' },
      { room: '#main', users: 2, topic: '' },
    ]);
    indie.send({ type: 'say', room: '#main', text: 'still here' });
    expect(await bot.waitFor('message', (m) => m.text === 'still here')).toMatchObject({ room: '#main' });

    const renamed = bot.waitFor('renamed');
    indie.send({ type: 'nick', name: 'outsider' });
    expect(await indie.nextOf('renamed')).toMatchObject({ from: 'indie', to: 'outsider' });
    expect(await renamed).toMatchObject({ from: 'indie', to: 'outsider' });
    const parted = bot.waitFor('left');
    indie.send({ type: 'part', room: '#main', reason: 'off to #indie' });
    expect(await indie.nextOf('left')).toMatchObject({ name: 'outsider', room: '#main', reason: 'part', text: 'off to #indie' });
    expect(await parted).toMatchObject({ name: 'outsider', reason: 'part', room: '#main', text: 'off to #indie' });

    indie.send({ type: 'ping', token: 1_795_449_659_533 });
    expect(await indie.nextOf('pong')).toEqual({ type: 'pong', token: 1_795_449_659_533 });

    const farewell = bot.waitFor('private', (m) => m.from === 'outsider');
    indie.send({ type: 'msg', to: 'bot', text: 'bye for now' });
    await farewell;
    indie.send({ type: 'logout', reason: 'done' });
    expect(await indie.nextOf('bye')).toEqual({ type: 'bye', reason: 'logout' });
    await indie.waitClosed();
    await bot.close();
  });

  it('answers server pings as the document says, and so stays connected', async () => {
    const clocked = await startClockedServer({ pingInterval: 30_000, pingTimeout: 30_000 });
    const { client } = await IndependentClient.login(clocked.port, 'pinged');
    // Two pings: the second comes only if the pong to the first kept us in (else: timeout).
    clocked.advance(30_000);
    await client.nextOf('ping');
    await clocked.handled('pong');
    clocked.advance(30_000);
    await client.nextOf('ping');
    expect(client.closed).toBe(false);
    client.send({ type: 'who' });
    expect((await client.nextOf('users')).users).toEqual(['pinged']);
  });

  it('talks to a text-mode user in the same room', async () => {
    const { port } = await startServer();
    const { client: indie } = await IndependentClient.login(port, 'indie');
    const telnet = net.connect({ port, host: '127.0.0.1' });
    let text = '';
    telnet.setEncoding('utf8');
    telnet.on('data', (s: string) => (text += s));
    const seen = async (line: string): Promise<void> => {
      for (let i = 0; i < 200 && !text.includes(`${line}\r\n`); i++) await new Promise((r) => setTimeout(r, 25));
      expect(text).toContain(`${line}\r\n`);
    };
    telnet.write('login tom\r\n');
    await seen('Welcome to test, tom! You are in #main with 2 users: indie, tom. Type "help" for commands.');
    indie.send({ type: 'say', text: 'hi tom' });
    await seen('indie: hi tom');
    telnet.write('hi indie\r\n');
    expect(await indie.next((m) => m.type === 'message' && m.from === 'tom')).toMatchObject({ text: 'hi indie' });
    telnet.write('join rust\r\n');
    await seen('Room #rust (1): tom');
    telnet.destroy();
  });
});

interface Scenario {
  what: string;
  code: string;
  closes: boolean;
  config?: Partial<ServerConfig>;
  /** Run the server on a manual clock (see startClockedServer); provoke() may then move it. */
  clocked?: boolean;
  /** Provoke the error; resolves with the client that should receive it. */
  provoke(port: number, advance: (ms: number) => void): Promise<IndependentClient>;
}

const loggedIn = async (port: number, name = 'indie'): Promise<IndependentClient> => (await IndependentClient.login(port, name)).client;
const opened = (port: number): Promise<IndependentClient> => IndependentClient.open(port);

/** `name` registers (and so reserves) itself, then logs out: the name is free but an account. */
async function registeredAndGone(port: number, name: string): Promise<void> {
  const c = await loggedIn(port, name);
  c.send({ type: 'register', password: 'correct horse' });
  await c.nextOf('registered');
  c.send({ type: 'logout' });
  await c.waitClosed();
}

/** `name` (an operator in the scenario's config) registered and so logged in to its account. */
async function operator(port: number, name = 'op'): Promise<IndependentClient> {
  const c = await loggedIn(port, name);
  c.send({ type: 'register', password: 'correct horse' });
  await c.nextOf('registered');
  return c;
}

const SCENARIOS: Scenario[] = [
  {
    what: 'a payload that is an array, not a map',
    code: 'bad_frame',
    closes: false,
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.sendBytes(IndependentClient.frame(['type', 'who']));
      return c;
    },
  },
  {
    what: 'a frame header declaring length 0',
    code: 'bad_frame',
    closes: true,
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.sendBytes(header(0));
      return c;
    },
  },
  {
    what: 'a header declaring more than maxFrame (100 on this server)',
    code: 'frame_too_large',
    closes: true,
    config: { maxFrame: 100 },
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.sendBytes(header(101));
      return c;
    },
  },
  {
    what: 'a type the server does not know',
    code: 'unknown_type',
    closes: false,
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.send({ type: 'teleport', to: '#moon' });
      return c;
    },
  },
  {
    what: 'an action that is not a boolean',
    code: 'bad_request',
    closes: false,
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.send({ type: 'say', text: 'hi', action: 'yes' });
      return c;
    },
  },
  {
    what: 'who before hello',
    code: 'not_logged_in',
    closes: false,
    provoke: async (port) => {
      const c = await opened(port);
      c.send({ type: 'who' });
      return c;
    },
  },
  // ---- accounts ----
  {
    what: 'hello without auth to a name registered by someone who has since left it',
    code: 'name_reserved',
    closes: false,
    provoke: async (port) => {
      await registeredAndGone(port, 'owner');
      const c = await opened(port);
      c.send({ type: 'hello', name: 'owner' });
      return c;
    },
  },
  {
    what: 'hello.auth with the wrong password',
    code: 'login_failed',
    closes: false,
    provoke: async (port) => {
      await registeredAndGone(port, 'owner');
      const c = await opened(port);
      c.send({ type: 'hello', name: 'owner', auth: { password: 'not the password' } });
      return c;
    },
  },
  {
    what: 'a second wrong password where the account allows one failure',
    code: 'login_throttled',
    closes: false,
    config: { loginThrottle: { address: { burst: 20, refillMs: 3_000 }, account: { burst: 1, refillMs: 600_000 }, maxKeys: 100 } },
    provoke: async (port) => {
      await registeredAndGone(port, 'owner');
      const first = await opened(port);
      first.send({ type: 'hello', name: 'owner', auth: { password: 'guess number one' } });
      expect(await first.next((m) => m.type === 'error')).toMatchObject({ code: 'login_failed' });
      const c = await opened(port);
      c.send({ type: 'hello', name: 'owner', auth: { password: 'guess number two' } });
      return c;
    },
  },
  {
    what: 'a guest hello on a server that requires accounts',
    code: 'account_required',
    closes: false,
    config: { requireAccount: true },
    provoke: async (port) => {
      const c = await opened(port);
      c.send({ type: 'hello', name: 'guest' });
      return c;
    },
  },
  {
    what: 'register while logged in to an account already',
    code: 'name_registered',
    closes: false,
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.send({ type: 'register', password: 'correct horse' });
      await c.nextOf('registered');
      c.send({ type: 'register', password: 'correct horse' });
      return c;
    },
  },
  {
    what: 'register on a server whose registration is closed',
    code: 'registration_closed',
    closes: false,
    config: { registration: 'closed' },
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.send({ type: 'register', password: 'correct horse' });
      return c;
    },
  },
  {
    what: 'register with a password of five characters',
    code: 'weak_password',
    closes: false,
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.send({ type: 'register', password: 'short' });
      return c;
    },
  },
  {
    what: 'passwd by a guest',
    code: 'no_account',
    closes: false,
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.send({ type: 'passwd', old: 'correct horse', new: 'battery staple' });
      return c;
    },
  },
  {
    what: 'register while another password is being hashed, on a server that hashes one at a time and queues none',
    code: 'server_busy',
    closes: false,
    // A slow hash (N 2^14, p 16: about half a second) keeps the one slot busy while the second asks.
    config: { hashConcurrency: 1, hashQueue: 0, scrypt: { N: 16_384, r: 8, p: 16, keylen: 32 } },
    provoke: async (port) => {
      const busy = await loggedIn(port, 'first');
      const c = await loggedIn(port, 'second');
      busy.send({ type: 'register', password: 'correct horse' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      c.send({ type: 'register', password: 'correct horse' });
      return c;
    },
  },
  // ---- end accounts ----
  // ---- moderation ----
  {
    what: 'kick by a guest',
    code: 'not_operator',
    closes: false,
    provoke: async (port) => {
      await loggedIn(port, 'bob');
      const c = await loggedIn(port);
      c.send({ type: 'kick', name: 'bob', room: '#main' });
      return c;
    },
  },
  {
    what: 'hello with a name an operator banned from the server',
    code: 'banned',
    closes: true,
    config: { operators: ['op'] },
    provoke: async (port) => {
      const op = await operator(port);
      op.send({ type: 'ban', name: 'troll', reason: 'spam' });
      await op.nextOf('moderated');
      const c = await opened(port);
      c.send({ type: 'hello', name: 'troll' });
      return c;
    },
  },
  {
    what: 'join of a room an operator banned you from',
    code: 'banned',
    closes: false,
    config: { operators: ['op'] },
    provoke: async (port) => {
      const op = await operator(port);
      op.send({ type: 'ban', name: 'indie', room: '#rust' });
      await op.nextOf('moderated');
      const c = await loggedIn(port);
      c.send({ type: 'join', room: '#rust' });
      return c;
    },
  },
  {
    what: 'say while muted in the room',
    code: 'muted',
    closes: false,
    config: { operators: ['op'] },
    provoke: async (port) => {
      const op = await operator(port);
      const c = await loggedIn(port);
      op.send({ type: 'mute', room: '#main', name: 'indie', duration: 60 });
      await op.nextOf('moderated');
      c.send({ type: 'say', room: '#main', text: 'can you hear me?' });
      return c;
    },
  },
  {
    what: 'unban of a name nobody banned',
    code: 'no_such_ban',
    closes: false,
    config: { operators: ['indie'] },
    provoke: async (port) => {
      const c = await operator(port, 'indie');
      c.send({ type: 'unban', name: 'nobody' });
      return c;
    },
  },
  // ---- end moderation ----
  {
    what: 'a second hello',
    code: 'already_logged_in',
    closes: false,
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.send({ type: 'hello', name: 'again' });
      return c;
    },
  },
  {
    what: 'hello with a name someone has, in another case',
    code: 'name_taken',
    closes: false,
    provoke: async (port) => {
      await loggedIn(port, 'taken');
      const c = await opened(port);
      c.send({ type: 'hello', name: 'TAKEN' });
      return c;
    },
  },
  {
    what: 'hello with a 33-character name',
    code: 'bad_name',
    closes: false,
    provoke: async (port) => {
      const c = await opened(port);
      c.send({ type: 'hello', name: 'n'.repeat(33) });
      return c;
    },
  },
  {
    what: 'join without "#"',
    code: 'bad_room',
    closes: false,
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.send({ type: 'join', room: 'rust' });
      return c;
    },
  },
  {
    what: 'text with a newline',
    code: 'bad_text',
    closes: false,
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.send({ type: 'say', text: 'two\nlines' });
      return c;
    },
  },
  {
    what: 'text of 4097 UTF-8 bytes',
    code: 'text_too_long',
    closes: false,
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.send({ type: 'say', text: '字'.repeat(1365) + 'ab' });
      return c;
    },
  },
  {
    what: 'msg to nobody',
    code: 'no_such_user',
    closes: false,
    provoke: async (port) => {
      const c = await loggedIn(port);
      c.send({ type: 'msg', to: 'nobody', text: 'hello?' });
      return c;
    },
  },
  {
    what: 'say to a room one is not in',
    code: 'not_in_room',
    closes: false,
    provoke: async (port) => {
      const c = await loggedIn(port, 'outsider');
      c.send({ type: 'say', room: '#elsewhere', text: 'hi' });
      return c;
    },
  },
  {
    what: 'a join past the per-user room limit (1)',
    code: 'too_many_rooms',
    closes: false,
    config: { maxRoomsPerUser: 1 },
    provoke: async (port) => {
      const c = await loggedIn(port, 'joiner');
      c.send({ type: 'join', room: '#second' });
      return c;
    },
  },
  {
    what: 'hello without the server password',
    code: 'auth_failed',
    closes: true,
    config: { password: 's3cret' },
    provoke: async (port) => {
      const c = await opened(port);
      c.send({ type: 'hello', name: 'indie', password: 'guess' });
      return c;
    },
  },
  {
    what: 'frames faster than the rate limit (1/s, burst 2)',
    code: 'rate_limited',
    closes: false,
    config: { rate: 1, burst: 2 },
    provoke: async (port) => {
      const c = await opened(port);
      for (let i = 0; i < 3; i++) c.send({ type: 'ping', token: i });
      return c;
    },
  },
  {
    what: 'hello on a full server (max 1 user)',
    code: 'server_full',
    closes: true,
    config: { maxClients: 1 },
    provoke: async (port) => {
      await loggedIn(port, 'first');
      const c = await opened(port);
      c.send({ type: 'hello', name: 'second' });
      return c;
    },
  },
  {
    what: 'a second connection from one address (max 1)',
    code: 'too_many_connections',
    closes: true,
    config: { maxConnsPerIp: 1, exemptLoopback: false },
    provoke: async (port) => {
      await loggedIn(port, 'first');
      const c = await opened(port);
      c.send({ type: 'hello', name: 'second' });
      return c;
    },
  },
  {
    what: 'no hello within the login timeout',
    code: 'login_timeout',
    closes: true,
    config: { loginTimeout: 10_000 },
    clocked: true,
    provoke: async (port, advance) => {
      const c = await opened(port);
      c.send({ type: 'ping', token: 'first' }); // the first byte, 0x00, makes the connection framed
      await c.next((m) => m.type === 'pong' && m.token === 'first');
      advance(10_000);
      return c;
    },
  },
];

describe('every error code in docs/PROTOCOL.md', () => {
  it('has a scenario here, except internal_error (which only a server bug sends)', () => {
    const documented = [...documentedErrors().keys()].filter((c) => c !== 'internal_error').sort();
    expect([...new Set(SCENARIOS.map((s) => s.code))].sort()).toEqual(documented);
  });

  it.each(SCENARIOS.map((s) => [s.code, s.what, s] as const))('%s: %s', async (code, _what, scenario) => {
    const connection = documentedErrors().get(code)!;
    // The document says whether this error keeps the connection; the scenario must agree with it.
    expect(connection.some((c) => c.startsWith(scenario.closes ? 'closes' : 'stays'))).toBe(true);

    const noClock = (): never => {
      throw new Error('this scenario needs `clocked: true`');
    };
    const { port, advance } = scenario.clocked
      ? await startClockedServer(scenario.config)
      : { ...(await startServer(scenario.config)), advance: noClock };
    const client = await scenario.provoke(port, advance);
    const error = await client.next((m) => m.type === 'error', 5_000);
    expect(error).toMatchObject({ type: 'error', code });
    expect(typeof error.message).toBe('string');
    if (scenario.closes) await client.waitClosed();
    else if (code === 'rate_limited') expect(client.closed).toBe(false);
    else await expectStays(client);
  });
});
