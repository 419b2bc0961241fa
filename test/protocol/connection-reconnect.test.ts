/**
 * connect({ reconnect }) against a real server that stops and starts again on the same port with
 * the same SQLite store: the bot logs in again with its name, its rooms and `since`, and sees
 * every message once, in id order, while another client keeps talking. A TCP relay on 127.0.0.1
 * between bot and server lets a test decide when the bot can get through (and keep its old
 * session alive on the server, so that the name is still taken).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  ConnectionError,
  ServerError,
  type Connection,
  type ConnectOptions,
  type MessageMsg,
  type ReconnectAttempt,
} from '../../src/protocol/internal.js';
import type { ServerConfig } from '../../src/server/config.js';
import { openSqliteStore } from '../../src/server/store/sqlite.js';
import { startServerBinary, tempDataDir } from '../helpers/server-binary.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { errorOf, until } from '../helpers/wait.js';

const HOST = '127.0.0.1';
const FAST = { initialDelayMs: 5, maxDelayMs: 20 };
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** An in-process server with an SQLite file that outlives it: stop() and start() again on the same port. */
async function restartable(config: Partial<ServerConfig> = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'framechat-reconnect-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'framechat.sqlite');
  let current: TestServer = await startServer(config, { store: openSqliteStore(file) });
  const port = current.port;
  return {
    port,
    stop: () => current.stop(),
    start: async (more: Partial<ServerConfig> = {}) => {
      current = await startServer({ ...config, ...more, port }, { store: openSqliteStore(file) });
    },
  };
}

/**
 * A relay to `target`. While shut, new connections are closed at once. cut() drops the bot's side
 * of every relayed connection; with `keepUpstream` the server's side stays open (the server still
 * sees the old session) until release().
 */
