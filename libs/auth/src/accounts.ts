/**
 * Accounts: create, find, sign in with a password. Usernames are compared case-insensitively
 * (stored lower-case). A failed sign-in costs the same time whether or not the user exists.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '@dermagan/db';
import { UniqueViolationError } from '@dermagan/db';
import { dummyHash, hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from './password.ts';
import type { Principal, Role } from './roles.ts';

export class AccountError extends Error {
  override readonly name = 'AccountError';
  readonly retriable = false;
}

export interface NewAccount {
  username: string;
  displayName?: string;
  role: Role;
  tenant?: string | null;
  surveyId?: string | null;
  /** Undefined = no password sign-in (an OIDC-only account). */
  password?: string;
}

const USERNAME = /^[a-z0-9][a-z0-9._@-]{1,63}$/;

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new AccountError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new AccountError(`the password must have at most ${MAX_PASSWORD_LENGTH} characters`);
}

export async function createAccount(db: Queryable, account: NewAccount): Promise<Principal> {
  const username = account.username.trim().toLowerCase();
  if (!USERNAME.test(username)) {
    throw new AccountError(`username ${JSON.stringify(account.username)}: use 2–64 of a-z, 0-9, '.', '_', '@', '-', starting with a letter or digit`);
  }
  const tenant = account.role === 'tenant-admin' ? (account.tenant ?? null) : null;
  const surveyId = account.role === 'expert' ? (account.surveyId ?? null) : null;
  if (account.role === 'tenant-admin' && !tenant) throw new AccountError('a tenant admin needs its tenant');
  if (account.role === 'expert' && !surveyId) throw new AccountError('an expert account belongs to one survey');
  if (account.password !== undefined) checkPassword(account.password);
  const id = randomUUID();
  const displayName = (account.displayName ?? username).trim().slice(0, 200) || username;
  try {
    await db.query(
      `insert into accounts (id, username, display_name, role, tenant, survey_id, password_hash) values ($1, $2, $3, $4, $5, $6, $7)`,
      [id, username, displayName, account.role, tenant, surveyId, account.password === undefined ? null : await hashPassword(account.password)],
    );
  } catch (err) {
    if (err instanceof UniqueViolationError) throw new AccountError(`username ${username} is taken`);
    throw err;
  }
  return { accountId: id, username, displayName, role: account.role, tenant, surveyId };
}

interface AccountRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  tenant: string | null;
  survey_id: string | null;
  password_hash: string | null;
  disabled: boolean;
  [k: string]: unknown;
}

export function principalOf(row: AccountRow): Principal {
  return { accountId: row.id, username: row.username, displayName: row.display_name, role: row.role, tenant: row.tenant, surveyId: row.survey_id };
}

/** The account for a username and password, or null (unknown user, wrong password, disabled, no password). */
export async function signIn(db: Queryable, username: string, password: string): Promise<Principal | null> {
  if (password.length > MAX_PASSWORD_LENGTH) return null;
  const { rows } = await db.query<AccountRow>('select * from accounts where username = $1', [username.trim().toLowerCase()]);
  const row = rows[0];
  const ok = await verifyPassword(password, row?.password_hash ?? (await dummyHash()));
  return row && ok && row.password_hash && !row.disabled ? principalOf(row) : null;
}

export async function findAccount(db: Queryable, id: string): Promise<Principal | null> {
  const { rows } = await db.query<AccountRow>('select * from accounts where id = $1 and not disabled', [id]);
  return rows[0] ? principalOf(rows[0]) : null;
}

/** The account an external identity (OIDC issuer + subject) is linked to, or null. */
export async function findByIdentity(db: Queryable, provider: string, subject: string): Promise<Principal | null> {
  const { rows } = await db.query<AccountRow>(
    'select a.* from identities i join accounts a on a.id = i.account_id where i.provider = $1 and i.subject = $2 and not a.disabled',
    [provider, subject],
  );
  return rows[0] ? principalOf(rows[0]) : null;
}

export async function linkIdentity(db: Queryable, accountId: string, provider: string, subject: string): Promise<void> {
  await db.query('insert into identities (provider, subject, account_id) values ($1, $2, $3) on conflict do nothing', [provider, subject, accountId]);
}

export async function listAccounts(db: Queryable): Promise<Principal[]> {
  const { rows } = await db.query<AccountRow>("select * from accounts where role <> 'expert' order by username");
  return rows.map(principalOf);
}

export async function countAccounts(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('select count(*)::int as n from accounts');
  return rows[0]?.n ?? 0;
}

export async function setPassword(db: Queryable, accountId: string, password: string): Promise<void> {
  checkPassword(password);
  await db.query('update accounts set password_hash = $2 where id = $1', [accountId, await hashPassword(password)]);
}
