/**
 * Register the route table on express: access check, CSRF check, zod-validated params, query and
 * body, the handler, and one error shape `{ error, reason }` for every refusal.
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { HttpError, toHttpError } from './errors.ts';
import { refuse, type ApiRoute } from './route.ts';
import { auth, csrfProblem } from './security.ts';

export function sendError(res: Response, status: number, code: string, reason: string): void {
  if (res.headersSent) return;
  res.status(status).json({ error: code, reason });
}

export function mountRoutes(app: Express, routes: readonly ApiRoute[], logger: Logger): void {
  const json = express.json({ limit: '256kb' });
  for (const r of routes) {
    app[r.method](r.path, json, async (req: Request, res: Response) => {
      const state = auth(res);
      const refused = refuse(r.access, state.principal);
      if (refused) return sendError(res, refused.status, refused.status === 401 ? 'unauthenticated' : 'forbidden', refused.reason);
      const csrf = csrfProblem(req, state);
      if (csrf) return sendError(res, 403, 'csrf', csrf);
      try {
        const params = parse(r.params, req.params, 'path parameter');
        const query = parse(r.query, req.query, 'query parameter');
        const body = parse(r.body, req.body ?? {}, 'body');
        const result = await r.handle({ principal: state.principal, params, query, body, req, res });
        if (!r.produces && !res.headersSent) res.json(result ?? { ok: true });
      } catch (err) {
        const http = toHttpError(err);
        if (http) return sendError(res, http.status, http.code, http.message);
        logger.error({ err, route: `${r.method.toUpperCase()} ${r.path}` }, 'request failed');
        sendError(res, 500, 'internal', 'the portal failed to answer; the error is in its log');
      }
    });
  }
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, what: string): T {
  if (!schema) return {} as T;
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, 'invalid-request', `invalid ${what}: ${z.prettifyError(result.error)}`);
  return result.data;
}

/** Last handler: malformed JSON and anything that escaped a route. */
export function errorHandler(logger: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) return sendError(res, status, 'invalid-request', (err as Error).message);
    logger.error({ err }, 'request failed');
    sendError(res, 500, 'internal', 'the portal failed to answer; the error is in its log');
  };
}
