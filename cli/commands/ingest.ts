/**
 * `dermagan ingest`: read a dermoscopy source (ISIC 2020 train.csv, HAM10000 metadata, the
 * derm-sample metadata.csv, or a folder per class), quarantine bad images, resize, split by patient,
 * partition into tenants, write shards + manifest.json; with --upload, put the dataset in an S3
 * bucket (a hospital's own) and print its reference. A thin wrapper over `ingest()` in
 * @dermagan/ingest.
 */
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import type { FolderRef, OutputLocation } from '@dermagan/contracts';
import { IngestError, INGEST_DEFAULTS, INGEST_LIMITS, LIMIT_NAMES, SOURCE_KINDS, ingest, type IngestLimits } from '@dermagan/ingest';
import { publishFolder } from '@dermagan/runtime';
import { checkBucket, checkPrefix, type ObjectStore } from '@dermagan/store';
import { UserError, finiteNumber, positiveInt, printJson, progress } from '../output.ts';
import { storeFor } from '../wiring.ts';

/** The demo subset shipped in the repository (data/demo). */
export const DEMO_DATA = fileURLToPath(new URL('../../data/demo/metadata.csv', import.meta.url));

/** Quarantine entries listed in the human-readable summary (all of them are in the manifest and --json). */
const SHOW_QUARANTINED = 20;

/** `--split 0.8` or `--split none` (kept as the string: commander turns a parser's null into ''). */
export function parseSplit(value: string): number | 'none' {
  if (value === 'none') return 'none';
  const n = finiteNumber('--split')(value);
  if (!(n > 0 && n < 1)) throw new UserError(`--split must be a train fraction between 0 and 1 (e.g. 0.8) or "none", got "${value}"`);
  return n;
}

/** `--tenants 3` (a count) or `--tenants 2000,12000,20000` (sizes). */
export function parseTenants(value: string): number | number[] {
  const parts = value.split(',').map((p) => p.trim());
  const numbers = parts.map((p) => Number(p));
  if (parts.some((p) => p === '') || numbers.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new UserError(`--tenants must be a tenant count (e.g. 3) or comma-separated sizes (e.g. 2000,12000,20000), got "${value}"`);
  }
  return parts.length === 1 ? numbers[0]! : numbers;
}

