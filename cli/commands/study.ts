/**
 * `dermagan study`: the paper's central protocol, end to end, into OUT/report.html and
 * OUT/results.json. It publishes the events the services consume: with `--services embedded`
 * (default) it runs those services' handlers in this process, on the chosen bus and store; with
 * `--services external` it only publishes and waits (the services run elsewhere, e.g. a cluster).
 *
 * The same command on the same OUT continues the study (OUT/study.json names it; its records are
 * in the store): finished steps are reused, cut-off ones resume from their checkpoints, changed
 * settings are refused unless `--restart` names the steps they change. The first Ctrl-C / SIGTERM
 * lets the running steps reach their next checkpoint and prints the command that continues; a
 * second one exits at once. One process at a time runs a study: OUT/.study.lock names it, and is
 * released however the command ends (`--break-lock` takes a lock left on another host); the study's
 * lease in the store (libs/study study-lease.ts) does the same across machines sharing an S3 store.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { generateTenantKeyPair, type TenantKeyPair } from '@dermagan/federation';
import { FolderCache } from '@dermagan/runtime';
import { writeFileAtomic, type FolderLock } from '@dermagan/safe-io';
import {
  lockStudyFolder, openStudy, planSteps, PRESETS, sourceFingerprint, runStudy, StudyInterruptedError, StudyStepError, LEASE_EXPIRES_MS, STUDY_LOCK_FILE,
  type OpenedStudy, type StepEvent, type StudyLease, type StudyLeaseOptions,
} from '@dermagan/study';
import { SurveyExport } from '@dermagan/survey';
import { loadTf } from '@dermagan/tf';
import { z } from 'zod';
import { readPrivateKeyFile } from '../signing-keys.ts';
import { startEmbeddedFederation, startEmbeddedServices } from '../embedded-services.ts';
import { onInterrupt } from '../interrupts.ts';
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
  /** With --tenant-keys: the operator's private key file (`dermagan federation init`) the request is signed with. */
  operatorKey?: string;
  services: 'embedded' | 'external';
  bucket: string;
  /** --no-federated skips the federated GAN. */
  federated: boolean;
  /** The expert survey's results as the portal exports them (GET /api/surveys/:id/results). */
  survey?: string;
  /** Steps to do afresh (`train`, `train:ben-gan`, `all`). */
  restart: string[];
  /** Take OUT/.study.lock and the study's lease whoever holds them (the user made sure its process is gone). */
  breakLock?: boolean;
  json?: boolean;
}

/** The flag that takes OUT/.study.lock from a process that is not taken over by itself. */
const BREAK_LOCK = '--break-lock';

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
    .option('--operator-key <file.pem>', 'with --tenant-keys: the federation operator’s private key the request is signed with (dermagan federation init)')
    .option('--tenant-keys <file.json>', 'with --services external: the hospitals’ tenant agents’ public keys { "tenant-0": "-----BEGIN PUBLIC KEY-----…" } (without it the federated GAN is skipped)')
    .option('--survey <results.json>', "the expert survey's results as the portal exports them (GET /api/surveys/<id>/results): a section of the report")
    .option('--restart <steps>', 'do these steps afresh (comma-separated, repeatable): a step (train:ben-gan), a kind (train) or all; needed to continue a study whose settings changed', collectList, [])
    .option(BREAK_LOCK, `take OUT/${STUDY_LOCK_FILE} and the study's lease in the store from the process they name: only when that process is gone (a lock left on another host; one of an ended process on this host, or a lease not renewed for ${LEASE_EXPIRES_MS / 60_000} min, is taken over without it)`)
    .option('--json', 'print the results summary as one JSON line on stdout')
    .action(async (flags: StudyFlags) => runStudyCommand(flags));
}

function collectList(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}

