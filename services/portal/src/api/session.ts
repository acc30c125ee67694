/** Signing in and out, and what the browser needs to know about its session. */
import { createSession, endSession, signIn } from '@dermagan/auth';
import { z } from 'zod';
import { SESSION_COOKIE, setCookie } from '../http/cookies.ts';
import { HttpError } from '../http/errors.ts';
import { route } from '../http/route.ts';
import { auth } from '../http/security.ts';
import type { PortalDeps } from '../deps.ts';
import { PrincipalView } from './schemas.ts';

export function sessionRoutes(deps: PortalDeps) {
  return [
    route({
      method: 'get',
      path: '/api/session',
      tag: 'session',
      summary: 'The signed-in account (or none) and the CSRF token to send with every change',
      access: 'public',
      response: z.object({ principal: PrincipalView.nullable(), csrfToken: z.string(), expiresAt: z.string().nullable() }),
      handle: async ({ res }) => {
        const a = auth(res);
        return { principal: a.principal, csrfToken: a.csrfToken, expiresAt: a.session?.expiresAt.toISOString() ?? null };
      },
    }),
    route({
      method: 'post',
      path: '/api/session',
      tag: 'session',
      summary: 'Sign in with a username and password (sets the session cookie)',
      access: 'public',
      body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) }),
      response: z.object({ principal: PrincipalView, csrfToken: z.string(), expiresAt: z.string() }),
      handle: async ({ body, req, res }) => {
        const { user, address } = deps.throttle;
        const [u, a] = [body.username.trim().toLowerCase(), req.ip ?? 'unknown'];
        const wait = Math.max(user.wait(u), address.wait(a));
        if (wait > 0) throw new HttpError(429, 'too-many-attempts', `too many failed sign-ins; try again in ${Math.ceil(wait / 60)} min`);
        const principal = await signIn(deps.db, body.username, body.password);
        if (!principal) {
          user.failed(u);
          address.failed(a);
          throw new HttpError(401, 'bad-credentials', 'wrong username or password');
        }
        user.succeeded(u);
        const previous = auth(res).sessionToken;
        if (previous) await endSession(deps.db, previous);
        const session = await createSession(deps.db, principal, deps.sessions);
        setCookie(res, SESSION_COOKIE, session.token, { secure: deps.secureCookies, maxAgeS: deps.sessions.absoluteS });
        return { principal, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() };
      },
    }),
    route({
      method: 'delete',
      path: '/api/session',
      tag: 'session',
      summary: 'Sign out (ends the session everywhere it is used)',
      access: 'signed-in',
      handle: async ({ res }) => {
        const token = auth(res).sessionToken;
        if (token) await endSession(deps.db, token);
        setCookie(res, SESSION_COOKIE, '', { secure: deps.secureCookies, maxAgeS: 0 });
        return { ok: true };
      },
    }),
  ];
}