/** `--limit imagePixels=100000000` (repeatable): one ingest limit raised or lowered. */
export function parseLimit(value: string, previous: Partial<IngestLimits> = {}): Partial<IngestLimits> {
  const [name, raw] = value.split('=', 2);
  if (!LIMIT_NAMES.includes(name as keyof IngestLimits) || raw === undefined) {
    throw new UserError(`--limit must be NAME=VALUE with NAME one of ${LIMIT_NAMES.join(', ')}, got "${value}"`);
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UserError(`--limit ${name} must be a positive integer, got "${raw}"`);
  return { ...previous, [name as keyof IngestLimits]: n };
}

/** `--upload hospital-a` or `--upload hospital-a/datasets/2026/`: a bucket and a prefix (default `dataset/`). */
export function parseUpload(value: string): OutputLocation {
  const slash = value.indexOf('/');
  const bucket = slash < 0 ? value : value.slice(0, slash);
  const prefix = slash < 0 || slash === value.length - 1 ? 'dataset/' : `${value.slice(slash + 1).replace(/\/+$/, '')}/`;
  try {
    checkBucket(bucket);
    checkPrefix(prefix);
  } catch (err) {
    throw new UserError(`--upload ${JSON.stringify(value)}: ${(err as Error).message}; give BUCKET or BUCKET/PREFIX`);
  }
  return { bucket, prefix };
}

interface IngestFlags {
  data: string;
  images?: string;
  source: (typeof SOURCE_KINDS)[number] | 'auto';
  out: string;
  size: number;
  split: number | 'none' | null;
  seed: number;
  tenants?: number | number[];
  minSide: number;
  concurrency?: number;
  limit?: Partial<IngestLimits>;
  upload?: OutputLocation;
  json?: boolean;
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('Read images + metadata, quarantine bad files, resize, split by patient, partition into tenants; write a dataset folder')
    .addOption(
      new Option('--data <path>', 'metadata CSV (ISIC 2020 train.csv, HAM10000 metadata, derm-sample metadata.csv) or a folder per class')
        .default(DEMO_DATA, 'the shipped demo subset, data/demo/metadata.csv'),
    )
    .option('--images <dir>', 'folder holding the images when they are not where the source keeps them')
    .addOption(new Option('--source <kind>', 'source format').choices(['auto', ...SOURCE_KINDS]).default('auto'))
    .requiredOption('--out <dir>', 'output dataset folder (created; a previous dataset there is replaced)')
    .option('--size <px>', 'output side in pixels', positiveInt('--size'), INGEST_DEFAULTS.size)
    .option('--split <fraction|none>', 'train fraction of the patient-grouped split, or "none"', parseSplit, INGEST_DEFAULTS.split)
    .option('--seed <n>', 'seed of the split and tenant partition', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n)) throw new UserError(`--seed must be an integer, got "${v}"`);
      return n;
    }, INGEST_DEFAULTS.seed)
    .option('--tenants <n|sizes>', 'partition the train images into N tenants, or tenants of the given sizes (e.g. 2000,12000,20000)', parseTenants)
    .option('--min-side <px>', 'smallest accepted source side in pixels', positiveInt('--min-side'), INGEST_DEFAULTS.minSide)
    .option('--concurrency <n>', 'images decoded at once (default: 2 × CPU cores)', positiveInt('--concurrency'))
    .option(
      '--limit <name=value>',
      `raise or lower what ingest reads at most (repeatable): ${LIMIT_NAMES.map((n) => `${n} (default ${INGEST_LIMITS[n]})`).join(', ')}`,
      parseLimit,
    )
    .option(
      '--upload <bucket[/prefix]>',
      "then put the dataset in this S3 bucket (DERMAGAN_S3_*; a hospital's own) under prefix (default dataset/) and print its reference, the tenant agent's DERMAGAN_TENANT_DATASET",
      parseUpload,
    )
    .option('--json', 'print the result as one JSON line on stdout')
    .action(async (flags: IngestFlags) => {
      // Before the images are read: an upload without S3 settings fails now, not after the ingest.
      const target = flags.upload ? { store: storeFor('s3', ''), location: flags.upload } : null;
      const bar = progress('ingest', 0);
      let result;
      try {
        result = await ingest(
          {
            data: flags.data,
            images: flags.images,
            source: flags.source,
            out: flags.out,
            size: flags.size,
            split: flags.split === 'none' ? null : flags.split,
            seed: flags.seed,
            tenants: flags.tenants ?? null,
            minSide: flags.minSide,
            concurrency: flags.concurrency,
            limits: flags.limit,
          },
          (p) => {
            bar.setTotal(p.total);
            bar.update(p.done, `accepted ${p.accepted}, quarantined ${p.quarantined}`);
          },
        );
      } catch (err) {
        if (err instanceof IngestError) throw new UserError(err.message, { cause: err });
        throw err;
      } finally {
        bar.stop();
      }
      for (const w of result.warnings) process.stderr.write(`dermagan ingest: note: ${w}\n`);
      const dataset = target ? await upload(target.store, result.outDir, target.location) : null;
      const summary = {
        accepted: result.accepted,
        quarantined: result.quarantined.map((q) => ({ id: q.id, reason: q.reason })),
        out: result.outDir,
        fingerprint: result.manifest.fingerprint,
        counts: result.counts,
        ...(dataset ? { dataset } : {}),
      };
      if (flags.json) {
        printJson(summary);
      } else {
        const by = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k} ${v}`).join(', ');
        process.stdout.write(
          `${result.accepted} images → ${result.outDir} (${result.manifest.size}×${result.manifest.size}, fingerprint ${result.manifest.fingerprint.slice(0, 12)})\n` +
            `  split: ${by(result.counts.split)}\n  label: ${by(result.counts.label)}\n` +
            (Object.keys(result.counts.tenant).length > 0 ? `  tenant: ${by(result.counts.tenant)}\n` : '') +
            `  quarantined: ${result.quarantined.length}\n` +
            result.quarantined.slice(0, SHOW_QUARANTINED).map((q) => `    ${q.id}: ${q.reason}${q.detail ? ` (${q.detail})` : ''}\n`).join('') +
            (result.quarantined.length > SHOW_QUARANTINED
              ? `    … ${result.quarantined.length - SHOW_QUARANTINED} more in ${result.outDir}/manifest.json ("quarantine")\n`
              : ''),
        );
        if (dataset) {
          process.stdout.write(
            `  uploaded to ${dataset.bucket}/${dataset.prefix}; the tenant agent's dataset (DERMAGAN_TENANT_DATASET, the chart's tenant.dataset):\n` +
              `    ${JSON.stringify(dataset)}\n`,
          );
        }
      }
    });
}

/** Put the dataset folder in S3 (manifest last, so a half-upload is never a dataset); its reference. */
async function upload(store: ObjectStore, dir: string, location: OutputLocation): Promise<FolderRef> {
  try {
    return await publishFolder(store, dir, location, 'manifest.json');
  } catch (err) {
    throw new UserError(`--upload ${location.bucket}/${location.prefix}: ${(err as Error).message} (the dataset is complete in ${dir}; run again to retry the upload)`, { cause: err });
  }
}
