/**
 * @module
 * `chat-server accounts add|remove|list|passwd NAME`: the operator's account tool. It opens the
 * store in the data directory as a second connection (`tool: true`: no server lock), so it works
 * while the server runs; the server reads accounts at every login, so a change counts from the
 * next login on. The password comes from a no-echo prompt on a terminal, or from the first line
 * of stdin when it is piped; it is never an argument (argv is visible to every user of the
 * machine) and never printed.
 *
 * Exit codes: 0 done; 1 refused (no such account, name taken, weak password, store error); 2 usage.
 */
import path from 'node:path';
import { foldName, isValidName } from '../protocol/internal.js';
import { weakPassword } from './accounts.js';
import { DEFAULT_SCRYPT, hashPassword } from './passwords.js';
import { openSqliteStore } from './store/sqlite.js';
import { MAX_ACCOUNT_PAGE, type Store } from './store/store.js';
import { MAX_PASSWORD_BYTES } from '../protocol/messages.js';

export type AccountAction = 'add' | 'remove' | 'list' | 'passwd' | 'oper';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** One line from stdin: typed without echo on a terminal, else the first line of the pipe. */
export async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) {
      text += String(chunk);
      if (text.includes('\n') || text.length > MAX_PASSWORD_BYTES * 4) break;
    }
    return text.split(/\r?\n/)[0] ?? '';
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (s: string): void => {
        for (const ch of s) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            resolve(typed);
            return;
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            reject(new CliError('cancelled', 1));
            return;
          }
          if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
          else if (typed.length <= MAX_PASSWORD_BYTES * 4) typed += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

async function newPassword(name: string): Promise<string> {
  const password = await readPassword(`New password for ${name}: `);
  if (password === '' || Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES)
    throw new CliError(`a password is 1 to ${MAX_PASSWORD_BYTES} bytes`, 1);
  const weak = weakPassword(password, 'accounts');
  if (weak) throw new CliError(weak.message, 1);
  if (process.stdin.isTTY && (await readPassword(`Again: `)) !== password) throw new CliError('the two passwords differ', 1);
  return password;
}

/** Run one account action on the store in `dataDir`; returns the lines to print. */
export async function runAccounts(
  action: AccountAction,
  name: string | undefined,
  dataDir: string,
  out: (line: string) => void,
  operOn?: boolean,
): Promise<void> {
  if (action === 'oper' && operOn === undefined) throw new CliError('accounts oper needs NAME and on or off: accounts oper alice on', 2);
  if (action !== 'list' && (name === undefined || !isValidName(name)))
    throw new CliError(`accounts ${action} needs a NAME: 1-32 letters, digits, "_", "-" or "."`, 2);
  const store = openSqliteStore(path.join(dataDir, 'framechat.sqlite'), { tool: true });
  try {
    await act(store, action, name?.normalize('NFC'), out, operOn ?? false);
  } finally {
    store.close();
  }
}

async function act(
  store: Store,
  action: AccountAction,
  name: string | undefined,
  out: (line: string) => void,
  operOn: boolean,
): Promise<void> {
  switch (action) {
    // ---- moderation ----
    case 'oper': {
      const account = await store.findAccount(name!);
      if (!account || foldName(account.name) !== foldName(name!) || !(await store.setOperator(account.name, operOn)))
        throw new CliError(`no account "${name}"`, 1);
      out(operOn ? `${account.name} is an operator` : `${account.name} is no longer an operator`);
      return;
    }
    // ---- end moderation ----
    case 'list': {
      let after: string | undefined;
      for (;;) {
        const page = await store.listAccounts(after, MAX_ACCOUNT_PAGE);
        for (const a of page)
          out(`${a.name}\t${new Date(a.createdTs).toISOString()}\tscrypt N=${a.password.N} r=${a.password.r} p=${a.password.p}`);
        if (page.length < MAX_ACCOUNT_PAGE) return;
        after = page[page.length - 1]!.name;
      }
    }
    case 'add': {
      const existing = await store.findAccount(name!);
      if (existing) throw new CliError(taken(name!, existing.name), 1);
      const password = await newPassword(name!);
      const ok = await store.createAccount({ name: name!, password: await hashPassword(password, DEFAULT_SCRYPT), createdTs: Date.now() });
      if (!ok) throw new CliError(`the name "${name}" is registered already`, 1);
      out(`account ${name} added`);
      return;
    }
    case 'passwd': {
      const account = await store.findAccount(name!);
      if (!account || foldName(account.name) !== foldName(name!)) throw new CliError(`no account "${name}"`, 1);
      const password = await newPassword(account.name);
      if (!(await store.setPassword(account.name, await hashPassword(password, DEFAULT_SCRYPT))))
        throw new CliError(`no account "${name}"`, 1);
      out(`password of ${account.name} changed`);
      return;
    }
    case 'remove': {
      const account = await store.findAccount(name!);
      if (!account || foldName(account.name) !== foldName(name!) || !(await store.deleteAccount(account.name)))
        throw new CliError(`no account "${name}"`, 1);
      out(`account ${account.name} removed; "${account.name}" is a guest name again`);
      return;
    }
  }
}

function taken(name: string, existing: string): string {
  return foldName(existing) === foldName(name)
    ? `the name "${existing}" is registered already`
    : `the name "${name}" looks like the registered name "${existing}"`;
}
