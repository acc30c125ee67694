/**
 * The run index in the portal's database: what the indexer writes from bus events and what the
 * pages and the API read. Every write is idempotent (an event delivered twice changes nothing
 * twice): rows are keyed by run and kimg / round, and status only moves forward.
 */
import type { Principal } from '@dermagan/auth';
import type { Queryable } from '@dermagan/db';

export type RunKind = 'training' | 'federation' | 'study';
export type RunStatus = 'requested' | 'running' | 'completed' | 'failed';

export interface RunRow {
  id: string;
  kind: RunKind;
  name: string;
  study: string | null;
  tenant: string | null;
  tenants: string[];
  status: RunStatus;
  startedAt: Date;
  updatedAt: Date;
  summary: Record<string, unknown>;
  request: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
}

const STATUS_ORDER: RunStatus[] = ['requested', 'running', 'completed', 'failed'];

function runOf(r: Record<string, unknown>): RunRow {
  return {
    id: r.id as string,
    kind: r.kind as RunKind,
    name: r.name as string,
    study: (r.study as string | null) ?? null,
    tenant: (r.tenant as string | null) ?? null,
    tenants: (r.tenants as string[]) ?? [],
    status: r.status as RunStatus,
    startedAt: r.started_at as Date,
    updatedAt: r.updated_at as Date,
    summary: (r.summary as Record<string, unknown>) ?? {},
    request: (r.request as Record<string, unknown> | null) ?? null,
    result: (r.result as Record<string, unknown> | null) ?? null,
  };
}

export interface RunUpsert {
  id: string;
  kind: RunKind;
  name: string;
  study?: string | null;
  tenant?: string | null;
  tenants?: string[];
  status: RunStatus;
  at: Date;
  /** Merged into the summary (keys given replace keys stored). */
  summary?: Record<string, unknown>;
  request?: Record<string, unknown>;
  result?: Record<string, unknown>;
}

/** Create or update a run; its status only moves forward (requested → running → completed/failed). */
export async function upsertRun(db: Queryable, u: RunUpsert): Promise<void> {
  await db.query(
    `insert into runs (id, kind, name, study, tenant, tenants, status, started_at, updated_at, summary, request, result)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11)
     on conflict (id) do update set
       status = case when array_position($12::text[], excluded.status) > array_position($12::text[], runs.status) then excluded.status else runs.status end,
       updated_at = greatest(runs.updated_at, excluded.updated_at),
       summary = runs.summary || excluded.summary,
       tenants = case when excluded.tenants = '[]'::jsonb then runs.tenants else excluded.tenants end,
       request = coalesce(excluded.request, runs.request),
       result = coalesce(excluded.result, runs.result)`,
    [
      u.id, u.kind, u.name, u.study ?? null, u.tenant ?? null, JSON.stringify(u.tenants ?? []), u.status, u.at,
      JSON.stringify(u.summary ?? {}), u.request ? JSON.stringify(u.request) : null, u.result ? JSON.stringify(u.result) : null, STATUS_ORDER,
    ],
  );
}

/** SQL condition (and its parameter) limiting runs to what a principal may see. */
function visibility(principal: Principal, param: number): { sql: string; params: unknown[] } {
  if (principal.role === 'tenant-admin') return { sql: `(r.tenant = $${param} or r.tenants ? $${param})`, params: [principal.tenant] };
  if (principal.role === 'operator' || principal.role === 'researcher') return { sql: 'true', params: [] };
  return { sql: 'false', params: [] };
}

export interface ListOptions {
  kind?: RunKind;
  limit?: number;
  offset?: number;
}

export async function listRuns(db: Queryable, principal: Principal, options: ListOptions = {}): Promise<{ runs: RunRow[]; total: number }> {
  const v = visibility(principal, 1);
  const where = [v.sql, ...(options.kind ? [`r.kind = $${v.params.length + 1}`] : [])].join(' and ');
  const params = [...v.params, ...(options.kind ? [options.kind] : [])];
  const { rows } = await db.query(
    `select r.*, count(*) over ()::int as total from runs r where ${where} order by r.updated_at desc, r.id limit ${Math.min(options.limit ?? 1000, 5000)} offset ${Math.max(0, options.offset ?? 0)}`,
    params,
  );
  return { runs: rows.map(runOf), total: (rows[0]?.total as number | undefined) ?? 0 };
}

/** One run if the principal may see it, else null (not found and not allowed look the same). */
export async function getRun(db: Queryable, principal: Principal, id: string): Promise<RunRow | null> {
  const v = visibility(principal, 2);
  const { rows } = await db.query(`select r.* from runs r where r.id = $1 and ${v.sql}`, [id, ...v.params]);
  return rows[0] ? runOf(rows[0]) : null;
}

