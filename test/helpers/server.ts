/**
 * Start an in-process server on 127.0.0.1 and an ephemeral port; stop it after the test.
 * Log lines are captured in `logs` instead of going to stderr.
 *
 * startClockedServer() gives the server a manual clock and no sweep timer: a test moves time
 * with advance(ms), which then runs the sweep, so login and ping timeouts fire when the test
 * says and not after a real wait.
 */
import { afterEach } from 'vitest';
import type { ClientMessage } from '../../src/protocol/internal.js';
import type { ServerConfig } from '../../src/server/config.js';
import { ChatServer, type ServerOptions } from '../../src/server/server.js';
import { until } from './wait.js';

export interface TestServer {
  server: ChatServer;
  port: number;
  textPort?: number;
  tlsPort?: number;
  metricsPort?: number;
  logs: string[];
  stop(): Promise<void>;
}

export interface ClockedServer extends TestServer {
  /** Move the server's clock on by `ms` and run the sweep once. */
  advance(ms: number): void;
  /** Resolves once the server has run `count` commands of `type` (from anyone) in all. */
  handled(type: ClientMessage['type'], count?: number): Promise<void>;
}

const running = new Set<TestServer>();

afterEach(async () => {
  await Promise.all([...running].map((s) => s.stop()));
});

export async function startServer(config: Partial<ServerConfig> = {}, options: Omit<ServerOptions, 'logSink'> = {}): Promise<TestServer> {
  const logs: string[] = [];
  const server = new ChatServer(
    { host: '127.0.0.1', port: 0, name: 'test', logLevel: 'debug', maxConnsPerIp: 0, ...config },
    { ...options, logSink: (text) => logs.push(...text.trimEnd().split('\n')) },
  );
  const info = await server.listen();
  const handle: TestServer = {
    server,
    port: info.port,
    textPort: info.textPort,
    tlsPort: info.tlsPort,
    metricsPort: info.metricsPort,
    logs,
    stop: async () => {
      running.delete(handle);
      await server.shutdown(500);
    },
  };
  running.add(handle);
  return handle;
}

export async function startClockedServer(config: Partial<ServerConfig> = {}): Promise<ClockedServer> {
  let now = 1_000_000;
  const handle = await startServer(config, { now: () => now, sweep: false });
  const { server } = handle;
  const counts = new Map<string, number>();
  // Calls through: the server runs every command as before; the test only learns that it did.
  const run = server.run.bind(server);
  server.run = (session, message) => {
    counts.set(message.type, (counts.get(message.type) ?? 0) + 1);
    return run(session, message);
  };
  return Object.assign(handle, {
    advance(ms: number): void {
      now += ms;
      server.sweep();
    },
    handled: (type: ClientMessage['type'], count = 1) =>
      until(
        () => (counts.get(type) ?? 0) >= count,
        () => `${count} × ${type} handled (${counts.get(type) ?? 0} so far)`,
      ),
  });
}
