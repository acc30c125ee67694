/**
 * The API as a table: each route declares its method, path, who may call it, and the zod schemas
 * of its parameters, body and answer. The same table registers the express handlers, generates
 * /openapi.json, and drives the test that tries every role against every route it must not reach.
 * A route without `access` does not type-check: nothing is reachable by default.
 */
import type { Request, Response } from 'express';
import type { Principal, Role } from '@dermagan/auth';
import type { z } from 'zod';

/** Who may call a route: anybody, any signed-in account, or these roles. */
export type Access = 'public' | 'signed-in' | readonly Role[];

export interface RouteContext<P, Q, B> {
  principal: Principal | null;
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

type AnyObject = z.ZodType<Record<string, unknown>>;

export interface ApiRoute<P extends AnyObject = AnyObject, Q extends AnyObject = AnyObject, B extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  method: 'get' | 'post' | 'delete';
  /** Express-style path under /api, e.g. `/api/surveys/:id`. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** The JSON answer's schema (OpenAPI); absent when `produces` says the route writes something else. */
  response?: R;
  /** A non-JSON answer the handler writes to `res` itself. */
  produces?: 'image/png' | 'text/csv' | 'text/event-stream' | 'text/html';
  handle(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<z.input<R> | void>;
}

/** Declare a route with its types inferred from its schemas. */
export function route<P extends AnyObject, Q extends AnyObject, B extends z.ZodType, R extends z.ZodType>(r: ApiRoute<P, Q, B, R>): ApiRoute {
  return r as unknown as ApiRoute;
}

/** Whether a principal may call a route; `null` = yes, else the refusal (401 signed out, 403 signed in). */
export function refuse(access: Access, principal: Principal | null): { status: 401 | 403; reason: string } | null {
  if (access === 'public') return null;
  if (!principal) return { status: 401, reason: 'sign in first' };
  if (access === 'signed-in' || access.includes(principal.role)) return null;
  return { status: 403, reason: `a${/^[aeiou]/.test(principal.role) ? 'n' : ''} ${principal.role} account may not do this (allowed: ${access.join(', ')})` };
}
