/**
 * Runs: the list (every training, federation and study the portal saw), one run's detail (curves,
 * snapshots, federation rounds — a tenant admin sees only its own numbers), sample grids, study
 * reports, and the live stream of updates (server-sent events).
 */
import type { Principal } from '@dermagan/auth';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { AnalysisFinder } from '../analyses/find.ts';
import type { PortalDeps } from '../deps.ts';
import { HttpError } from '../http/errors.ts';
import { route } from '../http/route.ts';
import type { LiveUpdate } from '../runs/live.ts';
import { getRun, listRuns, rounds, snapshots, ticks, type RunRow } from '../runs/repository.ts';
import { requestFor, roundFor } from '../runs/tenant-view.ts';
import { IdParam, Json, RunView } from './schemas.ts';

const READERS = ['operator', 'researcher', 'tenant-admin'] as const;

export function runView(r: RunRow) {
  return { id: r.id, kind: r.kind, name: r.name, study: r.study, status: r.status, startedAt: r.startedAt.toISOString(), updatedAt: r.updatedAt.toISOString(), summary: r.summary };
}

/** Whether a principal may see a live update (the same rule as the run list). */
export function maySee(principal: Principal, u: LiveUpdate): boolean {
  if (principal.role === 'operator' || principal.role === 'researcher') return true;
  if (principal.role === 'tenant-admin') return u.tenant === principal.tenant || u.tenants.includes(principal.tenant!);
  return false;
}

export async function runDetail(deps: PortalDeps, principal: Principal, id: string) {
  const run = await getRun(deps.db, principal, id);
  if (!run) throw new HttpError(404, 'not-found', `no run ${id} (or not one you may see)`);
  const [t, s, r] = await Promise.all([ticks(deps.db, id), snapshots(deps.db, id), rounds(deps.db, id)]);
  const children = run.kind === 'study' ? (await listRuns(deps.db, principal)).runs.filter((x) => x.study === run.name && x.kind !== 'study').map(runView) : [];
  return {
    run: runView(run),
    request: requestFor(principal, run.request),
    result: principal.role === 'tenant-admin' ? null : run.result,
    ticks: t.map((x) => ({ kimg: x.kimg, stats: x.stats })),
    snapshots: s.map((x) => ({ kimg: x.kimg, grid: x.grid !== null, gridError: x.gridError })),
    rounds: r.map((x) => roundFor(principal, x.data)),
    children,
  };
}

export function runRoutes(deps: PortalDeps, finder: AnalysisFinder) {
  return [
    route({
      method: 'get',
      path: '/api/runs',
      tag: 'runs',
      summary: 'Trainings, federations and studies, most recently updated first (a tenant admin sees its tenant’s only)',
      access: READERS,
      query: z.object({ kind: z.enum(['training', 'federation', 'study']).optional(), limit: z.coerce.number().int().min(1).max(5000).default(1000), offset: z.coerce.number().int().min(0).default(0) }),
      response: z.object({ runs: z.array(RunView), total: z.number() }),
      handle: async ({ principal, query }) => {
        const { runs, total } = await listRuns(deps.db, principal!, query);
        return { runs: runs.map(runView), total };
      },
    }),
    route({
      method: 'get',
      path: '/api/runs/:id',
      tag: 'runs',
      summary: 'One run: its curves (kimg, losses, ADA p, FID when computed), snapshots with sample grids, federation rounds',
      access: READERS,
      params: IdParam,
      response: z.object({
        run: RunView,
        request: Json.nullable(),
        result: Json.nullable(),
        ticks: z.array(z.object({ kimg: z.number(), stats: z.record(z.string(), z.number()) })),
        snapshots: z.array(z.object({ kimg: z.number(), grid: z.boolean(), gridError: z.string().nullable() })),
        rounds: z.array(Json),
        children: z.array(RunView),
      }),
      handle: async ({ principal, params }) => runDetail(deps, principal!, params.id),
    }),
    route({
      method: 'get',
      path: '/api/runs/:id/snapshots/:kimg/grid.png',
      tag: 'runs',
      summary: 'The sample grid of one snapshot (16 fixed seeds)',
      access: READERS,
      params: IdParam.extend({ kimg: z.coerce.number().nonnegative() }),
      produces: 'image/png',
      handle: async ({ principal, params, res }) => {
        if (!(await getRun(deps.db, principal!, params.id))) throw new HttpError(404, 'not-found', `no run ${params.id}`);
        const snap = (await snapshots(deps.db, params.id)).find((s) => Math.abs(s.kimg - params.kimg) < 1e-9);
        if (!snap?.grid) throw new HttpError(404, 'no-grid', snap?.gridError ?? `no snapshot at ${params.kimg} kimg`);
        const bytes = await deps.store.getBytes(snap.grid.bucket as string, snap.grid.key as string);
        res.type('image/png').set('Cache-Control', 'private, max-age=3600').send(bytes);
      },
    }),
    route({
      method: 'get',
      path: '/api/runs/:id/report',
      tag: 'runs',
      summary: "A study's HTML report, when the study left it in the store (reports/<study>/report.html)",
      access: ['operator', 'researcher'],
      params: IdParam,
      produces: 'text/html',
      handle: async ({ principal, params, res }) => {
        const run = await getRun(deps.db, principal!, params.id);
        if (!run || run.kind !== 'study') throw new HttpError(404, 'not-found', `no study ${params.id}`);
        const html = await finder.report(run.name);
        if (!html) throw new HttpError(404, 'no-report', `study ${run.name} has no report in the store yet`);
        // The report is self-contained; it runs no script of ours, so it gets a sandbox of its own.
        res.type('text/html').set('Content-Security-Policy', "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'").send(html);
      },
    }),
    route({
      method: 'get',
      path: '/api/events',
      tag: 'runs',
      summary: 'Live updates as server-sent events (run, tick, snapshot, round); `run` limits them to one run',
      access: READERS,
      query: z.object({ run: z.string().max(300).optional() }),
      produces: 'text/event-stream',
      handle: async ({ principal, query, req, res }) => stream(deps, principal!, query.run, req, res),
    }),
  ];
}

/** One SSE connection: a comment every 15 s keeps proxies from closing it; it ends with the request. */
async function stream(deps: PortalDeps, principal: Principal, run: string | undefined, req: Request, res: Response): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.write('retry: 2000\n\n');
  let serial = 0;
  const unsubscribe = deps.live.subscribe((u) => {
    if (run && u.runId !== run) return;
    if (!maySee(principal, u)) return;
    const data = u.kind === 'round' ? roundFor(principal, u.data) : u.data;
    res.write(`id: ${++serial}\nevent: ${u.kind}\ndata: ${JSON.stringify({ runId: u.runId, ...data })}\n\n`);
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  heartbeat.unref();
  req.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
}
