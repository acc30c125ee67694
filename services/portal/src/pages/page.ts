/**
 * Pages as a table, like the API: a path, who may open it, and what it shows. Signed out → the
 * sign-in page (coming back after); signed in with the wrong role → 403. The same access rule
 * as the API (http/route.ts `refuse`).
 */
import type { Principal } from '@dermagan/auth';
import type { Express, Request, Response } from 'express';
import type { Logger } from 'pino';
import { toHttpError } from '../http/errors.ts';
import { refuse, type Access } from '../http/route.ts';
import { auth } from '../http/security.ts';
import { html, type Html } from './html.ts';
import { layout } from './layout.ts';

export interface PageContext {
  principal: Principal | null;
  csrfToken: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  req: Request;
}

export type PageResult = { title: string; body: Html } | { redirect: string };

export interface Page {
  path: string;
  access: Access;
  render(ctx: PageContext): Promise<PageResult>;
}

export function mountPages(app: Express, pages: readonly Page[], logger: Logger): void {
  for (const page of pages) {
    app.get(page.path, async (req: Request, res: Response) => {
      const a = auth(res);
      const refused = refuse(page.access, a.principal);
      if (refused?.status === 401) return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
      res.set('Cache-Control', 'no-store');
      if (refused) return res.status(403).type('html').send(layout({ title: 'Not for this account', principal: a.principal, csrfToken: a.csrfToken, body: html`<p class="error">${refused.reason}.</p>` }));
      try {
        const result = await page.render({ principal: a.principal, csrfToken: a.csrfToken, params: req.params as Record<string, string>, query: req.query as Record<string, unknown>, req });
        if ('redirect' in result) return res.redirect(303, result.redirect);
        res.type('html').send(layout({ ...result, principal: a.principal, csrfToken: a.csrfToken }));
      } catch (err) {
        const http = toHttpError(err);
        if (!http) logger.error({ err, page: page.path }, 'page failed');
        res
          .status(http?.status ?? 500)
          .type('html')
          .send(layout({ title: http ? 'Not here' : 'Something failed', principal: a.principal, csrfToken: a.csrfToken, body: html`<p class="error">${http?.message ?? 'the portal failed to render this page; the error is in its log'}</p>` }));
      }
    });
  }
}
