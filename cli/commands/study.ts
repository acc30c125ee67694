/**
 * `dermagan study`: the paper's central protocol, end to end, into OUT/report.html and
 * OUT/results.json. It publishes the events the services consume: with `--services embedded`
 * (default) it runs those services' handlers in this process, on the chosen bus and store; with
 * `--services external` it only publishes and waits (the services run elsewhere, e.g. a cluster).
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { FolderCache } from '@dermagan/runtime';
import { claimOutputFolder } from '@dermagan/safe-io';
import { PRESETS, STUDY_FOLDER, runStudy, StudyStepError } from '@dermagan/study';
import { loadTf } from '@dermagan/tf';
import { z } from 'zod';
import { startEmbeddedFederation, startEmbeddedServices } from '../embedded-services.ts';
import { busFor, storeFor } from '../wiring.ts';
import { UserError, printJson, progress, type Progress } from '../output.ts';
import { DEMO_DATA } from './ingest.ts';

interface StudyFlags {
  data: string;
  out: string;
  preset: keyof typeof PRESETS;
  bus: 'memory' | 'kafka';
  store: 'local' | 's3';
  /** A JSON file { tenant: SPKI PEM } of the hospitals' keys, for the federated GAN with --services external. */
  tenantKeys?: string;
  services: 'embedded' | 'external';
  bucket: string;
  /** --no-federated skips the federated GAN. */
  federated: boolean;
  json?: boolean;
}

function tenantCount(tenants: number | number[]): number {
  return Array.isArray(tenants) ? tenants.length : tenants;
}

export function registerStudy(program: Command): void {
  program
    .command('study')
    .description("Run the paper's central protocol (ingest → GANs → generate → metrics → classifier) and write the report")
    .addOption(new Option('--data <path>', 'metadata CSV or folder per class').default(DEMO_DATA, 'the shipped demo subset'))
    .requiredOption('--out <dir>', 'output folder: report.html, results.json, assets/, and (with --store local) the artifacts')
    .addOption(new Option('--preset <name>', 'quick: tiny sizes on a laptop CPU; paper: the study\'s settings').choices(Object.keys(PRESETS)).default('quick'))
    .addOption(new Option('--bus <kind>', 'event bus (kafka: DERMAGAN_KAFKA_BROKERS)').choices(['memory', 'kafka']).default('memory'))
    .addOption(new Option('--store <kind>', 'artifact store (s3: DERMAGAN_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY)').choices(['local', 's3']).default('local'))
    .addOption(new Option('--services <where>', 'run the services in this process, or rely on running ones').choices(['embedded', 'external']).default('embedded'))
    .option('--bucket <name>', 'bucket for every artifact of the study', 'dermagan')
    .option('--no-federated', 'skip the federated GAN')
    .option('--tenant-keys <file.json>', 'with --services external: the hospitals’ tenant agents’ public keys { "tenant-0": "-----BEGIN PUBLIC KEY-----…" } (without it the federated GAN is skipped)')
    .option('--json', 'print the results summary as one JSON line on stdout')
    .action(async (flags: StudyFlags) => runStudyCommand(flags));
}

async function runStudyCommand(flags: StudyFlags): Promise<void> {
  if (flags.bus === 'memory' && flags.services === 'external') {
    throw new UserError('--services external needs --bus kafka: an in-memory bus reaches no other process');
  }
  const out = resolve(flags.out);
  await claimOutputFolder(out, STUDY_FOLDER);
  const bus = busFor(flags.bus, 'dermagan-study');
  const store = storeFor(flags.store, out);
  const backend = await loadTf();
  const bars = new StepBars();
  try {
    await bus.start();
    const preset = PRESETS[flags.preset];
    if (flags.services === 'embedded') await startEmbeddedServices({ bus, store, workDir: join(out, 'work'), backend });
    // The federated GAN: tenant agents in this process, or the hospitals' own (their keys given).
    const embeddedFederation =
      flags.services === 'embedded' && preset.federation && flags.federated !== false
        ? await startEmbeddedFederation({ bus, store, workDir: join(out, 'work'), backend, tenants: tenantCount(preset.federation.tenants) })
        : undefined;
    const federation =
      embeddedFederation ?? (flags.services === 'external' && flags.tenantKeys && preset.federation && flags.federated !== false ? { publicKeys: await readTenantKeys(flags.tenantKeys) } : undefined);
    const outcome = await runStudy({
      data: resolve(flags.data),
      out,
      preset,
      ...(federation ? { federation } : {}),
      bus,
      store,
      bucket: flags.bucket,
      fetchFolder: (ref) => new FolderCache(store, join(out, 'work', 'folders')).fetch(ref),
      environment: { backend: backend.info, bus: bus.kind, store: store.url, services: flags.services },
      onProgress: (step, done, total, status) => bars.update(step, done, total, status),
    });
    bars.stop();
    await embeddedFederation?.close();
    const { results } = outcome;
    process.stderr.write(`report: ${outcome.reportPath}\nresults: ${outcome.resultsPath}\n(${results.wallSeconds.toFixed(0)} s)\n`);
    if (flags.json) {
      printJson({
        report: outcome.reportPath,
        results: outcome.resultsPath,
        wallSeconds: results.wallSeconds,
        fidelity: Object.fromEntries(results.fidelity.map((f) => [f.model, f.scores])),
        federation: results.federation ? { ratioToCentral: results.federation.ratioToCentral, scores: results.federation.scores } : null,
        utility: Object.fromEntries(results.utility.map((u) => [u.name, pick(u.measures, ['auc', 'pr_auc', 'accuracy', 'balanced_accuracy', 'sensitivity', 'specificity', 'prevalence', 'n'])])),
        backend: backend.info,
      });
    }
  } catch (err) {
    bars.stop();
    if (err instanceof StudyStepError) throw new UserError(err.message);
    throw err;
  } finally {
    await bus.close();
  }
}

/** `--tenant-keys`: { tenant: SPKI PEM }. */
async function readTenantKeys(file: string): Promise<Record<string, string>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UserError(`--tenant-keys ${file}: ${(err as Error).message}`);
  }
  const parsed = TenantKeys.safeParse(raw);
  if (!parsed.success) throw new UserError(`--tenant-keys ${file} must be a JSON object { "tenant-0": "-----BEGIN PUBLIC KEY-----…" }: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const TenantKeys = z.record(z.string().min(1), z.string().includes('PUBLIC KEY'));

function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in record).map((k) => [k, record[k]]));
}

/** One progress bar per study step, replaced when the step changes. */
class StepBars {
  private current: { step: string; bar: Progress } | undefined;
  update(step: string, done: number, total: number, status?: string): void {
    if (this.current?.step !== step) {
      this.current?.bar.stop();
      this.current = { step, bar: progress(step, total) };
    }
    this.current.bar.setTotal(total);
    this.current.bar.update(done, status);
  }
  stop(): void {
    this.current?.bar.stop();
    this.current = undefined;
  }
}

