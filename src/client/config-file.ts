/**
 * @module
 * The client's config file, `$XDG_CONFIG_HOME/framechat/config.toml` (else
 * `~/.config/framechat/config.toml`): the settings a person would otherwise type as flags every
 * time. Parsed with smol-toml, then checked here key by key, so that every problem is one line
 * `FILE:LINE:COLUMN: problem` (ConfigError, code `bad_config`). Pure apart from reading the file.
 *
 * Each key is a flag's long name with `_` for `-` (`retry_max` is `--retry-max`), except
 * `server` (the address argument) and `rooms` (a list, where `--room` takes one). No password
 * goes in the file itself, only the path of a file that holds it: a config file is copied
 * between machines and shown to others far more often than a password file is.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { foldName, isValidName, isValidRoom, normalizeRoom } from '../protocol/internal.js';
import { AddressError, parseAddress } from './address.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'bad_config';
}

/** What a config file may set; every key is optional. Paths are absolute (resolved against the file's folder). */
export interface FileConfig {
  server?: string;
  name?: string;
  rooms?: string[];
  bell?: boolean;
  seconds?: boolean;
  mouse?: boolean;
  tls?: boolean;
  ca?: string;
  insecure?: boolean;
  retryMax?: number;
  logDir?: string;
  passwordFile?: string;
  accountPasswordFile?: string;
}

type Kind = 'string' | 'boolean' | 'number' | 'path' | 'rooms';

/** Sorted as the docs list them. */
const KEYS: Readonly<Record<string, { field: keyof FileConfig; kind: Kind }>> = {
  account_password_file: { field: 'accountPasswordFile', kind: 'path' },
  bell: { field: 'bell', kind: 'boolean' },
  ca: { field: 'ca', kind: 'path' },
  insecure: { field: 'insecure', kind: 'boolean' },
  log_dir: { field: 'logDir', kind: 'path' },
  mouse: { field: 'mouse', kind: 'boolean' },
  name: { field: 'name', kind: 'string' },
  password_file: { field: 'passwordFile', kind: 'path' },
  retry_max: { field: 'retryMax', kind: 'number' },
  rooms: { field: 'rooms', kind: 'rooms' },
  seconds: { field: 'seconds', kind: 'boolean' },
  server: { field: 'server', kind: 'string' },
  tls: { field: 'tls', kind: 'boolean' },
};

/** Keys people will try, with what to write instead. */
const INSTEAD: Readonly<Record<string, string>> = {
  password: 'passwords do not go in the config file: put the server password in a file and name it with password_file',
  account_password: 'passwords do not go in the config file: put it in a file and name it with account_password_file',
  room: 'the key is rooms, a list: rooms = ["#main"]',
  address: 'the key is server',
  host: 'the key is server (host:port, or chats://host:port for TLS)',
  port: 'the key is server (host:port, or chats://host:port for TLS)',
};

/** Where the file is looked for when --config does not say. */
export function defaultConfigPath(env: { XDG_CONFIG_HOME?: string; HOME?: string }): string | undefined {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec: a relative $XDG_CONFIG_HOME is invalid and ignored.
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, 'framechat', 'config.toml');
  // No HOME given (a test of the pure parse): no default file, rather than the developer's own.
  const home = env.HOME;
  return home === undefined || home === '' ? undefined : path.join(home, '.config', 'framechat', 'config.toml');
}

/** Rooms listed in a config file, at most: more than any server lets one user be in. */
export const MAX_CONFIG_ROOMS = 100;