async function relay(target: number) {
  let open = true;
  const links = new Set<{ client: net.Socket; upstream: net.Socket; held: boolean }>();
  const server = net.createServer((client) => {
    client.on('error', () => {});
    if (!open) return void client.destroy();
    const upstream = net.connect(target, HOST);
    upstream.on('error', () => {});
    const link = { client, upstream, held: false };
    links.add(link);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => {
      if (!link.held) upstream.destroy();
    });
    upstream.on('close', () => {
      client.destroy();
      links.delete(link);
    });
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  cleanups.push(() => {
    server.close();
    for (const l of links) l.upstream.destroy();
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    shut: () => void (open = false),
    open: () => void (open = true),
    cut: ({ keepUpstream = false } = {}) => {
      for (const l of links) {
        l.held = keepUpstream;
        l.upstream.unpipe(l.client);
        l.upstream.resume();
        l.client.destroy();
      }
    },
    release: () => {
      for (const l of links) l.upstream.destroy();
    },
  };
}

function said(bot: Connection, text: string, room: string): Promise<MessageMsg> {
  return new Promise((resolve, reject) => bot.say(text, { room, done: (err, m) => (err ? reject(err) : resolve(m!)) }));
}

/** What a bot delivered, from the iterator: the ids of each room (live and in history), in order. */
function record(bot: Connection) {
  const ids = new Map<string, number[]>();
  const types: string[] = [];
  const add = (room: string, id: number): void => void (ids.get(room) ?? ids.set(room, []).get(room)!).push(id);
  const done = (async () => {
    for await (const m of bot) {
      types.push(m.type);
      if (m.type === 'message') add(m.room, m.id);
      if (m.type === 'history' && m.room !== undefined) for (const h of m.messages) add(m.room, h.id);
    }
  })().catch((err: unknown) => err);
  return { ids: (room: string) => ids.get(room) ?? [], types, done };
}

function events(bot: Connection) {
  const log: string[] = [];
  const attempts: ReconnectAttempt[] = [];
  bot.on('disconnected', () => log.push('disconnected'));
  bot.on('reconnecting', (a) => {
    attempts.push(a);
    log.push(`reconnecting ${a.attempt}`);
  });
  bot.on('reconnected', () => log.push('reconnected'));
  return { log, attempts };
}

const strictlyIncreasing = (ids: number[]): boolean => ids.every((id, i) => i === 0 || id > ids[i - 1]!);

describe('reconnect across a server restart', () => {
  it('logs in again with its name and rooms, and sees every message once, in id order', async () => {
    // historyLimit 5: what is said while the bot is away takes several catch-up pages.
    const srv = await restartable({ historyLimit: 5, rate: 0 });
    const via = await relay(srv.port);
    const opts: ConnectOptions = { host: HOST, port: via.port, name: 'bot', rooms: ['#main', '#rust'], reconnect: FAST };
    const bot = await connect(opts);
    const got = record(bot);
    const { log } = events(bot);
    const sent: Record<string, number[]> = { '#main': [], '#rust': [] };
    const talk = async (c: Connection, room: string, text: string): Promise<void> => void sent[room]!.push((await said(c, text, room)).id);

    let talker = await connect({ host: HOST, port: srv.port, name: 'talker', rooms: ['#main', '#rust'] });
    for (let i = 0; i < 3; i++) for (const room of ['#main', '#rust']) await talk(talker, room, `before ${i}`);
    await until(
      () => got.ids('#rust').length === 3,
      () => `bot has ${got.ids('#rust')}`,
    );

    via.shut();
    await srv.stop();
    await srv.start();
    talker = await connect({ host: HOST, port: srv.port, name: 'talker', rooms: ['#main', '#rust'] });
    for (let i = 0; i < 12; i++) await talk(talker, '#rust', `away ${i}`);
    for (let i = 0; i < 2; i++) await talk(talker, '#main', `away ${i}`);
    expect(bot.isReconnecting).toBe(true);

    // The talker goes on while the bot comes back: live lines meet the catch-up pages.
    let talking = true;
    const chatter = (async () => {
      for (let i = 0; talking && i < 2_000; i++) await talk(talker, i % 3 === 0 ? '#main' : '#rust', `during ${i}`);
    })();
    via.open();
    await until(
      () => log.includes('reconnected'),
      () => log.join(', '),
    );
    await until(
      () => got.ids('#rust').length >= sent['#rust']!.length - 3,
      () => `${got.ids('#rust').length} of ${sent['#rust']!.length}`,
    );
    talking = false;
    await chatter;
    for (const room of ['#main', '#rust']) await talk(talker, room, 'last');
    await until(
      () => ['#main', '#rust'].every((r) => got.ids(r).at(-1) === sent[r]!.at(-1)),
      () => `main ${got.ids('#main').length}/${sent['#main']!.length}, rust ${got.ids('#rust').length}/${sent['#rust']!.length}`,
    );

    for (const room of ['#main', '#rust']) {
      expect(strictlyIncreasing(got.ids(room)), room).toBe(true);
      expect(got.ids(room), room).toEqual(sent[room]);
    }
    expect(sent['#rust']!.length).toBeGreaterThan(15);
    expect(bot.name).toBe('bot');
    expect(bot.joinedRooms).toEqual(['#main', '#rust']);
    expect((await talker.look('#rust')).users).toContain('bot');
    expect(log[0]).toBe('disconnected');
    expect(log.filter((e) => e === 'reconnected')).toHaveLength(1);
    // The new welcome is on the iterator too, before the catch-up.
    expect(got.types.filter((t) => t === 'welcome')).toHaveLength(1);
    expect(bot.welcome.rooms.map((r) => r.room)).toEqual(['#main', '#rust']);
    await bot.close();
    expect(await got.done).toBeUndefined();
    await talker.close();
  });

  it('keeps trying while its old session still holds the name, and rejects what was waiting', async () => {
    const { port } = await startServer();
    const via = await relay(port);
    const bot = await connect({ host: HOST, port: via.port, name: 'bot', reconnect: FAST });
    const { attempts, log } = events(bot);
    const waiting = bot.look('#main');
    // The look is written after this: it never reaches the server. The server still sees bot.
    via.cut({ keepUpstream: true });
    const refused = await errorOf(waiting);
    expect(refused).toBeInstanceOf(ConnectionError);
    expect(refused).toMatchObject({ code: 'disconnected', message: expect.stringMatching(/reconnecting/) });
    expect(() => bot.say('anyone?')).toThrow(expect.objectContaining({ code: 'disconnected' }));

    await until(
      () => attempts.some((a) => a.error instanceof ServerError && a.error.code === 'name_taken'),
      () => attempts.map((a) => a.error.message).join(' | '),
    );
    expect(log).not.toContain('reconnected');
    via.release();
    await until(
      () => log.includes('reconnected'),
      () => log.join(', '),
    );
    expect((await bot.look()).users).toEqual(['bot']);
    await bot.close();
  });

  it('survives a SIGKILL of the built server: every message once, in order, from the same data directory', async () => {
    const dataDir = tempDataDir();
    let server = await startServerBinary(['--data-dir', dataDir]);
    const port = server.port;
    const bot = await connect({ host: HOST, port, name: 'bot', reconnect: FAST });
    const got = record(bot);
    const sent: number[] = [];
    let talker = await connect({ host: HOST, port, name: 'talker' });
    for (let i = 0; i < 3; i++) sent.push((await said(talker, `before ${i}`, '#main')).id);
    await until(() => got.ids('#main').length === 3);
    await server.crash();
    server = await startServerBinary(['--data-dir', dataDir, '--port', String(port)]);
    // The bot may be back already or not: either way each line comes once.
    talker = await connect({ host: HOST, port, name: 'talker' });
    for (let i = 0; i < 3; i++) sent.push((await said(talker, `after ${i}`, '#main')).id);
    await until(
      () => got.ids('#main').length >= sent.length,
      () => `${got.ids('#main')} of ${sent}`,
    );
    expect(got.ids('#main')).toEqual(sent);
    await bot.close();
    await talker.close();
  });
});

describe('when it does not reconnect', () => {
  it('not after logout, close or destroy', async () => {
    const { port } = await startServer();
    for (const end of ['logout', 'close', 'destroy'] as const) {
      const bot = await connect({ host: HOST, port, name: `bot-${end}`, reconnect: FAST });
      const { log } = events(bot);
      if (end === 'destroy') bot.destroy();
      else await bot[end]();
      expect(await bot.closed(), end).toBeUndefined();
      // A drop says `disconnected` in the turn the socket closes, so by now it would have.
      expect(log, end).toEqual([]);
      expect(bot.isReconnecting).toBe(false);
    }
  });

  it('not after a refusal a retry cannot fix (auth_failed): closed() resolves to it', async () => {
    const srv = await restartable();
    const bot = await connect({ host: HOST, port: srv.port, name: 'bot', reconnect: FAST });
    const { attempts } = events(bot);
    await srv.stop();
    await srv.start({ password: 'sesame' });
    const why = await bot.closed();
    expect(why).toBeInstanceOf(ServerError);
    expect(why).toMatchObject({ code: 'auth_failed' });
    expect(attempts.at(-1)!.error).not.toBeInstanceOf(ServerError);
  });

  it('gives up after maxAttempts with a reconnect_failed error, and the iterator ends with it', async () => {
    const { port, stop } = await startServer();
    const bot = await connect({ host: HOST, port, name: 'bot', reconnect: { ...FAST, maxAttempts: 3 } });
    const got = record(bot);
    const { attempts } = events(bot);
    await stop();
    const why = await bot.closed();
    expect(why).toBeInstanceOf(ConnectionError);
    expect(why).toMatchObject({
      code: 'reconnect_failed',
      message: expect.stringMatching(/gave up reconnecting after 3 attempts: .*ECONNREFUSED/),
    });
    expect((why as Error).cause).toMatchObject({ code: 'connect_failed' });
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(attempts.every((a) => a.delayMs >= FAST.initialDelayMs / 2 && a.delayMs <= FAST.maxDelayMs)).toBe(true);
    expect(await got.done).toBe(why);
    expect(() => bot.say('hello?')).toThrow(expect.objectContaining({ code: 'closed' }));
  });
});
