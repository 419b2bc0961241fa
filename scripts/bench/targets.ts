/**
 * @module
 * The servers a benchmark run measures, each started fresh as a child process for every scenario:
 * framechat itself (the built bin/chat-server.js), the minimal relay, and the IRC servers found
 * on this machine. IRC servers refuse to run as root; when the bench is root they run as nobody
 * (setpriv), in the foreground, from a config written to a temp directory.
 *
 * A binary is looked up in PATH and /usr/sbin, or taken from FRAMECHAT_BENCH_<NAME> (for example
 * FRAMECHAT_BENCH_IRCD_HYBRID=/opt/hybrid/sbin/ircd-hybrid).
 *
 * Logging the clients in is set-up, not measurement (except in the connect storm), so each target
 * is logged in at the pace it takes best: see setupConcurrency.
 */
import type { ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Proto, TargetAddress } from './ipc.js';
import { startDnsStub, type DnsStub } from './dns-stub.js';
import { hybridConfig, inspircdConfig, ngircdConfig, OPER_PASSWORD, type IrcConfigInput } from './irc-configs.js';
import { freePort, spawnWithFileLimit, stopProcess, waitForOutput, waitForPort } from './proc.js';
import { postgresBinDir, startPostgres } from '../services/postgres.js';
import { startRedis } from '../services/redis.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type TargetName =
  | 'framechat'
  | 'framechat-nostore'
  | 'framechat-base'
  | 'framechat-pg'
  | 'framechat-cluster2'
  | 'framechat-cluster3'
  | 'relay'
  | 'inspircd'
  | 'ngircd'
  | 'ircd-hybrid';
/**
 * framechat runs as it ships, with its store (SQLite) in a fresh temporary data directory;
 * framechat-nostore is the same server with `--no-store` (memory only), for the store-on/off ratio;
 * framechat-base is another build of framechat (FRAMECHAT_BENCH_BASELINE names the root of a built
 * checkout, main for instance), with its store on, to compare two builds in one run.
 *
 * framechat-pg is one node on PostgreSQL (`--database`, no Redis); framechat-cluster2 and -cluster3
 * are 2 and 3 nodes on one Redis and that PostgreSQL (docs/CLUSTER.md), each with a fresh
 * redis-server and PostgreSQL of its own (scripts/services). The clients are spread round-robin
 * over the nodes, so (N-1)/N of the deliveries cross a node. framechat-pg next to the clusters
 * isolates the Redis hop; framechat next to framechat-pg shows what the store costs.
 */
export const TARGET_NAMES: TargetName[] = [
  'framechat',
  'framechat-nostore',
  'framechat-base',
  'framechat-pg',
  'framechat-cluster2',
  'framechat-cluster3',
  'relay',
  'inspircd',
  'ngircd',
  'ircd-hybrid',
];
/** IRC servers in order of preference as "the IRC server people run". */
export const IRC_TARGETS: TargetName[] = ['inspircd', 'ngircd', 'ircd-hybrid'];

/** A process whose CPU the result reports beside the servers' (a cluster's Redis and PostgreSQL). */
export interface Service {
  name: 'redis' | 'postgres';
  pid: number;
  /** Count its descendants too (PostgreSQL's backends). */
  tree: boolean;
}

export interface Running {
  /** The server, or a cluster's first node. */
  pid: number;
  address: TargetAddress;
  /** A cluster's nodes, the first one's too: clients spread over them, their CPU and memory add up. */
  nodes?: { pid: number; address: TargetAddress }[];
  services?: Service[];
  /** Something a reader of the results should know about how this server ran. */
  note?: string;
  /** Where its CPU profile goes, when profiling. */
  profile?: string;
  stop(): Promise<void>;
}

export interface Target {
  name: TargetName;
  proto: Proto;
  /** Why it cannot run here (e.g. "not installed"), or undefined when it can. */
  unavailable: string | undefined;
  /** Logins in flight at once during set-up, over all load generators. */
  setupConcurrency: number;
  /**
   * The only scenarios it runs in when no --targets names it: a cluster costs a Redis and a
   * PostgreSQL per scenario and answers one question, asked in the big room.
   */
  defaultScenarios?: string[];
  start(maxClients: number): Promise<Running>;
}