/**
 * Record a tick's numbers; numbers reported later for the same kimg (a snapshot's FID arrives
 * after its tick) join the same row. Returns the tick's numbers after the merge.
 */
export async function addTick(db: Queryable, runId: string, kimg: number, stats: Record<string, number>, at: Date): Promise<Record<string, number>> {
  const { rows } = await db.query<{ stats: Record<string, number> }>(
    `insert into run_ticks (run_id, kimg, stats, at) values ($1, $2, $3, $4)
     on conflict (run_id, kimg) do update set stats = run_ticks.stats || excluded.stats
     returning stats`,
    [runId, kimg, JSON.stringify(stats), at],
  );
  return rows[0]!.stats;
}

export async function ticks(db: Queryable, runId: string): Promise<Array<{ kimg: number; stats: Record<string, number>; at: Date }>> {
  const { rows } = await db.query('select kimg, stats, at from run_ticks where run_id = $1 order by kimg', [runId]);
  return rows.map((r) => ({ kimg: r.kimg as number, stats: r.stats as Record<string, number>, at: r.at as Date }));
}

export interface SnapshotRow {
  kimg: number;
  checkpoint: Record<string, unknown>;
  grid: Record<string, unknown> | null;
  gridError: string | null;
  at: Date;
}

export async function addSnapshot(db: Queryable, runId: string, kimg: number, checkpoint: Record<string, unknown>, at: Date): Promise<boolean> {
  const { rowCount } = await db.query('insert into snapshots (run_id, kimg, checkpoint, at) values ($1, $2, $3, $4) on conflict do nothing', [runId, kimg, JSON.stringify(checkpoint), at]);
  return rowCount > 0;
}

export async function setGrid(db: Queryable, runId: string, kimg: number, grid: Record<string, unknown> | null, error: string | null): Promise<void> {
  await db.query('update snapshots set grid = $3, grid_error = $4 where run_id = $1 and kimg = $2', [runId, kimg, grid ? JSON.stringify(grid) : null, error]);
}

export async function snapshots(db: Queryable, runId: string): Promise<SnapshotRow[]> {
  const { rows } = await db.query('select * from snapshots where run_id = $1 order by kimg', [runId]);
  return rows.map((r) => ({ kimg: r.kimg as number, checkpoint: r.checkpoint as Record<string, unknown>, grid: (r.grid as Record<string, unknown> | null) ?? null, gridError: (r.grid_error as string | null) ?? null, at: r.at as Date }));
}

export async function addRound(db: Queryable, runId: string, round: number, attempt: number, data: Record<string, unknown>, at: Date): Promise<boolean> {
  const { rowCount } = await db.query('insert into federation_rounds (run_id, round, attempt, data, at) values ($1, $2, $3, $4, $5) on conflict do nothing', [runId, round, attempt, JSON.stringify(data), at]);
  return rowCount > 0;
}

export async function rounds(db: Queryable, runId: string): Promise<Array<{ round: number; attempt: number; data: Record<string, unknown>; at: Date }>> {
  const { rows } = await db.query('select * from federation_rounds where run_id = $1 order by round, attempt', [runId]);
  return rows.map((r) => ({ round: r.round as number, attempt: r.attempt as number, data: r.data as Record<string, unknown>, at: r.at as Date }));
}

export interface DatasetRow {
  bucket: string;
  prefix: string;
  name: string;
  kind: 'real' | 'synthetic';
  count: number;
  ref: Record<string, unknown>;
  at: Date;
}

export async function upsertDataset(db: Queryable, d: DatasetRow): Promise<void> {
  await db.query(
    `insert into datasets (bucket, prefix, name, kind, count, ref, at) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (bucket, prefix) do update set name = excluded.name, kind = excluded.kind, count = excluded.count, ref = excluded.ref, at = excluded.at`,
    [d.bucket, d.prefix, d.name, d.kind, d.count, JSON.stringify(d.ref), d.at],
  );
}

export async function listDatasets(db: Queryable): Promise<DatasetRow[]> {
  const { rows } = await db.query('select * from datasets order by at desc');
  return rows.map((r) => ({ bucket: r.bucket as string, prefix: r.prefix as string, name: r.name as string, kind: r.kind as 'real' | 'synthetic', count: r.count as number, ref: r.ref as Record<string, unknown>, at: r.at as Date }));
}

export async function getDataset(db: Queryable, bucket: string, prefix: string): Promise<DatasetRow | null> {
  const { rows } = await db.query('select * from datasets where bucket = $1 and prefix = $2', [bucket, prefix]);
  const r = rows[0];
  return r ? { bucket: r.bucket as string, prefix: r.prefix as string, name: r.name as string, kind: r.kind as 'real' | 'synthetic', count: r.count as number, ref: r.ref as Record<string, unknown>, at: r.at as Date } : null;
}
