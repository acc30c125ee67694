import { rm } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { DATASET_FOLDER, DatasetWriter, type DatasetManifest, type QuarantineEntry } from '@dermagan/dataset';
import { checkOutputFolder, createStagingFolder, replaceFolder } from '@dermagan/safe-io';
import { INGEST_DEFAULTS } from './defaults.ts';
import { IngestError } from './errors.ts';
import { resolveLimits, type IngestLimits } from './limits.ts';
import { orderedPool } from './pool.ts';
import { preprocessFile, type PreprocessResult } from './preprocess.ts';
import { loadSource } from './sources/detect.ts';
import type { SourceKind, SourceRow } from './sources/source.ts';
import { splitByPatient, type Split } from './split.ts';
import { assignTenants, type TenantPlan, type TenantSpec } from './tenants.ts';

export interface IngestOptions {
  /** Metadata CSV (ISIC 2020 train.csv, HAM10000 metadata, derm-sample metadata.csv) or a class-folder root. */
  data: string;
  /** Folder holding a CSV source's images; undefined = where that source keeps them (beside the CSV, jpeg/train, …). */
  images?: string | undefined;
  /** Source format; 'auto' (default) detects it from the path and the CSV header. */
  source?: SourceKind | 'auto' | undefined;
  /** Output dataset folder: created, or replaced if it holds a previous dataset and nothing else (anything else: OutputRefusedError). */
  out: string;
  /** Output side in pixels (default 256). */
  size?: number | undefined;
  /** Train fraction of the patient-grouped split; null = no split (every image is 'all'). Default 0.8. */
  split?: number | null | undefined;
  /** Seed of the split and the tenant partition (default 0). */
  seed?: number | undefined;
  /** Federation tenants: a count or explicit sizes (images); null/undefined = no partition. */
  tenants?: TenantSpec | null | undefined;
  /** Smallest accepted source side in pixels (default 32). */
  minSide?: number | undefined;
  /** Images decoded at once (default 2 × cores). */
  concurrency?: number | undefined;
  /** Images per shard file (default 512). */
  shardSize?: number | undefined;
  /** Dataset name in the manifest; default the output folder's name. */
  name?: string | undefined;
  /** What ingest reads at most (image pixels and bytes, CSV size, line length, columns); undefined = INGEST_LIMITS. */
  limits?: Partial<IngestLimits> | undefined;
  /** Abort: stops decoding new images, removes the partial output and rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

export interface IngestProgress {
  /** 'images' while decoding; 'done' once the manifest is written. */
  phase: 'images' | 'done';
  /** Source rows handled so far (accepted + quarantined). */
  done: number;
  /** Source rows in total. */
  total: number;
  accepted: number;
  quarantined: number;
}

/** Image counts of the result, by split, label name and tenant ('none' for images in no tenant). */
export interface IngestCounts {
  split: Record<string, number>;
  label: Record<string, number>;
  tenant: Record<string, number>;
}

export interface IngestResult {
  manifest: DatasetManifest;
  /** Images written to the dataset. */
  accepted: number;
  /** Rejected rows, in source order, with their reason codes. */
  quarantined: QuarantineEntry[];
  /** Absolute path of the dataset folder. */
  outDir: string;
  counts: IngestCounts;
  /** What the user should know: how the source was read, tenant sizes scaled, nothing accepted. */
  warnings: string[];
}

function checkOptions(o: IngestOptions): void {
  const fail = (m: string) => {
    throw new IngestError(`ingest: ${m}`);
  };
  if (!o.data) fail('data (the metadata CSV or class-folder root) is required');
  if (!o.out) fail('out (the output folder) is required');
  if (o.size !== undefined && !(Number.isInteger(o.size) && o.size >= 1 && o.size <= 4096)) fail(`size must be an integer in [1, 4096], got ${o.size}`);
  if (o.split !== undefined && o.split !== null && !(o.split > 0 && o.split < 1)) fail(`split must be a train fraction in (0, 1) or none, got ${o.split}`);
  if (o.seed !== undefined && !Number.isInteger(o.seed)) fail(`seed must be an integer, got ${o.seed}`);
  if (o.minSide !== undefined && !(Number.isInteger(o.minSide) && o.minSide >= 1)) fail(`minSide must be a positive integer, got ${o.minSide}`);
  if (o.concurrency !== undefined && !(Number.isInteger(o.concurrency) && o.concurrency >= 1)) fail(`concurrency must be a positive integer, got ${o.concurrency}`);
  if (o.shardSize !== undefined && !(Number.isInteger(o.shardSize) && o.shardSize >= 1)) fail(`shardSize must be a positive integer, got ${o.shardSize}`);
  const t = o.tenants;
  if (typeof t === 'number' && !(Number.isInteger(t) && t >= 1)) fail(`tenants must be a positive integer count, got ${t}`);
  if (Array.isArray(t) && (t.length === 0 || t.some((s) => !(Number.isInteger(s) && s >= 1)))) fail(`tenant sizes must be positive integers, got ${t.join(',')}`);
}

/** A rejected source row, remembered with its row number so the list comes out in source order. */
interface Rejected extends QuarantineEntry {
  row: number;
}

