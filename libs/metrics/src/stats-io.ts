/**
 * Feature statistics on disk, so FID can be computed against stored reference statistics:
 * - `.npz` (what TTUR, pytorch-fid and clean-fid exchange): arrays `mu` [d], `sigma` [d, d] and
 *   optionally `n` (a scalar); float32 or float64; written as float64 with `n` as float64;
 * - `.json`: `{ format, n, d, mu: number[], sigma: number[][], provenance? }`.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { decodeNpy, encodeNpy, readZip, writeZip } from '@dermagan/npy';
import { MetricInputError } from './features-matrix.ts';
import type { FeatureStatistics } from './statistics.ts';

export const STATS_JSON_FORMAT = 'dermagan.feature-statistics/v1';

/** Statistics plus what made them (extractor, resize, n, version) when known. */
export interface StoredStatistics extends FeatureStatistics {
  /** Free-form provenance (the metric provenance record); only `.json` files keep it. */
  provenance?: Record<string, unknown>;
}

function checkStats(what: string, s: FeatureStatistics): void {
  if (s.mu.length !== s.d || s.sigma.length !== s.d * s.d) {
    throw new MetricInputError(`${what}: mu has ${s.mu.length} values and sigma ${s.sigma.length}, expected ${s.d} and ${s.d * s.d}`);
  }
  for (const v of s.mu) if (!Number.isFinite(v)) throw new MetricInputError(`${what}: mu holds ${v}`);
  for (const v of s.sigma) if (!Number.isFinite(v)) throw new MetricInputError(`${what}: sigma holds ${v}`);
}

/** Decode `.npz` bytes holding mu and sigma (and optionally n). */
export function decodeStatsNpz(bytes: Buffer, what = 'stats.npz'): StoredStatistics {
  const entries = readZip(bytes, what);
  const get = (name: string) => {
    const b = entries.get(`${name}.npy`);
    return b ? decodeNpy(b, `${what}:${name}`) : undefined;
  };
  const mu = get('mu');
  const sigma = get('sigma');
  if (!mu || !sigma) throw new MetricInputError(`${what}: an .npz of statistics needs arrays 'mu' and 'sigma'; found ${[...entries.keys()].join(', ') || 'none'}`);
  const d = mu.shape[0] ?? 0;
  if (mu.shape.length !== 1 || sigma.shape.length !== 2 || sigma.shape[0] !== d || sigma.shape[1] !== d) {
    throw new MetricInputError(`${what}: mu is [${mu.shape}] and sigma [${sigma.shape}], expected [d] and [d, d]`);
  }
  // `n` is informational: other tools write it as int64 (which @dermagan/npy does not read) or not at all.
  let n: ReturnType<typeof get>;
  try {
    n = get('n');
  } catch {
    n = undefined;
  }
  const stats: StoredStatistics = {
    mu: Float64Array.from(mu.data),
    sigma: Float64Array.from(sigma.data),
    n: n ? Number(n.data[0]) : 0,
    d,
  };
  checkStats(what, stats);
  return stats;
}

export function encodeStatsNpz(s: FeatureStatistics): Buffer {
  checkStats('encodeStatsNpz', s);
  return writeZip([
    ['mu.npy', encodeNpy({ dtype: 'float64', shape: [s.d], data: s.mu })],
    ['sigma.npy', encodeNpy({ dtype: 'float64', shape: [s.d, s.d], data: s.sigma })],
    ['n.npy', encodeNpy({ dtype: 'float64', shape: [], data: Float64Array.of(s.n) })],
  ]);
}

export function encodeStatsJson(s: StoredStatistics): string {
  checkStats('encodeStatsJson', s);
  const sigma: number[][] = [];
  for (let i = 0; i < s.d; i++) sigma.push(Array.from(s.sigma.subarray(i * s.d, (i + 1) * s.d)));
  return `${JSON.stringify({ format: STATS_JSON_FORMAT, n: s.n, d: s.d, mu: Array.from(s.mu), sigma, provenance: s.provenance })}\n`;
}

export function decodeStatsJson(text: string, what = 'stats.json'): StoredStatistics {
  let json: { format?: unknown; n?: unknown; d?: unknown; mu?: unknown; sigma?: unknown; provenance?: unknown };
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new MetricInputError(`${what}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (json.format !== STATS_JSON_FORMAT) throw new MetricInputError(`${what}: format is ${String(json.format)}, expected ${STATS_JSON_FORMAT}`);
  const mu = json.mu as number[];
  const rows = json.sigma as number[][];
  const d = mu?.length ?? 0;
  if (!Array.isArray(mu) || !Array.isArray(rows) || rows.length !== d || rows.some((r) => !Array.isArray(r) || r.length !== d)) {
    throw new MetricInputError(`${what}: needs mu (length d) and sigma (d rows of d)`);
  }
  const stats: StoredStatistics = { mu: Float64Array.from(mu), sigma: Float64Array.from(rows.flat()), n: Number(json.n ?? 0), d };
  if (json.provenance && typeof json.provenance === 'object') stats.provenance = json.provenance as Record<string, unknown>;
  checkStats(what, stats);
  return stats;
}

/** Read `.npz` or `.json` statistics (by extension). */
export async function readStatistics(path: string): Promise<StoredStatistics> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new MetricInputError(`cannot read statistics ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  if (path.endsWith('.npz')) return decodeStatsNpz(bytes, path);
  if (path.endsWith('.json')) return decodeStatsJson(bytes.toString('utf8'), path);
  throw new MetricInputError(`${path}: statistics files are .npz or .json`);
}

/** Write `.npz` or `.json` statistics (by extension), atomically. */
export async function writeStatistics(path: string, stats: StoredStatistics): Promise<void> {
  let body: Buffer | string;
  if (path.endsWith('.npz')) body = encodeStatsNpz(stats);
  else if (path.endsWith('.json')) body = encodeStatsJson(stats);
  else throw new MetricInputError(`${path}: statistics files are .npz or .json`);
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, body);
  await rename(tmp, path);
}