/** `line:column` of where `key` is set (`key = …`, `key.x = …` or `[key]`), for an error about its value. */
function where(text: string, key: string): string {
  const k = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^(\\s*)(?:\\[\\s*)?(["']?)${k}\\2\\s*[=.\\]]`);
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = pattern.exec(lines[i]!);
    if (m) return `${i + 1}:${m[1]!.length + 1}`;
  }
  return '';
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object' && value !== null) return 'a table';
  if (typeof value === 'string') return `"${value}"`;
  return String(value);
}

/**
 * The settings in `text`, the contents of the file at `file` (named in errors, and the folder
 * relative paths are resolved against). `home` expands a leading `~/` in paths.
 */
export function parseConfig(text: string, file: string, home = os.homedir()): FileConfig {
  const fail = (at: string, problem: string): never => {
    throw new ConfigError(`${file}:${at === '' ? '' : `${at}:`} ${problem}`);
  };
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const problem = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    return fail(`${err.line}:${err.column}`, `${problem} (not valid TOML)`);
  }
  const out: FileConfig = {};
  const set = out as Record<string, unknown>;
  for (const [key, value] of Object.entries(doc)) {
    const at = where(text, key);
    const spec = Object.hasOwn(KEYS, key) ? KEYS[key] : undefined;
    if (!spec) {
      const hint = Object.hasOwn(INSTEAD, key) ? INSTEAD[key]! : `known keys: ${Object.keys(KEYS).join(', ')}`;
      fail(at, `unknown key "${key}" (${hint})`);
      continue;
    }
    const wrong = (expected: string): never => fail(at, `${key} must be ${expected}, not ${typeName(value)}`);
    switch (spec.kind) {
      case 'boolean':
        if (typeof value !== 'boolean') wrong('true or false');
        set[spec.field] = value;
        break;
      case 'number':
        if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) wrong('a number of seconds above 0');
        set[spec.field] = value;
        break;
      case 'string':
        if (typeof value !== 'string') wrong('a string');
        set[spec.field] = value;
        break;
      case 'path': {
        if (typeof value !== 'string' || value === '') wrong('a path (a string)');
        const p = value as string;
        const expanded = p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
        set[spec.field] = path.resolve(path.dirname(file), expanded);
        break;
      }
      case 'rooms': {
        if (!Array.isArray(value) || value.length === 0) wrong('a list of rooms, such as ["#main", "#rust"]');
        const rooms = value as unknown[];
        if (rooms.length > MAX_CONFIG_ROOMS) fail(at, `rooms lists ${rooms.length} rooms; at most ${MAX_CONFIG_ROOMS}`);
        const seen = new Set<string>();
        set[spec.field] = rooms.map((r) => {
          if (typeof r !== 'string') return fail(at, `rooms must hold room names (strings), not ${typeName(r)}`);
          const room = normalizeRoom(r);
          if (!isValidRoom(room)) fail(at, `"${r}" is not a valid room name`);
          if (seen.has(foldName(room))) fail(at, `rooms lists ${room} twice`);
          seen.add(foldName(room));
          return room;
        });
        break;
      }
    }
  }
  if (out.name !== undefined && !isValidName(out.name))
    fail(where(text, 'name'), `"${out.name}" is not a valid name: use 1-32 letters, digits, "_", "-" or "."`);
  if (out.server !== undefined) {
    try {
      parseAddress(out.server);
    } catch (err) {
      fail(where(text, 'server'), `bad server address: ${(err as AddressError).message}`);
    }
  }
  return out;
}

/**
 * The config to use. `given`: --config FILE (must exist), false for --no-config, undefined for
 * the default file (which need not exist).
 */
export function loadConfig(
  given: string | false | undefined,
  env: { XDG_CONFIG_HOME?: string; HOME?: string },
): { file?: string; config: FileConfig } {
  if (given === false) return { config: {} };
  const file = given === undefined ? defaultConfigPath(env) : path.resolve(given);
  if (file === undefined) return { config: {} };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (given === undefined && e.code === 'ENOENT') return { config: {} };
    const problem =
      e.code === 'ENOENT'
        ? 'no such file'
        : e.code === 'EISDIR'
          ? 'is a directory, not a file'
          : e.code === 'EACCES'
            ? 'permission denied'
            : e.message;
    throw new ConfigError(`${given === undefined ? file : `--config ${given}`}: ${problem}`);
  }
  return { file, config: parseConfig(text, file, env.HOME ?? os.homedir()) };
}
