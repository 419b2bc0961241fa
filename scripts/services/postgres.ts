/**
 * A throwaway PostgreSQL for one test file or one bench target: initdb into a temp directory,
 * the server on a free port on 127.0.0.1 only with its unix socket in that directory, fsync off,
 * stopped and deleted by stop(). PostgreSQL refuses to run as root, so as root (CI) every command runs as the `postgres`
 * user (Debian's package creates it), or as `nobody` where there is none, through setpriv, which
 * execs in place: the child we hold is the postmaster itself, so stop() signals it directly.
 *
 * The binaries are found on PATH, in /usr/local/bin, or in Debian's /usr/lib/postgresql/<ver>/bin
 * (the newest); .ci/run installs `postgresql` when none is found.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './port.js';

export interface TestPostgres {
  port: number;
  /** The postmaster now (a new one after resume()); its backends are its children. */
  readonly pid: number;
  /** A connection string for `database` (default `postgres`) as the superuser. */
  url(database?: string): string;
  /** Create an empty database with a fresh name and return its connection string. */
  createDatabase(): Promise<string>;
  /** Stop the server (fast shutdown) and delete its directory. */
  stop(): Promise<void>;
  /** Stop the server (fast shutdown), keeping its data. */
  halt(): Promise<void>;
  /** Start it again on the same port after halt(). */
  resume(): Promise<void>;
}

const SUPERUSER = 'postgres';

export function postgresBinDir(): string {
  const candidates: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(dir);
  candidates.push('/usr/local/bin');
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    const versions = fs
      .readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(path.join(debian, v, 'bin'));
  }
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres'))) return dir;
  }
  throw new Error('no PostgreSQL found (initdb and postgres); install postgresql (.ci/run does)');
}

/** The user to run as, or undefined when we are not root and run as ourselves. */
function runAs(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { name, uid, gid };
    } catch {
      // No such user: try the next.
    }
  }
  throw new Error('running as root with neither a postgres nor a nobody user to run PostgreSQL as');
}

function command(user: ReturnType<typeof runAs>, bin: string, args: string[]): [string, string[]] {
  if (!user) return [bin, args];
  return ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', bin, ...args]];
}

async function ready(url: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`postgres exited at start-up:\n${log()}`);
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`postgres did not accept connections within 15 s:\n${log()}`);
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const user = runAs();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'framechat-pg-'));
  const data = path.join(root, 'data');
  const sockets = path.join(root, 'sock');
  fs.mkdirSync(sockets);
  if (user) {
    fs.chownSync(root, user.uid, user.gid);
    fs.chownSync(sockets, user.uid, user.gid);
  }
  const [initCmd, initArgs] = command(user, path.join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    SUPERUSER,
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ]);
  try {
    execFileSync(initCmd, initArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    fs.rmSync(root, { recursive: true, force: true });
    const e = err as { stderr?: Buffer };
    throw new Error(`initdb failed: ${e.stderr?.toString() ?? String(err)}`);
  }

  const port = await freePort();
  const url = (database = 'postgres'): string => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  let child: ChildProcess | undefined;
  let output = '';
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  async function start(): Promise<void> {
    const [cmd, args] = command(user, path.join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      sockets,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'shared_buffers=16MB',
      '-c',
      'max_connections=100',
    ]);
    output = '';
    const c = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8000);
    };
    c.stdout!.on('data', keep);
    c.stderr!.on('data', keep);
    await ready(url(), c, () => output);
  }

  async function halt(): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    // SIGINT is PostgreSQL's fast shutdown: sessions are ended, no waiting for clients.
    c.kill('SIGINT');
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  await start();
  let databases = 0;
  return {
    port,
    url,
    get pid() {
      return child?.pid ?? -1;
    },
    async createDatabase() {
      const name = `test_${++databases}`;
      const admin = new pg.Client({ connectionString: url() });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    halt,
    resume: start,
    async stop() {
      await halt();
      process.removeListener('exit', killOnExit);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
