/**
 * @module
 * Rows both SQL stores keep under the same column names (SQLite and PostgreSQL), read back into
 * the Store's types: an account (the scrypt parameters in columns beside the hash), a ban and a
 * mute.
 */
import { foldName } from '../../protocol/internal.js';
import type { Account, Ban, Mute } from './store.js';

export interface AccountRow {
  name: string;
  algo: string;
  n: number;
  r: number;
  p: number;
  keylen: number;
  salt: Buffer;
  hash: Buffer;
  created_ts: number;
}

export function toAccount(row: AccountRow): Account {
  return {
    name: row.name,
    createdTs: row.created_ts,
    password: { algo: row.algo as 'scrypt', N: row.n, r: row.r, p: row.p, keylen: row.keylen, salt: row.salt, hash: row.hash },
  };
}

export interface BanRow {
  kind: string;
  target: string;
  room: string;
  display: string;
  by_name: string;
  reason: string | null;
  /** PostgreSQL's int8 may come back as a string. */
  ts: string | number;
  until_ts: string | number | null;
}

/** The key a ban is stored under: a folded name, or the address group as given. */
export function banTarget(kind: Ban['kind'], target: string): string {
  return kind === 'name' ? foldName(target) : target;
}

export function toBan(row: BanRow): Ban {
  return {
    kind: row.kind as Ban['kind'],
    target: row.display,
    ...(row.room === '' ? {} : { room: row.room }),
    by: row.by_name,
    ...(row.reason === null ? {} : { reason: row.reason }),
    ts: Number(row.ts),
    ...(row.until_ts === null ? {} : { until: Number(row.until_ts) }),
  };
}

export interface MuteRow {
  room: string;
  display: string;
  by_name: string;
  ts: string | number;
  until_ts: string | number | null;
}

export function toMute(row: MuteRow): Mute {
  return {
    room: row.room,
    name: row.display,
    by: row.by_name,
    ts: Number(row.ts),
    ...(row.until_ts === null ? {} : { until: Number(row.until_ts) }),
  };
}
