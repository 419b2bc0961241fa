/**
 * @module
 * Metrics: what an operator watches (docs/OPERATIONS.md). One prom-client Registry per server,
 * read by an optional HTTP listener (`--metrics-port`) that answers `GET /metrics` (Prometheus
 * text) and `GET /healthz` (JSON) and nothing else.
 *
 * Cost on the hot paths is one property increment: sessions bump plain numbers in `counts` (a
 * room's fan-out adds its whole batch of deliveries once, fanout.ts), and the registry turns them
 * into counters when it is scraped (collect()), so no label is hashed and no prom-client call is
 * made per delivery. Gauges (connections, users, rooms) are read from
 * the server at scrape time, never kept up to date on the way. A metric that is not measured is
 * not exported: cluster metrics (Redis link, publish lag) belong to the cluster's code, which
 * registers them on `registry`.
 *
 * The listener is bounded: at most METRICS_MAX_CONNECTIONS sockets, short header and request
 * timeouts, small headers, and a request body is never read (a request that announces one is
 * answered and its socket destroyed).
 */
import http from 'node:http';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ServerMessage } from '../protocol/internal.js';
import type { Mode } from './sniff.js';
import type { CommitReport } from './store/store.js';

/** Prefix of every metric name, the default (process, Node.js) ones included. */
export const METRIC_PREFIX = 'framechat_';
/** Sockets the metrics listener holds at once; more are closed on arrival. */
export const METRICS_MAX_CONNECTIONS = 8;
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_MS = 5_000;
const MAX_HEADER_BYTES = 8 * 1024;

/** Plain counts the sessions bump on their hot paths; read (never reset) at scrape time. */
export interface Counts {
  /** Frames and lines handed to a client's outbox: broadcasts (added once per fan-out) and replies. */
  deliveries: number;
  /** Clients dropped for not reading (sendq_exceeded). */
  sendqDrops: number;
  /** Clients closed for flooding (rate, or a text paste beyond its queue). */
  floodKicks: number;
  /** Bad frames, bad fields and bad text lines received (each one, fatal or not). */
  badFrames: number;
}

/** What the metrics read from the server when scraped. */
export interface MetricsSource {
  sessions(): Iterable<{ readonly mode: Mode; readonly secure: boolean }>;
  users(): number;
  rooms(): number;
  /** The server is shutting down: /healthz says 503. */
  stopping(): boolean;
  /** The last store commit failed (history is not being saved). */
  storeFailing(): boolean;
  /** A cluster node: its Redis link is up. Absent on a single process. */
  clusterLink?(): boolean;
}

export interface Health {
  status: 'ok' | 'degraded' | 'shutting_down';
  /** Seconds since the server was made. */
  uptime: number;
  connections: number;
  store: 'ok' | 'failing';
  /** A cluster node's Redis link (absent on a single process). */
  cluster?: 'up' | 'down';
}

export class Metrics {
  readonly registry = new Registry();
  readonly counts: Counts = { deliveries: 0, sendqDrops: 0, floodKicks: 0, badFrames: 0 };
  private readonly logins: Counter<'result'>;
  private readonly commitSeconds: Histogram;
  private readonly storePending: Gauge;
  private readonly searchBehind: Gauge;
  private readonly startedAt = performance.now();
  private http: http.Server | undefined;
  private defaultsOn = false;

