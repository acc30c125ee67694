/**
 * Server-side sessions: the browser holds a random token in an HttpOnly cookie; the database holds
 * its SHA-256, the account, the session's CSRF token and two ends — an absolute one (sign in again
 * after `absoluteS`) and an idle one (`idleS` after the last request). Signing out deletes the row.
 */
import type { Queryable } from '@dermagan/db';
import { principalOf } from './accounts.ts';
import type { Principal } from './roles.ts';
import { newToken, tokenHash } from './tokens.ts';

export interface SessionPolicy {
  /** Seconds a session lives at most (default 12 h). */
  absoluteS: number;
  /** Seconds of inactivity that end it (default 2 h: an expert can pause a survey for a coffee, not for a night). */
  idleS: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { absoluteS: 12 * 3600, idleS: 2 * 3600 };

/** last_seen_at is written at most this often (seconds), so reads do not turn into writes. */
const TOUCH_EVERY_S = 60;

export interface Session {
  principal: Principal;
  csrfToken: string;
  expiresAt: Date;
}

export interface NewSession extends Session {
  /** The cookie value (only this call ever sees it). */
  token: string;
}

export async function createSession(db: Queryable, principal: Principal, policy: SessionPolicy = DEFAULT_SESSION_POLICY): Promise<NewSession> {
  const token = newToken();
  const csrfToken = newToken();
  const expiresAt = new Date(Date.now() + policy.absoluteS * 1000);
  await db.query('insert into sessions (token_hash, account_id, csrf_token, expires_at) values ($1, $2, $3, $4)', [tokenHash(token), principal.accountId, csrfToken, expiresAt]);
  return { token, csrfToken, expiresAt, principal };
}

/** The live session of a cookie token, or null (unknown, expired, idle too long, account disabled). */
export async function resolveSession(db: Queryable, token: string, policy: SessionPolicy = DEFAULT_SESSION_POLICY): Promise<Session | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const hash = tokenHash(token);
  const { rows } = await db.query<Record<string, unknown>>(
    `select s.csrf_token, s.expires_at, s.last_seen_at, a.*
       from sessions s join accounts a on a.id = s.account_id
      where s.token_hash = $1 and s.expires_at > now() and s.last_seen_at > now() - make_interval(secs => $2) and not a.disabled`,
    [hash, policy.idleS],
  );
  const row = rows[0];
  if (!row) return null;
  if (Date.now() - (row.last_seen_at as Date).getTime() > TOUCH_EVERY_S * 1000) {
    await db.query('update sessions set last_seen_at = now() where token_hash = $1', [hash]);
  }
  return { principal: principalOf(row as Parameters<typeof principalOf>[0]), csrfToken: row.csrf_token as string, expiresAt: row.expires_at as Date };
}

export async function endSession(db: Queryable, token: string): Promise<void> {
  await db.query('delete from sessions where token_hash = $1', [tokenHash(token)]);
}

/** Remove sessions past either end (run now and then; expired rows are never honoured anyway). */
export async function pruneSessions(db: Queryable, policy: SessionPolicy = DEFAULT_SESSION_POLICY): Promise<number> {
  const { rowCount } = await db.query('delete from sessions where expires_at <= now() or last_seen_at <= now() - make_interval(secs => $1)', [policy.idleS]);
  return rowCount;
}
