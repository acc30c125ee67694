/**
 * Every request passes here first: security headers, the session (cookie → principal), and for
 * anything that changes state a CSRF check — the session's synchroniser token in `X-CSRF-Token`
 * for a signed-in request, or the double-submit cookie for the two forms sent before signing in —
 * plus a same-origin check of `Origin` when the browser sends one.
 */
import type { NextFunction, Request, Response } from 'express';
import { newToken, resolveSession, sameSecret, type Principal, type Session, type SessionPolicy } from '@dermagan/auth';
import type { Queryable } from '@dermagan/db';
import { CSRF_COOKIE, readCookies, SESSION_COOKIE, setCookie } from './cookies.ts';

export const CSRF_HEADER = 'x-csrf-token';

export interface RequestAuth {
  session: Session | null;
  principal: Principal | null;
  /** The token a page must send back with its forms (the session's, or the anonymous cookie's). */
  csrfToken: string;
  sessionToken: string | null;
}

export function auth(res: Response): RequestAuth {
  return res.locals.auth as RequestAuth;
}

/** Content-Security-Policy: only our own scripts, styles and images; no framing. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });
  next();
}

export function sessionMiddleware(db: Queryable, policy: SessionPolicy, secure: boolean) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const cookies = readCookies(req);
      const token = cookies[SESSION_COOKIE] ?? null;
      const session = token ? await resolveSession(db, token, policy) : null;
      let anonymous = cookies[CSRF_COOKIE];
      if (!session && !(anonymous && /^[A-Za-z0-9_-]{43}$/.test(anonymous))) {
        anonymous = newToken();
        setCookie(res, CSRF_COOKIE, anonymous, { secure, script: true });
      }
      const state: RequestAuth = { session, principal: session?.principal ?? null, csrfToken: session?.csrfToken ?? anonymous!, sessionToken: session ? token : null };
      res.locals.auth = state;
      next();
    } catch (err) {
      next(err);
    }
  };
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Why a state-changing request fails the CSRF check, or null when it passes. */
export function csrfProblem(req: Request, state: RequestAuth): string | null {
  if (SAFE.has(req.method)) return null;
  const origin = req.get('origin');
  if (origin !== undefined) {
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    if (host !== req.get('host')) return `cross-origin request from ${origin} refused`;
  }
  const sent = req.get(CSRF_HEADER) ?? (typeof req.body?._csrf === 'string' ? (req.body._csrf as string) : '');
  if (!sent) return `the ${CSRF_HEADER} header is missing (reload the page)`;
  if (state.session) return sameSecret(sent, state.session.csrfToken) ? null : 'the CSRF token does not match this session (reload the page)';
  const cookie = readCookies(req)[CSRF_COOKIE];
  return cookie && sameSecret(sent, cookie) ? null : 'the CSRF token does not match its cookie (reload the page)';
}
