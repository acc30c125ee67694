/** Cookie names, reading and writing (RFC 6265): the session cookie and the anonymous CSRF cookie. */
import type { Request, Response } from 'express';

export const SESSION_COOKIE = 'dermagan_session';
/** Double-submit CSRF cookie for forms sent before signing in (sign-in, invitation acceptance). */
export const CSRF_COOKIE = 'dermagan_csrf';

export function readCookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!(name in out)) {
      try {
        out[name] = decodeURIComponent(value);
      } catch {
        // A cookie we cannot decode is not ours.
      }
    }
  }
  return out;
}

export interface CookieOptions {
  secure: boolean;
  /** Seconds; undefined = a browser-session cookie; 0 = delete. */
  maxAgeS?: number;
  /** Readable by the page's scripts (the CSRF cookie, so they can echo it). */
  script?: boolean;
}

export function setCookie(res: Response, name: string, value: string, o: CookieOptions): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'SameSite=Lax'];
  if (!o.script) parts.push('HttpOnly');
  if (o.secure) parts.push('Secure');
  if (o.maxAgeS !== undefined) parts.push(`Max-Age=${o.maxAgeS}`);
  res.append('Set-Cookie', parts.join('; '));
}