  constructor(private readonly source: MetricsSource) {
    const registers = [this.registry];
    const counts = this.counts;
    const fromCount = (name: string, help: string, key: keyof Counts): void => {
      new Counter({
        name: METRIC_PREFIX + name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(counts[key]);
        },
      });
    };
    new Gauge({
      name: `${METRIC_PREFIX}connections`,
      help: 'Open client connections (pending: no byte yet), by mode and transport.',
      labelNames: ['mode', 'transport'] as const,
      registers,
      collect() {
        this.reset();
        const tally = new Map<string, number>();
        for (const s of source.sessions()) {
          const key = `${s.mode}|${s.secure ? 'tls' : 'tcp'}`;
          tally.set(key, (tally.get(key) ?? 0) + 1);
        }
        for (const mode of ['framed', 'text', 'pending'] as const) {
          for (const transport of ['tcp', 'tls'] as const) this.set({ mode, transport }, tally.get(`${mode}|${transport}`) ?? 0);
        }
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}users`,
      help: 'Users logged in.',
      registers,
      collect() {
        this.set(source.users());
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}rooms`,
      help: 'Rooms that exist (have members).',
      registers,
      collect() {
        this.set(source.rooms());
      },
    });
    this.logins = new Counter({
      name: `${METRIC_PREFIX}logins_total`,
      help: 'Login attempts (hello, text-mode login) by result: ok, or the error code that refused it.',
      labelNames: ['result'] as const,
      registers,
    });
    this.logins.inc({ result: 'ok' }, 0);
    fromCount('deliveries_total', 'Frames and text-mode lines handed to clients (each copy of a broadcast counts).', 'deliveries');
    fromCount('sendq_drops_total', 'Clients dropped for not reading their output (sendq_exceeded).', 'sendqDrops');
    fromCount('flood_kicks_total', 'Clients disconnected for flooding.', 'floodKicks');
    fromCount('bad_frames_total', 'Bad frames, bad fields and bad text lines received.', 'badFrames');
    this.commitSeconds = new Histogram({
      name: `${METRIC_PREFIX}store_commit_seconds`,
      help: 'Store commits that wrote or failed (one per event-loop turn with messages), by duration.',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    if (source.clusterLink) {
      const up = source.clusterLink.bind(source);
      new Gauge({
        name: `${METRIC_PREFIX}cluster_link_up`,
        help: "1 while this node's Redis link is up, 0 while it is down (the node serves its own users alone).",
        registers,
        collect() {
          this.set(up() ? 1 : 0);
        },
      });
    }
    this.storePending = new Gauge({
      name: `${METRIC_PREFIX}store_pending`,
      help: 'Messages waiting for the store to write them again after a failed commit.',
      registers,
    });
    this.searchBehind = new Gauge({
      name: `${METRIC_PREFIX}search_index_behind`,
      help: 'Messages stored that search does not find yet, at the last commit (SQLite: the index is written in steps after the commits).',
      registers,
    });
  }

  /** A reply that ends a login attempt: `welcome`, or an error referring to `hello`. Else nothing. */
  sent(message: ServerMessage): void {
    if (message.type === 'welcome') this.logins.inc({ result: 'ok' });
    else if (message.type === 'error' && message.ref === 'hello') this.logins.inc({ result: message.code });
  }

  /** A store commit took `ms` and reported `r` (Archive calls it). */
  committed(ms: number, r: CommitReport): void {
    if (r.written > 0 || r.error) this.commitSeconds.observe(ms / 1000);
    this.storePending.set(r.pending);
    if (r.searchBehind !== undefined) this.searchBehind.set(r.searchBehind);
  }

  health(): Health {
    const failing = this.source.storeFailing();
    const link = this.source.clusterLink?.();
    let connections = 0;
    for (const _ of this.source.sessions()) connections++;
    return {
      status: this.source.stopping() ? 'shutting_down' : failing || link === false ? 'degraded' : 'ok',
      uptime: Math.round((performance.now() - this.startedAt) / 1000),
      connections,
      store: failing ? 'failing' : 'ok',
      ...(link !== undefined ? { cluster: link ? 'up' : 'down' } : {}),
    };
  }

  /** Serve /metrics and /healthz on host:port; resolves with the port bound. */
  listen(host: string, port: number): Promise<number> {
    if (!this.defaultsOn) {
      this.defaultsOn = true;
      collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    }
    const server = http.createServer(
      {
        maxHeaderSize: MAX_HEADER_BYTES,
        headersTimeout: HEADERS_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        keepAliveTimeout: KEEP_ALIVE_MS,
      },
      (req, res) => void this.answer(req, res),
    );
    server.maxConnections = METRICS_MAX_CONNECTIONS;
    server.on('clientError', (_err, socket: net.Socket) => socket.destroy());
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        this.http = server;
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stop serving and drop every open metrics connection. */
  close(): Promise<void> {
    const server = this.http;
    this.http = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?', 1)[0];
    const known = path === '/metrics' || path === '/healthz';
    const hasBody = (req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined;
    if (!known || hasBody || (req.method !== 'GET' && req.method !== 'HEAD')) {
      const [status, text] = !known ? [404, 'not found'] : hasBody ? [400, 'no request body accepted'] : [405, 'GET only'];
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };
      if (status === 405) headers['allow'] = 'GET, HEAD';
      // A body that may follow is never read: the socket goes as soon as the answer is written.
      if (hasBody) headers['connection'] = 'close';
      res.writeHead(status, headers);
      res.end(`${text}\n`, () => {
        if (hasBody) req.socket.destroy();
      });
      return;
    }
    if (path === '/healthz') {
      const health = this.health();
      res.writeHead(health.status === 'shutting_down' ? 503 : 200, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
      });
      res.end(`${JSON.stringify(health)}\n`);
      return;
    }
    let text: string;
    try {
      text = await this.registry.metrics();
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`metrics failed: ${(err as Error).message}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store' });
    res.end(text);
  }
}
