/**
 * /openapi.json from the route table: the same zod schemas that validate the requests describe
 * them (zod's own JSON Schema output, draft 2020-12 as OpenAPI 3.1 uses); no hand-written copy.
 */
import { DERMAGAN_VERSION } from '@dermagan/contracts';
import { z } from 'zod';
import type { ApiRoute } from './route.ts';
import { CSRF_HEADER } from './security.ts';
import { SESSION_COOKIE } from './cookies.ts';

const ErrorBody = z.object({ error: z.string().describe('machine-readable code, e.g. forbidden, already-answered'), reason: z.string() });

export function openApiDocument(routes: readonly ApiRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const parameters = [
      ...objectParams(r.params, 'path'),
      ...objectParams(r.query, 'query'),
      ...(r.method === 'get' ? [] : [{ name: CSRF_HEADER, in: 'header', required: true, schema: { type: 'string' }, description: "the session's CSRF token (GET /api/session)" }]),
    ];
    const ok: Record<string, unknown> = r.produces
      ? { description: r.produces, content: { [r.produces]: {} } }
      : { description: 'OK', content: { 'application/json': { schema: schema(r.response ?? z.object({ ok: z.literal(true) }), 'output') } } };
    (paths[path] ??= {})[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(r.body, 'input') } } } } : {}),
      ...(r.access === 'public' ? { security: [] } : {}),
      'x-dermagan-access': r.access,
      responses: {
        200: ok,
        400: errorResponse('invalid request'),
        ...(r.access === 'public' ? {} : { 401: errorResponse('not signed in'), 403: errorResponse('signed in with a role that may not do this, or a CSRF failure') }),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'dermagan portal API', version: DERMAGAN_VERSION, description: 'Runs, federations, the latent explorer, the privacy audit and the expert survey.' },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE } } },
    security: [{ session: [] }],
    paths,
  };
}

function schema(s: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: schema(ErrorBody, 'output') } } };
}

function objectParams(s: z.ZodType | undefined, where: 'path' | 'query') {
  if (!s) return [];
  const json = schema(s, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: p,
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
  }));
}
