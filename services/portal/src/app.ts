/**
 * The portal's HTTP app: security headers and sessions for every request, the JSON API (one route
 * table, also published as /openapi.json), the pages, and the two static assets. Mounted on the
 * service's express app (which already serves /healthz /readyz /metrics).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import { apiRoutes } from './api/index.ts';
import type { PortalDeps } from './deps.ts';
import { errorHandler, mountRoutes, sendError } from './http/mount.ts';
import { openApiDocument } from './http/openapi.ts';
import type { ApiRoute } from './http/route.ts';
import { securityHeaders, sessionMiddleware } from './http/security.ts';
import { expertPages } from './pages/expert.ts';
import { miscPages } from './pages/misc.ts';
import type { Page } from './pages/page.ts';
import { mountPages } from './pages/page.ts';
import { runPages } from './pages/runs.ts';
import { surveyPages } from './pages/surveys.ts';

const WEB = join(dirname(fileURLToPath(import.meta.url)), 'web');
const ASSETS: Record<string, { type: string; body: Buffer }> = {
  'app.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(join(WEB, 'app.js')) },
  'style.css': { type: 'text/css; charset=utf-8', body: readFileSync(join(WEB, 'style.css')) },
};

export interface PortalApp {
  routes: ApiRoute[];
  pages: Page[];
}

export function mountPortal(app: Express, deps: PortalDeps): PortalApp {
  const finder = deps.finder;
  const routes = apiRoutes(deps, finder);
  const pages = [...runPages(deps), ...surveyPages(deps), ...expertPages(deps), ...miscPages(deps, finder)];
  const openapi = JSON.stringify(openApiDocument(routes));

  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.use(securityHeaders);
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });
  app.get('/assets/:name', (req, res) => {
    const asset = ASSETS[req.params.name];
    if (!asset) return sendError(res, 404, 'not-found', 'no such asset');
    res.type(asset.type).set('Cache-Control', 'no-cache').send(asset.body);
  });
  app.use(sessionMiddleware(deps.db, deps.sessions, deps.secureCookies));
  mountRoutes(app, routes, deps.logger);
  mountPages(app, pages, deps.logger);
  // Everything else is refused: unknown API paths answer JSON, unknown pages a 404.
  app.use('/api', (_req, res) => sendError(res, 404, 'not-found', 'no such API route (see /openapi.json)'));
  app.use((_req, res) => sendError(res, 404, 'not-found', 'no such page'));
  app.use(errorHandler(deps.logger));
  return { routes, pages };
}
