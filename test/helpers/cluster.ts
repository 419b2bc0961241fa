/**
 * The fixture of a test file on a cluster: one PostgreSQL for the file, a fresh Redis and a fresh
 * database for each test, and the clients a test opened closed after it. Call useCluster() at the
 * top of the file; its fields are set once the hooks have run.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startPostgres, type TestPostgres } from './postgres.js';
import { RawClient } from './raw.js';
import { startRedis, type TestRedis } from './redis.js';
import { startServerBinary, type ServerBinary } from './server-binary.js';

export interface ClusterFixture {
  readonly postgres: TestPostgres;
  readonly redis: TestRedis;
  /** This test's database (a connection string). */
  readonly database: string;
  /** Closed after each test. */
  readonly clients: RawClient[];
  /** Log in on `port` (a node's), answering pings; closed after the test. */
  login(port: number, name: string, extra?: Record<string, unknown>): Promise<RawClient>;
  /** Start the built server as node `id` of this test's cluster, with `args` besides. */
  node(id: string, ...args: string[]): Promise<ServerBinary>;
}

export function useCluster(): ClusterFixture {
  let postgres: TestPostgres | undefined;
  let redis: TestRedis | undefined;
  let database: string | undefined;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    postgres = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await postgres?.stop();
  });
  beforeEach(async () => {
    redis = await startRedis();
    database = await postgres!.createDatabase();
  }, 30_000);
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await redis?.stop();
  });
  const set = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useCluster: no ${what} outside a test`);
    return value;
  };
  return {
    get postgres() {
      return set(postgres, 'PostgreSQL');
    },
    get redis() {
      return set(redis, 'Redis');
    },
    get database() {
      return set(database, 'database');
    },
    clients,
    async login(port, name, extra = {}) {
      const c = await RawClient.login(port, name, extra);
      c.pongs = true;
      clients.push(c);
      return c;
    },
    node(id, ...args) {
      return startServerBinary(['--redis', set(redis, 'Redis').url, '--database', set(database, 'database'), '--node-id', id, ...args]);
    },
  };
}
