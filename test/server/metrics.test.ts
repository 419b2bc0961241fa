/**
 * The metrics port (metrics.ts), over real sockets: /metrics moves as clients connect, log in,
 * chat, send bad frames and get kicked; /healthz says 503 while the server shuts down; nothing
 * else is served, a request body is never read, and the listener holds a few sockets at most.
 * The built binary serves it on 127.0.0.1 only unless told otherwise.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/protocol/internal.js';
import { METRICS_MAX_CONNECTIONS } from '../../src/server/metrics.js';
import { openSqliteStore } from '../../src/server/store/sqlite.js';
import { RawClient, TextClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';
import { runServerBinary, startServerBinary } from '../helpers/server-binary.js';
import { until } from '../helpers/wait.js';
import { makeCerts } from '../security/certs.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, path: string, options: { method?: string; host?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: options.host ?? '127.0.0.1', port, path, method: options.method ?? 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The value of the sample `name{labels}` (labels as Prometheus prints them), or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const key = labels === '' ? name : `${name}{${labels}}`;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${key} `)) return Number(line.slice(key.length + 1));
  }
  return undefined;
}

async function scrape(port: number): Promise<string> {
  const reply = await request(port, '/metrics');
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return reply.body;
}

describe('metrics port', () => {
  it('is off unless asked for', async () => {
    expect((await startServer()).metricsPort).toBeUndefined();
  });

  it('counts connections by mode, logins by result, users, rooms and deliveries', async () => {
    const { port, metricsPort } = await startServer({ metricsPort: 0, password: 'pw' });
    let text = await scrape(metricsPort!);
    expect(sample(text, 'framechat_connections', 'mode="framed",transport="tcp"')).toBe(0);
    expect(sample(text, 'framechat_logins_total', 'result="ok"')).toBe(0);
    expect(sample(text, 'framechat_users')).toBe(0);
    expect(sample(text, 'framechat_deliveries_total')).toBe(0);

    const alice = await RawClient.login(port, 'alice', { password: 'pw' });
    const bob = await RawClient.login(port, 'bob', { password: 'pw' });
    const carol = await TextClient.connect(port);
    carol.line('hello'); // any byte: text mode
    await carol.expect(/login/i);
    const wrong = await RawClient.connect(port);
    wrong.send({ type: 'hello', name: 'mallory', password: 'nope' });
    await wrong.next('error', (m) => m.code === 'auth_failed');
    await wrong.waitClosed();
    await alice.sync();
    text = await scrape(metricsPort!);
    expect(sample(text, 'framechat_connections', 'mode="framed",transport="tcp"')).toBe(2);
    expect(sample(text, 'framechat_connections', 'mode="text",transport="tcp"')).toBe(1);
    expect(sample(text, 'framechat_logins_total', 'result="ok"')).toBe(2);
    expect(sample(text, 'framechat_logins_total', 'result="auth_failed"')).toBe(1);
    expect(sample(text, 'framechat_users')).toBe(2);
    expect(sample(text, 'framechat_rooms')).toBe(1);

    // Each say reaches both members: deliveries grow by 2 per message, whatever else they were.
    const before = sample(text, 'framechat_deliveries_total')!;
    for (let i = 0; i < 10; i++) alice.send({ type: 'say', text: `m${i}` });
    await until(() => bob.messages.filter((m) => m.type === 'message').length === 10);
    await alice.sync(); // its own copies arrived, and the pong is one more delivery
    text = await scrape(metricsPort!);
    expect(sample(text, 'framechat_deliveries_total')! - before).toBe(2 * 10 + 1);
  });

  it('counts a broadcast once per fan-out, not once per member (the same in rooms of 3 and 12)', async () => {
    const { server, port, metricsPort } = await startServer({ metricsPort: 0 });
    const people = await Promise.all(Array.from({ length: 12 }, (_, i) => RawClient.login(port, `p${i}`)));
    for (const [i, p] of people.entries()) {
      p.send({ type: 'join', room: '#big' });
      if (i < 3) p.send({ type: 'join', room: '#small' });
    }
    for (const p of people) await p.sync();
    // Every write of the counter on the way, whatever the value written.
    const counts = server.metrics.counts;
    let value = counts.deliveries;
    let writes = 0;
    Object.defineProperty(counts, 'deliveries', {
      get: () => value,
      set: (v: number) => {
        value = v;
        writes++;
      },
    });
    const oneSay = async (room: string, members: RawClient[]): Promise<{ writes: number; delivered: number }> => {
      const [w, v] = [writes, value];
      people[0]!.send({ type: 'say', room, text: `to ${room}` });
      for (const m of members) await m.next('message', (x) => x.room === room);
      return { writes: writes - w, delivered: value - v };
    };
    const small = await oneSay('#small', people.slice(0, 3));
    const big = await oneSay('#big', people);
    expect(small.delivered).toBe(3);
    expect(big.delivered).toBe(12);
    expect(big.writes).toBe(small.writes);
    expect(big.writes).toBeLessThanOrEqual(1);
    const text = await scrape(metricsPort!);
    expect(sample(text, 'framechat_deliveries_total')).toBe(value);
  });

  it('tells TLS connections from plain ones', async () => {
    const certs = makeCerts();
    try {
      const { port, tlsPort, metricsPort } = await startServer({
        metricsPort: 0,
        tlsPort: 0,
        tlsCert: certs.selfSigned.cert,
        tlsKey: certs.selfSigned.key,
      });
      const secure = tls.connect({ port: tlsPort!, host: '127.0.0.1', servername: 'localhost', ca: certs.selfSigned.cert });
      await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
      secure.write(encode({ type: 'hello', name: 'alice' }));
      await RawClient.login(port, 'bob');
      let text = '';
      for (let i = 0; i < 100 && sample(text, 'framechat_users') !== 2; i++) text = await scrape(metricsPort!);
      expect(sample(text, 'framechat_connections', 'mode="framed",transport="tls"')).toBe(1);
      expect(sample(text, 'framechat_connections', 'mode="framed",transport="tcp"')).toBe(1);
      secure.destroy();
    } finally {
      certs.remove();
    }
  });

  it('counts bad frames, flood kicks and sendq drops', async () => {
    const { port, metricsPort } = await startServer({ metricsPort: 0, rate: 5, burst: 5 });
    const bad = await RawClient.login(port, 'bad');
    bad.sendBytes(encode({ type: 'say' }));
    bad.sendBytes(encode({ type: 'no-such-thing' }));
    await bad.next('error');
    await bad.next('error');
    let text = await scrape(metricsPort!);
    expect(sample(text, 'framechat_bad_frames_total')).toBe(2);
    expect(sample(text, 'framechat_flood_kicks_total')).toBe(0);

    const flooder = await RawClient.login(port, 'flooder');
    flooder.sendBytes(Buffer.concat(Array.from({ length: 200 }, (_, i) => encode({ type: 'say', text: `f${i}` }))));
    await flooder.next('bye', (m) => m.reason === 'flood');
    text = await scrape(metricsPort!);
    expect(sample(text, 'framechat_flood_kicks_total')).toBe(1);
    expect(sample(text, 'framechat_sendq_drops_total')).toBe(0);
  });

  it('counts a reader dropped for its send queue', async () => {
    const { port, metricsPort } = await startServer({ metricsPort: 0, maxSendq: 4096, rate: 0 });
    const sleeper = await RawClient.connect(port);
    sleeper.send({ type: 'hello', name: 'sleeper' });
    await sleeper.next('welcome');
    sleeper.socket.pause(); // reads nothing more
    const talker = await RawClient.login(port, 'talker');
    const text = 'x'.repeat(4000);
    const dropped = async (): Promise<boolean> => sample(await scrape(metricsPort!), 'framechat_sendq_drops_total') === 1;
    for (let i = 0; i < 2000 && !(await dropped()); i++) {
      for (let j = 0; j < 20; j++) talker.send({ type: 'say', text });
      await talker.sync();
    }
    expect(await dropped()).toBe(true);
  });

  it('observes store commits and exports the default metrics with the prefix', async () => {
    const { metricsPort, port } = await startServer({ metricsPort: 0 });
    const alice = await RawClient.login(port, 'alice');
    alice.send({ type: 'say', text: 'kept' });
    await alice.next('message');
    const text = await scrape(metricsPort!);
    expect(sample(text, 'framechat_store_commit_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'framechat_store_pending')).toBe(0);
    expect(text).toMatch(/^framechat_nodejs_eventloop_lag_seconds [\d.e-]+$/m);
    expect(text).toMatch(/^framechat_process_cpu_user_seconds_total /m);
  });

  it('reports how far the search index is behind the SQLite store', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-metrics-'));
    // The index's steps wait a minute here, so every line said stays unindexed until a search.
    const store = openSqliteStore(path.join(dir, 'framechat.sqlite'), { index: { delayMs: 60_000 } });
    const server = await startServer({ metricsPort: 0 }, { store });
    try {
      const { metricsPort, port } = server;
      const alice = await RawClient.login(port, 'alice');
      for (const text of ['one', 'two', 'three']) {
        alice.send({ type: 'say', text });
        await alice.next('message');
      }
      expect(sample(await scrape(metricsPort!), 'framechat_search_index_behind')).toBe(3);
      // A search brings the index up to date first; the next commit reports it.
      alice.send({ type: 'search', text: 'two', label: 's' });
      expect((await alice.next('results')).messages).toHaveLength(1);
      alice.send({ type: 'say', text: 'four' });
      await alice.next('message');
      expect(sample(await scrape(metricsPort!), 'framechat_search_index_behind')).toBe(1);
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('/healthz: 200 with its state while serving, 503 while shutting down', async () => {
    const { server, port, metricsPort } = await startServer({ metricsPort: 0 });
    await RawClient.login(port, 'alice');
    const ok = await request(metricsPort!, '/healthz');
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/json');
    expect(JSON.parse(ok.body)).toMatchObject({ status: 'ok', connections: 1, store: 'ok' });
    expect(typeof JSON.parse(ok.body).uptime).toBe('number');

    // A client that never closes its side keeps the shutdown in its grace period.
    const stubborn = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    stubborn.on('error', () => {});
    stubborn.write(encode({ type: 'hello', name: 'stubborn' }));
    await until(() => server.users.count === 2);
    const stopped = server.shutdown(5_000);
    const during = await request(metricsPort!, '/healthz');
    expect(during.status).toBe(503);
    expect(JSON.parse(during.body)).toMatchObject({ status: 'shutting_down' });
    await stopped;
    stubborn.destroy();
    await expect(request(metricsPort!, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('serves nothing else: 404 for other paths, 405 for other methods', async () => {
    const { metricsPort } = await startServer({ metricsPort: 0 });
    for (const path of ['/', '/metrics/x', '/favicon.ico', '/healthz/../metrics', '//metrics']) {
      expect((await request(metricsPort!, path)).status, path).toBe(404);
    }
    const post = await request(metricsPort!, '/metrics', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
    expect((await request(metricsPort!, '/healthz', { method: 'DELETE' })).status).toBe(405);
    expect((await request(metricsPort!, '/metrics?x=1')).status).toBe(200);
  });

  it('never reads a request body: a big POST is answered and its socket closed', async () => {
    const { metricsPort } = await startServer({ metricsPort: 0 });
    const announced = 256 * 1024 * 1024;
    const socket = net.connect({ port: metricsPort!, host: '127.0.0.1' });
    let received = '';
    let written = 0;
    let failed = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => (failed = true));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: ${announced}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    // Write as fast as the server takes it: a server that read and discarded the body would take it all.
    const pump = (): void => {
      while (!socket.destroyed && written < announced) {
        written += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
    await closed;
    expect(written).toBeLessThan(announced / 4);
    // The answer arrives unless the reset overtook it; either way the body was not taken.
    if (!failed || received !== '') expect(received).toMatch(/^HTTP\/1\.1 400 /);
  });

  it(`holds at most ${METRICS_MAX_CONNECTIONS} sockets: one more is closed at once`, async () => {
    const { metricsPort } = await startServer({ metricsPort: 0 });
    const open: net.Socket[] = [];
    for (let i = 0; i < METRICS_MAX_CONNECTIONS; i++) {
      const s = net.connect({ port: metricsPort!, host: '127.0.0.1' });
      s.on('error', () => {});
      await new Promise<void>((resolve) => s.once('connect', () => resolve()));
      open.push(s);
    }
    const extra = net.connect({ port: metricsPort!, host: '127.0.0.1' });
    extra.on('error', () => {});
    await new Promise<void>((resolve) => extra.once('close', () => resolve()));
    for (const s of open) expect(s.destroyed).toBe(false);
    // Freed sockets make room again.
    for (const s of open) s.destroy();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await request(metricsPort!, '/healthz').then(
        (r) => r.status,
        () => 0,
      );
    }
    expect(status).toBe(200);
  });
});

describe('chat-server --metrics-port', () => {
  it('serves on 127.0.0.1 only by default, even when the chat port is on every address', async () => {
    const server = await startServerBinary(['--host', '0.0.0.0', '--metrics-port', '0', '--no-store']);
    const [, host, port] = /metrics on http:\/\/([\d.]+):(\d+)\/metrics/.exec(server.stdout())!;
    expect(host).toBe('127.0.0.1');
    const metricsPort = Number(port);
    expect((await request(metricsPort, '/healthz')).status).toBe(200);
    // 127.0.0.2 is this machine too (all of 127/8 is loopback): the chat port answers there, the metrics port does not.
    const chat = await RawClient.login(server.port, 'alice', {}, '127.0.0.2');
    chat.close();
    await expect(request(metricsPort, '/healthz', { host: '127.0.0.2' })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('takes --metrics-host and CHAT_METRICS_PORT, and moves with a login', async () => {
    const server = await startServerBinary(['--metrics-host', '127.0.0.2', '--no-store'], { env: { CHAT_METRICS_PORT: '0' } });
    const [, host, port] = /metrics on http:\/\/([\d.]+):(\d+)\/metrics/.exec(server.stdout())!;
    expect(host).toBe('127.0.0.2');
    await RawClient.login(server.port, 'alice');
    const reply = await request(Number(port), '/metrics', { host: '127.0.0.2' });
    expect(sample(reply.body, 'framechat_logins_total', 'result="ok"')).toBe(1);
    expect(sample(reply.body, 'framechat_users')).toBe(1);
  });

  it('names the metrics address when its port is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      const { status, stderr } = await runServerBinary([
        'start',
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--no-store',
        '--metrics-port',
        String(port),
      ]);
      expect(status).toBe(1);
      expect(stderr).toContain(`cannot listen: 127.0.0.1:${port} is already in use`);
    } finally {
      taken.close();
    }
  });

  it('refuses a metrics port that is not a port number', async () => {
    const { status, stderr } = await runServerBinary(['start', '--no-store', '--metrics-port', '70000']);
    expect(status).toBe(2);
    expect(stderr).toMatch(/--metrics-port must be a port number/);
  });
});
