/**
 * @module
 * An account as both SQL stores keep it: one row, the scrypt parameters in columns beside the hash
 * (the same names in SQLite and PostgreSQL), read back into the Store's Account.
 */
import type { Account } from './store.js';

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
