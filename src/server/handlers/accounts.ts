/**
 * @module
 * Handlers for accounts: register (the caller's current name), passwd, unregister. The Accounts
 * manager does the work (store, hashing, throttle); these map its outcome onto the session.
 */
import { ProtocolError, type PasswdMsg, type RegisterMsg, type UnregisterMsg } from '../../protocol/internal.js';
import { addressGroup } from '../address.js';
import type { Context } from '../context.js';
import type { User } from '../session.js';

function loggedInAccount(user: User, ref: string): string {
  if (user.account === undefined) throw new ProtocolError('no_account', 'You are not logged in to an account.', ref);
  return user.account;
}

/** A no_account from the store means the operator removed the account: the session is a guest now. */
function forgetRemoved(user: User, err: unknown): never {
  if (err instanceof ProtocolError && err.code === 'no_account') user.setAccount(undefined);
  throw err;
}

export async function register(ctx: Context, user: User, m: RegisterMsg): Promise<void> {
  if (ctx.config.registration === 'closed')
    throw new ProtocolError('registration_closed', 'Registration is closed on this server; ask its operator for an account.', 'register');
  if (user.account !== undefined)
    throw new ProtocolError('name_registered', `You are logged in to the account "${user.account}" already.`, 'register');
  const account = await ctx.accounts.register(user.name, m.password);
  // Input waits while this runs, so the name is still the one registered; the account is made
  // even if the session went meanwhile (its next login uses it).
  if (!user.active) return;
  user.setAccount(account.name);
  user.send({ type: 'registered', name: account.name });
}

export async function passwd(ctx: Context, user: User, m: PasswdMsg): Promise<void> {
  const account = loggedInAccount(user, 'passwd');
  await ctx.accounts.changePassword(account, addressGroup(user.ip), m.old, m.new).catch((err: unknown) => forgetRemoved(user, err));
  if (user.active) user.send({ type: 'notice', text: `The password of ${account} is changed.` });
}

export async function unregister(ctx: Context, user: User, m: UnregisterMsg): Promise<void> {
  const account = loggedInAccount(user, 'unregister');
  await ctx.accounts.unregister(account, addressGroup(user.ip), m.password).catch((err: unknown) => forgetRemoved(user, err));
  user.setAccount(undefined);
  if (user.active) user.send({ type: 'notice', text: `The account ${account} is removed; "${account}" is a guest name again.` });
}