/**
 * Read a source, preprocess every image, split by patient, partition into tenants and write a
 * dataset folder (shards + manifest.json). Bad images are quarantined with a reason, never fatal;
 * a source that cannot be read at all throws IngestError.
 */
export async function ingest(options: IngestOptions, onProgress?: (progress: IngestProgress) => void): Promise<IngestResult> {
  checkOptions(options);
  const size = options.size ?? INGEST_DEFAULTS.size;
  const split = options.split === undefined ? INGEST_DEFAULTS.split : options.split;
  const seed = options.seed ?? INGEST_DEFAULTS.seed;
  const minSide = options.minSide ?? INGEST_DEFAULTS.minSide;
  const tenants = options.tenants ?? null;
  const out = resolve(options.out);

  // Read the source and check the output folder before any work.
  const limits = resolveLimits(options.limits);
  const source = await loadSource(options.data, options.source ?? 'auto', { images: options.images, limits });
  await checkOutputFolder(out, DATASET_FOLDER);
  const warnings = [...source.notes];

  const rejected: Rejected[] = [];
  const pending: Array<{ row: SourceRow; at: number }> = [];
  source.rows.forEach((row, at) => {
    if (row.label === null) rejected.push({ row: at, id: row.id, reason: 'missing-label', detail: row.problem ?? 'no label' });
    else if (row.file === null) rejected.push({ row: at, id: row.id, reason: row.reason ?? 'missing-file', detail: row.problem ?? 'no image file' });
    else pending.push({ row, at });
  });

  const staging = await createStagingFolder(out);
  try {
    // Decode, convert, crop and resize in parallel; write in source order.
    const writer = await DatasetWriter.create({ dir: staging, size, shardSize: options.shardSize ?? INGEST_DEFAULTS.shardSize });
    const firstByHash = new Map<string, string>();
    const accepted: Array<{ id: string; patient: string; label: number }> = [];
    const total = source.rows.length;
    const report = (phase: IngestProgress['phase']) =>
      onProgress?.({ phase, done: accepted.length + rejected.length, total, accepted: accepted.length, quarantined: rejected.length });
    report('images');
    await orderedPool(
      pending,
      ({ row }) => preprocessFile(row.file!, { size, minSide, limits }),
      async (result: PreprocessResult, i) => {
        const { row, at } = pending[i]!;
        if (!result.ok) {
          rejected.push({ row: at, id: row.id, reason: result.reason, detail: result.detail });
        } else if (firstByHash.has(result.sha256)) {
          rejected.push({ row: at, id: row.id, reason: 'duplicate', detail: `same bytes as ${firstByHash.get(result.sha256)}` });
        } else {
          firstByHash.set(result.sha256, row.id);
          await writer.append(result.pixels, { id: row.id, patient: row.patient || row.id, label: row.label!, sha256: result.sha256 });
          accepted.push({ id: row.id, patient: row.patient, label: row.label! });
        }
        report('images');
      },
      { concurrency: options.concurrency ?? INGEST_DEFAULTS.concurrency, signal: options.signal },
    );
    if (accepted.length === 0) warnings.push(`no image of ${source.path} was accepted: see the quarantine list`);

    // Split by patient, then partition the train images (or all, without a split) into tenants.
    const splits: Split[] = splitByPatient(accepted, split, seed);
    const tenantOf: Array<string | null> = accepted.map(() => null);
    let plan: TenantPlan | null = null;
    if (tenants !== null) {
      const pool = accepted.map((a, i) => ({ ...a, i })).filter((_, i) => splits[i] !== 'test');
      const assigned = assignTenants(pool, tenants, seed + 1);
      pool.forEach((p, k) => (tenantOf[p.i] = assigned.tenants[k]!));
      plan = assigned.plan;
      warnings.push(...plan.warnings);
    }

    // Manifest, then the folder swap.
    rejected.sort((a, b) => a.row - b.row);
    const quarantined: QuarantineEntry[] = rejected.map(({ row: _row, ...q }) => q);
    const manifest = await writer.finish({
      name: options.name ?? basename(out),
      labels: source.labels,
      source: { kind: source.kind, path: source.path },
      split: split === null ? { kind: 'none' } : { kind: 'patient-grouped', train: split, seed },
      tenants: plan === null ? null : plan.names.map((name, i) => ({ name, requested: plan!.requested[i] ?? null })),
      quarantine: quarantined,
      placement: splits.map((s, i) => ({ split: s, tenant: tenantOf[i]! })),
    });
    await replaceFolder(staging, out, DATASET_FOLDER);
    report('done');
    return { manifest, accepted: accepted.length, quarantined, outDir: out, counts: countImages(manifest), warnings };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

/** Image counts by split, label name and tenant, keys sorted. */
export function countImages(manifest: DatasetManifest): IngestCounts {
  const counts: IngestCounts = { split: {}, label: {}, tenant: {} };
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  for (const e of manifest.images) {
    bump(counts.split, e.split);
    bump(counts.label, manifest.labels[e.label] ?? String(e.label));
    if (manifest.tenants !== null) bump(counts.tenant, e.tenant ?? 'none');
  }
  const sorted = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { split: sorted(counts.split), label: sorted(counts.label), tenant: sorted(counts.tenant) };
}
