/**
 * Start an in-process server on 127.0.0.1 and an ephemeral port; stop it after the test.
 * Log lines are captured in `logs` instead of going to stderr.
 */
import { afterEach } from 'vitest';
import type { ServerConfig } from '../../src/server/config.js';
import { ChatServer } from '../../src/server/server.js';

export interface TestServer {
  server: ChatServer;
  port: number;
  textPort?: number;
  tlsPort?: number;
  logs: string[];
  stop(): Promise<void>;
}

const running = new Set<TestServer>();

afterEach(async () => {
  await Promise.all([...running].map((s) => s.stop()));
});

export async function startServer(config: Partial<ServerConfig> = {}): Promise<TestServer> {
  const logs: string[] = [];
  const server = new ChatServer(
    { host: '127.0.0.1', port: 0, name: 'test', logLevel: 'debug', maxConnsPerIp: 0, ...config },
    { logSink: (text) => logs.push(...text.trimEnd().split('\n')) },
  );
  const info = await server.listen();
  const handle: TestServer = {
    server,
    port: info.port,
    textPort: info.textPort,
    tlsPort: info.tlsPort,
    logs,
    stop: async () => {
      running.delete(handle);
      await server.shutdown(500);
    },
  };
  running.add(handle);
  return handle;
}