async function runStudyCommand(flags: StudyFlags): Promise<void> {
  if (flags.bus === 'memory' && flags.services === 'external') {
    throw new UserError('--services external needs --bus kafka: an in-memory bus reaches no other process');
  }
  const survey = flags.survey ? await readSurvey(flags.survey) : undefined;
  const out = resolve(flags.out);
  // One study process per folder, from before the study is opened until this command ends — however it
  // ends: the 'exit' listener covers a second Ctrl-C's process.exit (cli/interrupts.ts).
  const lock = await lockStudyFolder(out, { command: commandLine(), breakFlag: BREAK_LOCK, breakLock: flags.breakLock === true });
  if (lock.tookOver) process.stderr.write(`${describeTakeover(lock)}\n`);
  const release = () => void lock.release();
  process.once('exit', release);
  try {
    await runLockedStudy(flags, out, survey);
  } finally {
    lock.release();
    process.off('exit', release);
  }
}

async function runLockedStudy(flags: StudyFlags, out: string, survey: SurveyExport | undefined): Promise<void> {
  const preset = PRESETS[flags.preset];
  const data = resolve(flags.data);
  const federated = preset.federation !== null && flags.federated !== false && (flags.services === 'embedded' || flags.tenantKeys !== undefined);
  const store = storeFor(flags.store, out);

  // Which study the folder holds: a new one, or the one to continue (refused when its settings changed).
  const fingerprint = await sourceFingerprint(data);
  const steps = planSteps({ preset, federation: federated, ...(fingerprint ? { data: fingerprint } : {}) });
  // The study's lease in the store keeps a second machine (a copy of OUT, one bucket) off it; losing it stops this run.
  const leaseLost = new AbortController();
  const lease: StudyLeaseOptions = {
    command: commandLine(),
    breakFlag: BREAK_LOCK,
    breakLock: flags.breakLock === true,
    onLost: (holder) => leaseLost.abort(new Error(`the study's lease was taken by ${holder ? `pid ${holder.pid} on ${holder.host}: ${holder.command}` : 'another process'}`)),
  };
  let study: OpenedStudy;
  try {
    study = await openStudy({ out, store, bucket: flags.bucket, settings: { preset: { ...preset }, data: { path: data, fingerprint }, federated }, steps, restart: flags.restart, lease });
  } catch (err) {
    if (err instanceof StudyStepError) throw new UserError(err.message);
    throw err;
  }
  if (study.lease?.tookOver && study.lease.tookOver.why !== 'ended') process.stderr.write(`${describeLeaseTakeover(study.lease)}\n`);
  if (study.continuing) {
    const runs = study.ledger.runs();
    process.stderr.write(`continuing study ${study.runId} in ${out} (run ${runs.length + 1}; earlier: ${runs.map(describeRun).join('; ') || 'none'})\n`);
    for (const c of study.changes) process.stderr.write(`  changed: ${c}\n`);
  }
  if (study.restarted.length > 0) process.stderr.write(`  --restart: ${study.restarted.join(', ')} start afresh\n`);

  try {
    await runOpenedStudy(flags, out, survey, { study, steps, store, data, federated }, leaseLost.signal);
  } finally {
    await study.lease?.release();
  }
}

/** A study opened (and leased) with what it runs. */
interface Opened {
  study: OpenedStudy;
  steps: ReturnType<typeof planSteps>;
  store: ReturnType<typeof storeFor>;
  /** The data's path. */
  data: string;
  federated: boolean;
}