const NOBODY = 65534;
/** Set-up pace for servers that take any: 100 logins in flight. */
const SETUP_CONCURRENCY = 100;
const START_TIMEOUT_MS = 15_000;

function findBinary(name: string): string | undefined {
  const override = process.env[`FRAMECHAT_BENCH_${name.toUpperCase().replaceAll('-', '_')}`];
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/usr/local/sbin'];
  for (const candidate of override ? [override] : dirs.filter(Boolean).map((d) => path.join(d, name))) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Keep the child's output for error messages, and stop a full pipe from ever blocking it. */
function drain(child: ChildProcess): void {
  child.stdout?.resume();
  child.stderr?.resume();
}

/** profileDir: run framechat (and the relay) under --cpu-prof, writing profiles there. */
export interface TargetOptions {
  profileDir?: string;
}

/**
 * A process's own folder for its CPU profiles under profileDir (undefined when not profiling),
 * and the Node flags that write them there. Not --cpu-prof-name: tsx's loader thread writes a
 * profile too, and one name would let it overwrite the main thread's (Node's default names carry
 * the thread id; see mainThreadProfile).
 */
export function profiling(profileDir: string | undefined, name: string): { folder?: string; flags: string[] } {
  if (!profileDir) return { flags: [] };
  const folder = path.join(profileDir, `${name}-${Date.now()}`);
  return { folder, flags: ['--cpu-prof', `--cpu-prof-dir=${folder}`] };
}

function framechat(options: TargetOptions, name: 'framechat' | 'framechat-nostore' | 'framechat-base'): Target {
  const store = name !== 'framechat-nostore';
  const root = name === 'framechat-base' ? process.env['FRAMECHAT_BENCH_BASELINE'] : ROOT;
  const bin = path.join(root ?? ROOT, 'bin/chat-server.js');
  let unavailable: string | undefined;
  if (root === undefined) unavailable = 'not configured (FRAMECHAT_BENCH_BASELINE names a built checkout)';
  else {
    try {
      accessSync(path.join(root, 'dist/server/cli.js'));
    } catch {
      unavailable = `not built (run npm run build${root === ROOT ? '' : ` in ${root}`})`;
    }
  }
  return {
    name,
    proto: 'framed',
    unavailable,
    // With presence deferred a login no longer costs a write per member, and many logins in flight
    // share each window: in the 2 000-client join storm 1 000 in flight took 5.5 s, 100 took 12.0 s.
    setupConcurrency: 1000,
    async start(maxClients) {
      // A fresh database per scenario, never the repository's chat-data/.
      const dataDir = store ? mkdtempSync(path.join(os.tmpdir(), 'framechat-bench-store-')) : undefined;
      const removeData = (): void => {
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      };
      try {
        const node = await startNode(
          bin,
          maxClients,
          dataDir ? ['--data-dir', dataDir] : ['--no-store'],
          profiling(options.profileDir, name),
        );
        return {
          ...node,
          stop: async () => {
            await node.stop();
            removeData();
          },
        };
      } catch (err) {
        removeData();
        throw err;
      }
    },
  };
}

/** One chat-server from `bin` with the bench's settings and `extra` flags, on a port of its choosing. */
async function startNode(bin: string, maxClients: number, extra: string[], prof: { folder?: string; flags: string[] }): Promise<Running> {
  const args = [...prof.flags, bin, 'start', '--host', '127.0.0.1', '--port', '0', '--rate', '0', '--max-conns-per-ip', '0'];
  args.push('--max-clients', String(Math.max(20_000, maxClients)), '--log-level', 'warn', ...extra);
  const child = spawnWithFileLimit(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let port: number;
  try {
    port = Number(await waitForOutput(child, /listening on [^\s]+:(\d+)/, START_TIMEOUT_MS));
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
  drain(child);
  return {
    pid: child.pid!,
    address: { host: '127.0.0.1', port, proto: 'framed' },
    profile: prof.folder,
    stop: () => stopProcess(child),
  };
}

/** Why Redis or PostgreSQL cannot start here, or undefined when both can. */
function servicesMissing(redis: boolean): string | undefined {
  const missing: string[] = [];
  if (redis && !findBinary('redis-server')) missing.push('redis-server');
  try {
    postgresBinDir();
  } catch {
    missing.push('PostgreSQL (initdb, postgres)');
  }
  return missing.length > 0 ? `not installed: ${missing.join(', ')}` : undefined;
}

/**
 * framechat-pg (nodes 1, no Redis) or a cluster of `nodes` on one Redis, all on one fresh
 * PostgreSQL. The nodes start one after the other: the first creates the schema.
 */
function cluster(options: TargetOptions, name: 'framechat-pg' | 'framechat-cluster2' | 'framechat-cluster3', nodes: number): Target {
  const bin = path.join(ROOT, 'bin/chat-server.js');
  const redisToo = name !== 'framechat-pg';
  let unavailable = servicesMissing(redisToo);
  try {
    accessSync(path.join(ROOT, 'dist/server/cli.js'));
  } catch {
    unavailable = 'not built (run npm run build)';
  }
  return {
    name,
    proto: 'framed',
    unavailable,
    setupConcurrency: 1000,
    defaultScenarios: ['big-room'],
    async start(maxClients) {
      const stops: (() => Promise<void>)[] = [];
      const stopAll = async (): Promise<void> => {
        // Nodes first (they say `gone` on a Redis that is still there), then Redis and PostgreSQL.
        for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
      };
      try {
        const pg = await startPostgres();
        stops.push(() => pg.stop());
        const services: Service[] = [{ name: 'postgres', pid: pg.pid, tree: true }];
        const flags = ['--database', pg.url()];
        if (redisToo) {
          const redis = await startRedis();
          stops.push(() => redis.stop());
          services.unshift({ name: 'redis', pid: redis.pid, tree: false });
          flags.push('--redis', redis.url);
        }
        const started: Running[] = [];
        for (let i = 1; i <= nodes; i++) {
          const nodeFlags = redisToo ? [...flags, '--node-id', `n${i}`] : flags;
          const node = await startNode(bin, maxClients, nodeFlags, profiling(options.profileDir, `${name}-n${i}`));
          stops.push(node.stop);
          started.push(node);
        }
        const first = started[0]!;
        return {
          pid: first.pid,
          address: first.address,
          nodes: started.map((n) => ({ pid: n.pid, address: n.address })),
          services,
          ...(first.profile ? { profile: first.profile } : {}),
          stop: stopAll,
        };
      } catch (err) {
        await stopAll();
        throw err;
      }
    },
  };
}

function relay(options: TargetOptions): Target {
  return {
    name: 'relay',
    proto: 'framed',
    unavailable: undefined,
    setupConcurrency: SETUP_CONCURRENCY,
    async start() {
      const script = path.join(ROOT, 'scripts/bench/relay.ts');
      const prof = profiling(options.profileDir, 'relay');
      const child = spawnWithFileLimit(process.execPath, [...prof.flags, '--import', 'tsx', script, '0'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const port = Number(await waitForOutput(child, /relay listening on (\d+)/, START_TIMEOUT_MS));
      drain(child);
      return {
        pid: child.pid!,
        address: { host: '127.0.0.1', port, proto: 'framed' },
        profile: prof.folder,
        stop: () => stopProcess(child),
      };
    },
  };
}

interface IrcFlavour {
  name: TargetName;
  binary: string;
  config(input: IrcConfigInput, binary: string): string;
  args(configFile: string, dir: string): string[];
  talkerSetup?: string[];
  setupConcurrency: number;
  /** It looks up every client's address and cannot be told not to: give it the DNS stub. */
  ownResolver?: boolean;
}

const FLAVOURS: IrcFlavour[] = [
  {
    name: 'inspircd',
    binary: 'inspircd',
    config: inspircdConfig,
    args: (conf) => [`--config=${conf}`, '--nofork', '--nopid'],
    // InspIRCd 3 completes registrations on its once-a-second timer (UserManager::
    // DoBackgroundUserStuff), so every login waits up to 1 s: it needs many in flight.
    setupConcurrency: 1000,
  },
  {
    name: 'ngircd',
    binary: 'ngircd',
    config: ngircdConfig,
    args: (conf) => ['--nodaemon', '--config', conf],
    talkerSetup: [`OPER bench ${OPER_PASSWORD}`, 'MODE {nick} +F'],
    // ngIRCd listens with a backlog of 10 (compiled in): more connections at once overflow it,
    // and the dropped ones wait for TCP's SYN retries.
    setupConcurrency: 10,
  },
  {
    name: 'ircd-hybrid',
    binary: 'ircd-hybrid',
    // Core modules load from the compiled-in path; the config names the same place.
    config: (input, binary) => hybridConfig(input, path.resolve(path.dirname(binary), '../lib/ircd-hybrid/modules')),
    args: (conf, dir) => [
      '-foreground',
      '-configfile',
      conf,
      ...['klinefile', 'dlinefile', 'xlinefile', 'resvfile'].flatMap((f) => [`-${f}`, path.join(dir, f)]),
      '-logfile',
      path.join(dir, 'ircd.log'),
      '-pidfile',
      path.join(dir, 'ircd.pid'),
    ],
    setupConcurrency: SETUP_CONCURRENCY,
    ownResolver: true,
  },
];

/**
 * For a server that looks up every client (ownResolver): the DNS stub, and the command that runs
 * the server with a private /etc/resolv.conf naming it. Needs root (port 53, a mount namespace);
 * otherwise the server keeps the system resolver and the result says so.
 */
async function withOwnResolver(dir: string, command: string[]): Promise<{ command: string[]; stub?: DnsStub; note?: string }> {
  if (process.getuid?.() !== 0) return { command, note: 'not run as root, so it used the system resolver for its DNS lookups' };
  try {
    const stub = await startDnsStub(dir);
    const mountThenExec = 'mount --bind "$0" /etc/resolv.conf && exec "$@"';
    return { command: ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', mountThenExec, stub.resolvConf, ...command], stub };
  } catch (err) {
    return { command, note: `DNS stub not started (${(err as Error).message}); it used the system resolver` };
  }
}

function irc(flavour: IrcFlavour): Target {
  const binary = findBinary(flavour.binary);
  return {
    name: flavour.name,
    proto: 'irc',
    unavailable: binary ? undefined : 'not installed',
    setupConcurrency: flavour.setupConcurrency,
    async start(maxClients) {
      const dir = mkdtempSync(path.join(os.tmpdir(), `framechat-bench-${flavour.name}-`));
      const port = await freePort();
      const conf = path.join(dir, `${flavour.name}.conf`);
      writeFileSync(conf, flavour.config({ port, dir, maxClients }, binary!));
      const asRoot = process.getuid?.() === 0;
      if (asRoot) {
        chownSync(dir, NOBODY, NOBODY);
        chownSync(conf, NOBODY, NOBODY);
      }
      chmodSync(dir, 0o755);
      const server = [binary!, ...flavour.args(conf, dir)];
      const asNobody = asRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...server] : server;
      const { command, stub, note } = flavour.ownResolver ? await withOwnResolver(dir, asNobody) : { command: asNobody };
      const child = spawnWithFileLimit(command[0]!, command.slice(1), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      drain(child);
      const stop = async (): Promise<void> => {
        await stopProcess(child);
        stub?.close();
        rmSync(dir, { recursive: true, force: true });
      };
      try {
        await waitForPort(port, child, START_TIMEOUT_MS);
      } catch (err) {
        await stop();
        throw new Error(`${flavour.name}: ${(err as Error).message}`);
      }
      return {
        pid: child.pid!,
        address: { host: '127.0.0.1', port, proto: 'irc', ...(flavour.talkerSetup ? { talkerSetup: flavour.talkerSetup } : {}) },
        ...(note ? { note } : {}),
        stop,
      };
    },
  };
}

export function targets(options: TargetOptions = {}): Target[] {
  return [
    framechat(options, 'framechat'),
    framechat(options, 'framechat-nostore'),
    // Only when asked for: a default run has no second build.
    ...(process.env['FRAMECHAT_BENCH_BASELINE'] ? [framechat(options, 'framechat-base')] : []),
    cluster(options, 'framechat-pg', 1),
    cluster(options, 'framechat-cluster2', 2),
    cluster(options, 'framechat-cluster3', 3),
    relay(options),
    ...FLAVOURS.map(irc),
  ];
}