async function runOpenedStudy(flags: StudyFlags, out: string, survey: SurveyExport | undefined, { study, steps, store, data, federated }: Opened, leaseLost: AbortSignal): Promise<void> {
  const preset = PRESETS[flags.preset];
  const bus = busFor(flags.bus, 'dermagan-study');
  const backend = await loadTf();
  const bars = new StepBars();
  const interrupts = onInterrupt(
    (signal) => `\n${signal}: stopping — the running steps finish their tick or epoch and save a checkpoint (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again exits at once)\n`,
  );
  // Reused steps are told in one line.
  const reused: string[] = [];
  const flushReused = () => {
    if (reused.length > 0) bars.line(`reused (done before): ${reused.splice(0).join(', ')}`);
  };
  let embeddedFederation: Awaited<ReturnType<typeof startEmbeddedFederation>> | undefined;
  let closing: Promise<void> | undefined;
  // Closing the bus stops the services' handlers at their next checkpoint (a tick, an epoch) and waits for them.
  const close = () => (closing ??= (async () => {
    await bus.close();
    await embeddedFederation?.close();
  })());
  try {
    await bus.start();
    if (flags.services === 'embedded') await startEmbeddedServices({ bus, store, workDir: join(out, 'work'), backend });
    // The federated GAN: tenant agents in this process (their keys kept, so a continued federation accepts them), or the hospitals' own (their keys given).
    embeddedFederation =
      flags.services === 'embedded' && preset.federation && federated
        ? await startEmbeddedFederation({ bus, store, workDir: join(out, 'work'), backend, tenants: tenantCount(preset.federation.tenants), ...(await embeddedFederationKeys(join(out, 'work'), tenantCount(preset.federation.tenants))) })
        : undefined;
    const federation =
      embeddedFederation ??
      (flags.services === 'external' && flags.tenantKeys && federated
        ? { publicKeys: await readTenantKeys(flags.tenantKeys), operatorKey: await operatorKeyOf(flags.operatorKey) }
        : undefined);
    const outcome = await runStudy({
      data,
      out,
      preset,
      ...(federation ? { federation } : {}),
      ...(survey ? { survey } : {}),
      bus,
      store,
      bucket: flags.bucket,
      runId: study.runId,
      ledger: study.ledger,
      steps,
      signal: AbortSignal.any([interrupts.signal, leaseLost]),
      fetchFolder: (ref) => new FolderCache(store, join(out, 'work', 'folders')).fetch(ref),
      environment: { backend: backend.info, bus: bus.kind, store: store.url, services: flags.services },
      onProgress: (step, done, total, status) => bars.update(step, done, total, status),
      onStep: (step, event, detail) => {
        if (event === 'reused') return void reused.push(step);
        flushReused();
        const line = stepLine(step, event, detail);
        if (line) bars.line(line);
      },
    });
    flushReused();
    bars.stop();
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
    if (err instanceof StudyInterruptedError && leaseLost.aborted) {
      await close();
      throw new UserError(`stopped: ${(leaseLost.reason as Error).message} (with ${BREAK_LOCK}, or after this run had not renewed it for ${LEASE_EXPIRES_MS / 60_000} min); that process continues study ${study.runId}`);
    }
    if (err instanceof StudyInterruptedError) {
      // Let the running services reach their checkpoint, then say what is kept.
      await close();
      await reportInterruption(err, study, flags.services);
      process.exitCode = 130;
      return;
    }
    if (err instanceof StudyStepError) throw new UserError(err.message);
    throw err;
  } finally {
    await close();
    interrupts.dispose();
  }
}

/** `--survey`: the portal's results export of a closed survey. */
async function readSurvey(file: string): Promise<SurveyExport> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UserError(`--survey ${file}: ${(err as Error).message}`);
  }
  const parsed = SurveyExport.safeParse(raw);
  if (!parsed.success) {
    throw new UserError(`--survey ${file} is not a survey's results export (${parsed.error.issues[0]?.path.join('.') || 'top level'}: ${parsed.error.issues[0]?.message}); download it from the portal: GET /api/surveys/<id>/results of a closed survey`);
  }
  return parsed.data;
}

/** What an interrupted study kept, and the command that continues it. */
async function reportInterruption(err: StudyInterruptedError, study: OpenedStudy, services: StudyFlags['services']): Promise<void> {
  const done = study.ledger.runs().at(-1);
  const lines = [`stopped. Kept in ${study.runId}: ${done ? `${done.reused + done.done} finished step(s)` : 'nothing yet'}`];
  for (const { step, at } of await err.saved()) {
    lines.push(`  ${step}: ${at ? at.replace(/^resuming/, 'continues') : 'continues where its service left it'}`);
  }
  if (services === 'external') lines.push('  (the services keep working on what was asked of them; the study re-attaches to it)');
  lines.push('continue with:', `  ${continueCommand()}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}

/**
 * This command line without --restart (already applied: repeating it would start those steps afresh
 * again) and without --break-lock (the lock is released now; breaking the next one must be a choice).
 */
export function continueCommand(argv: readonly string[] = process.argv): string {
  const at = argv.indexOf('study');
  const args = argv.slice(at + 1);
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--restart') i++;
    else if (!args[i]!.startsWith('--restart=') && args[i] !== BREAK_LOCK) kept.push(args[i]!);
  }
  return ['npx', 'dermagan', 'study', ...kept].map(shellQuote).join(' ');
}

/** This process's command line as typed (recorded in the study's lock). */
function commandLine(argv: readonly string[] = process.argv): string {
  return ['dermagan', ...argv.slice(2)].map(shellQuote).join(' ');
}

/** The note when this run took the folder's lock from another process. */
function describeTakeover(lock: FolderLock): string {
  const { holder, why } = lock.tookOver!;
  const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.since}: ${holder.command}` : 'a lock that named no process';
  return why === 'ended'
    ? `${lock.path}: the study that held it (${who}) has ended without releasing it (killed, or its machine restarted); this run takes it over`
    : `${BREAK_LOCK}: took ${lock.path} from ${who}`;
}

function describeLeaseTakeover(lease: StudyLease): string {
  const { holder, why } = lease.tookOver!;
  const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.since}: ${holder.command}` : 'a lease that named no process';
  return why === 'broken' ? `${BREAK_LOCK}: took ${lease.location} from ${who}` : `${lease.location}: not renewed for over ${LEASE_EXPIRES_MS / 60_000} min by ${who}; this run takes it over`;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A progress line for a step event (resumed, redone), or null for a plain start or end. */
function stepLine(step: string, event: StepEvent, detail?: string): string | null {
  if (event === 'resumed') return `${step}: ${detail}`;
  if (event === 'started' && detail) return `${step}: done afresh: ${detail}`;
  return null;
}

function describeRun(r: { run: number; startedAt: string; stoppedAt: string | null; lastSeenAt: string; ended: string | null }): string {
  return `run ${r.run + 1} ${r.startedAt} → ${r.stoppedAt ?? `killed after ${r.lastSeenAt}`} ${r.ended ?? ''}`.trim();
}

/**
 * The embedded federation's keys (the operator's and each tenant's), kept in WORK/federation-keys.json
 * (owner only): a continued federation goes on with the keys its request and updates were signed with.
 */
async function embeddedFederationKeys(workDir: string, count: number): Promise<{ operator: TenantKeyPair; keys: Record<string, TenantKeyPair> }> {
  const file = join(workDir, 'federation-keys.json');
  let saved: { operator?: TenantKeyPair; keys?: Record<string, TenantKeyPair> } = {};
  try {
    saved = JSON.parse(await readFile(file, 'utf8')) as typeof saved;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`${file} cannot be read (${(err as Error).message}); remove it and run with --restart federate`);
  }
  const names = Array.from({ length: count }, (_, i) => `tenant-${i}`);
  const keys = saved.keys ?? {};
  if (saved.operator && names.every((n) => keys[n])) return { operator: saved.operator, keys };
  const operator = saved.operator ?? generateTenantKeyPair();
  for (const n of names) keys[n] ??= generateTenantKeyPair();
  await mkdir(workDir, { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify({ operator, keys })}\n`, 0o600);
  return { operator, keys };
}

/** `--tenant-keys`: { tenant: SPKI PEM }. */
async function operatorKeyOf(file: string | undefined): Promise<string> {
  if (!file) throw new UserError('--tenant-keys needs --operator-key: the federation request is signed with the operator’s key, which the aggregator and the hospitals verify');
  return readPrivateKeyFile(file, '--operator-key');
}

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
  /** A line of its own (the bar in progress is ended first). */
  line(text: string): void {
    this.stop();
    process.stderr.write(`${text}\n`);
  }
}

