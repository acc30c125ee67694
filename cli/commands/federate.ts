/**
 * `dermagan federate`: federated StyleGAN2-ADA across the tenants of an ingested dataset
 * (`dermagan ingest --tenants N`). The aggregator (@dermagan/federation's runner, as the
 * fl-aggregator service subscribes it) and every tenant agent run in this process with the
 * services' own handlers, on an in-memory bus and a local store (default) or on Kafka + S3
 * (`--bus kafka --store s3`, DERMAGAN_KAFKA_BROKERS and DERMAGAN_S3_*). Per-round progress and
 * every rejected update go to stderr; `--json` prints one line with a `rounds` list.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ContractError, DEFAULT_MAX_NORM_TO_MEDIAN, FederatedGanTrainingOptions } from '@dermagan/contracts';
import { DatasetError, openDataset, readManifest, selectImages } from '@dermagan/dataset';
import { decodeWeightSet, federationRequest, FederationRun, generateTenantKeyPair, STRATEGIES, watchFederation, type RoundCompletedData } from '@dermagan/federation';
import { FolderCheckpointSink, sampleGlobalModel, saveGlobalModel } from '@dermagan/gan';
import { createSnapshotFid } from '@dermagan/metrics';
import { claimOutputFolder, runFolder } from '@dermagan/safe-io';
import { createHttpApp, Gauge, listen, LOOPBACK, publishFolder, Registry } from '@dermagan/runtime';
import { aggregatorMetrics } from '@dermagan/service-fl-aggregator';
import { loadTf } from '@dermagan/tf';
import { startEmbeddedFederation } from '../embedded-services.ts';
import { finiteNumber, nonNegativeInt, positiveInt, printJson, UserError } from '../output.ts';
import { addGanTrainingFlags, ganTrainingOptionsFrom } from '../training-flags.ts';
import { busFor, storeFor } from '../wiring.ts';
import { roundLine } from '../round-line.ts';

/** What `federate --out` holds: global.dgw, checkpoint/, rounds.jsonl, federation.json, work/; recognised by its marker. */
export const FEDERATION_RUN_FOLDER = runFolder('federate', 'dermagan federation run');

const STRATEGY_FLAGS = ['fedavg', 'fedavgm', 'fedprox', 'fedadam', 'fedyogi', 'median', 'trimmed-mean', 'krum'] as const;
/** CLI names → library names (the CLI says `median`, the library `fedmedian`). */
const STRATEGY_NAMES: Record<(typeof STRATEGY_FLAGS)[number], keyof typeof STRATEGIES> = {
  fedavg: 'fedavg', fedavgm: 'fedavgm', fedprox: 'fedprox', fedadam: 'fedadam', fedyogi: 'fedyogi', median: 'fedmedian', 'trimmed-mean': 'trimmed-mean', krum: 'krum',
};

/** The federation's own flags; the training options' flags come from the schema (../training-flags.ts). */
export interface FederateFlags extends Record<string, unknown> {
  data: string;
  rounds: number;
  k: number;
  strategy: (typeof STRATEGY_FLAGS)[number];
  mu?: number;
  serverLr?: number;
  serverMomentum?: number;
  dpClip?: number;
  dpNoise?: number;
  dpDelta: number;
  secagg?: boolean;
  quorum?: number;
  roundTimeout: number;
  maxUpdateNorm?: number;
  maxNormToMedian?: number;
  id?: string;
  bus: 'memory' | 'kafka';
  store: 'local' | 's3';
  out: string;
  fid?: number;
  metricsPort?: number;
  /** Address of the metrics server (default 127.0.0.1: this machine only). */
  metricsHost?: string;
  json?: boolean;
}

/** One round as `--json` reports it. */
export interface RoundReport {
  round: number;
  attempt: number;
  participants: string[];
  accepted: string[];
  dropped: string[];
  rejected: Array<{ tenant: string; reason: string; detail: string }>;
  updateNorms: Record<string, number>;
  samples: Record<string, number>;
  aggregated: boolean;
  reasons: string[];
  globalDeltaNorm: number | null;
  /** Under secure aggregation: ‖Σ p_i·Δ_i‖ of the unmasked mean, and the bound the tenants' signed norms allow. */
  secaggMeanNorm: number | null;
  secaggBound: number | null;
  epsilon: number | null;
  /** FID (Inception-2015, sg2ada) of the round's G_ema samples to the reals (with --fid), else null. */
  fid: number | null;
}

function roundReport(r: RoundCompletedData): RoundReport {
  return {
    round: r.round, attempt: r.attempt, participants: r.participants, accepted: r.accepted, dropped: r.dropped,
    rejected: r.rejected.map((x) => ({ tenant: x.tenant, reason: x.reason, detail: x.detail })),
    updateNorms: r.updateNorms, samples: r.samples, aggregated: r.aggregated, reasons: r.reasons,
    globalDeltaNorm: r.metrics.globalDeltaNorm ?? null, secaggMeanNorm: r.metrics.secaggMeanNorm ?? null, secaggBound: r.metrics.secaggBound ?? null,
    epsilon: r.privacy?.epsilon ?? null, fid: null,
  };
}

export function registerFederate(program: Command): void {
  const command = program
    .command('federate')
    .description('Federated StyleGAN2-ADA across the tenants of an ingested dataset (aggregator + tenants in this process, or over Kafka + S3)')
    .requiredOption('--data <dir>', "dataset ingested with tenants ('dermagan ingest --tenants N')")
    .requiredOption('--rounds <n>', 'federation rounds', positiveInt('--rounds'))
    .option('--k <n>', 'local iterations per round (the study: 100)', positiveInt('--k'), 100)
    .addOption(new Option('--strategy <name>', 'aggregation rule').choices([...STRATEGY_FLAGS]).default('fedavg'))
    .option('--mu <μ>', 'FedProx proximal weight μ (with --strategy fedprox)', finiteNumber('--mu'))
    .option('--server-lr <η>', 'server learning rate η: w ← w + η·v (with --strategy fedavgm; default 1)', finiteNumber('--server-lr'))
    .option('--server-momentum <β>', 'server momentum β: v ← β·v + Δ (with --strategy fedavgm; default 0.9)', finiteNumber('--server-momentum'))
    .option('--dp-clip <C>', 'DP-FedAvg: clip each update to ‖Δ‖ ≤ C', finiteNumber('--dp-clip'))
    .option('--dp-noise <σ>', 'DP-FedAvg: Gaussian noise multiplier σ (std σ·C on the sum)', finiteNumber('--dp-noise'))
    .option('--dp-delta <δ>', 'δ the reported ε is for', finiteNumber('--dp-delta'), 1e-5)
    .option('--secagg', 'secure aggregation: tenants upload pairwise-masked updates, the aggregator sees only their sum (fedavg, fedavgm, fedprox, fedadam, fedyogi; not with DP)')
    .option('--quorum <n>', 'accepted updates needed to aggregate a round (default: every tenant)', positiveInt('--quorum'))
    .option('--round-timeout <s>', 'seconds a round stays open before stragglers are dropped', finiteNumber('--round-timeout'), 3600)
    .option('--max-update-norm <x>', 'reject updates with ‖update − global‖ above this', finiteNumber('--max-update-norm'))
    .option('--max-norm-to-median <x>', `reject updates with a norm above x × the round's median (≥ 3 updates; default ${DEFAULT_MAX_NORM_TO_MEDIAN}; 0 = off)`, finiteNumber('--max-norm-to-median'));
  // The training options (--res: default the dataset's; the seed seeds the initial model and, per tenant, its draws).
  addGanTrainingFlags(command, { omit: ['kimg', 'tickKimg'], defaults: { cfg: 'quick' } })
    .option('--id <id>', 'federation id (default: fed-<time>)')
    .addOption(new Option('--bus <kind>', 'event bus').choices(['memory', 'kafka']).default('memory'))
    .addOption(new Option('--store <kind>', 'artifact store').choices(['local', 's3']).default('local'))
    .requiredOption('--out <dir>', 'output folder: global.dgw, checkpoint/ (G_ema for generate/metrics), rounds.jsonl, federation.json')
    .option('--fid <n>', "after each round, the FID (Inception-2015, sg2ada; real statistics cached) of n G_ema samples to the dataset's reals", positiveInt('--fid'))
    .option('--metrics-port <port>', 'serve the run’s Prometheus series on http://<metrics-host>:<port>/metrics while it runs (0 = any free port)', nonNegativeInt('--metrics-port'))
    .option('--metrics-host <host>', 'address --metrics-port listens on (0.0.0.0: every interface, so other machines can scrape it)', LOOPBACK)
    .option('--json', 'print the result as one JSON line on stdout')
    .action(async (flags: FederateFlags) => {
      const result = await federate(flags);
      if (flags.json) printJson(result);
      else process.stdout.write(`${result.status}: ${result.rounds.length} round(s); global model ${result.global ?? '-'}\n`);
      if (result.status !== 'completed') process.exitCode = 1;
    });
}

/**
 * Scores a round's global model: FID (Inception-2015, sg2ada) of n G_ema samples against the
 * reals, whose statistics are computed once and cached per dataset fingerprint (the evaluation
 * sees every tenant's reals: an embedded-run aid, not something a real federation's aggregator
 * could do).
 */
async function roundScorer(dataDir: string, training: FederatedGanTrainingOptions, n: number) {
  const { tf } = await loadTf();
  const reals = await openDataset(dataDir, { split: ['train', 'all'] });
  if (reals.manifest.size !== training.res) {
    throw new UserError(`--fid compares G_ema samples at ${training.res}² with the reals, which are ${reals.manifest.size}²: ingest at --size ${training.res} or train at --res ${reals.manifest.size}`);
  }
  const fid = await createSnapshotFid(tf, { pixels: reals.pixels, n: reals.entries.length, size: reals.manifest.size, fingerprint: reals.manifest.fingerprint, selection: 'split=train,all' });
  return async (weights: Uint8Array): Promise<number | null> => (await fid.score(await sampleGlobalModel(tf, training, await decodeWeightSet(weights), n), n, training.res)).fid;
}

/** The strategy's options from its flags. */
function strategyOptions(flags: FederateFlags): Record<string, unknown> {
  return {
    ...(flags.mu !== undefined ? { proximalMu: flags.mu } : {}),
    ...(flags.serverLr !== undefined ? { serverLr: flags.serverLr } : {}),
    ...(flags.serverMomentum !== undefined ? { serverMomentum: flags.serverMomentum } : {}),
  };
}

/** Run one federation; the `--json` object. */
export async function federate(flags: FederateFlags) {
  const started = Date.now();
  if ((flags.dpClip === undefined) !== (flags.dpNoise === undefined)) throw new UserError('--dp-clip and --dp-noise go together (DP-FedAvg needs both)');
  if (flags.dpClip !== undefined && !(flags.dpClip > 0)) throw new UserError(`--dp-clip must be > 0, got ${flags.dpClip}`);
  if (flags.dpNoise !== undefined && !(flags.dpNoise >= 0)) throw new UserError(`--dp-noise must be ≥ 0, got ${flags.dpNoise}`);
  if (flags.mu !== undefined && flags.strategy !== 'fedprox') throw new UserError('--mu applies to --strategy fedprox only');
  if ((flags.serverLr !== undefined || flags.serverMomentum !== undefined) && flags.strategy !== 'fedavgm') {
    throw new UserError('--server-lr and --server-momentum apply to --strategy fedavgm only');
  }
  if (flags.serverLr !== undefined && !(flags.serverLr > 0)) throw new UserError(`--server-lr must be > 0, got ${flags.serverLr}`);
  if (flags.serverMomentum !== undefined && !(flags.serverMomentum >= 0 && flags.serverMomentum < 1)) {
    throw new UserError(`--server-momentum must be in [0, 1), got ${flags.serverMomentum}`);
  }
  if (!(flags.roundTimeout > 0)) throw new UserError(`--round-timeout must be > 0 seconds, got ${flags.roundTimeout}`);

  let manifest;
  try {
    manifest = await readManifest(flags.data);
  } catch (err) {
    if (err instanceof DatasetError) throw new UserError(err.message, { cause: err });
    throw err;
  }
  const tenants = (manifest.tenants ?? []).map((t) => t.name);
  if (tenants.length === 0) throw new UserError(`${flags.data} has no tenants; ingest it with 'dermagan ingest --tenants N' (the study: --tenants 2000,12000,20000)`);
  const quorum = flags.quorum ?? tenants.length;
  if (quorum > tenants.length) throw new UserError(`--quorum ${quorum} exceeds the dataset's ${tenants.length} tenants`);
  const out = resolve(flags.out);
  await claimOutputFolder(out, FEDERATION_RUN_FOLDER);
  // Each tenant's training images (what it weighs in FedAvg; announced before training under --secagg).
  const samples = Object.fromEntries(tenants.map((t) => [t, selectImages(manifest, { tenant: t, split: ['train', 'all'] }).length]));
  const given = ganTrainingOptionsFrom(flags, FederatedGanTrainingOptions.partial({ res: true }));
  const training: FederatedGanTrainingOptions = { ...given, res: given.res ?? manifest.size };
  const federation = flags.id ?? `fed-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}`;
  const strategyName = STRATEGY_NAMES[flags.strategy];
  const spec = {
    federation,
    secagg: flags.secagg ?? false,
    rounds: flags.rounds,
    k: flags.k,
    strategy: { name: strategyName, options: strategyOptions(flags) },
    dp: flags.dpClip !== undefined ? { clip: flags.dpClip, noiseMultiplier: flags.dpNoise!, delta: flags.dpDelta } : null,
    quorum,
    roundTimeoutMs: flags.roundTimeout * 1000,
    ...(flags.maxUpdateNorm !== undefined ? { maxUpdateNorm: flags.maxUpdateNorm } : {}),
    ...(flags.maxNormToMedian !== undefined ? { maxNormToMedian: flags.maxNormToMedian } : {}),
    training,
    output: { bucket: 'fl-aggregator', prefix: `federations/${federation}/out/` },
  };
  // This run's operator: it signs the request; the aggregator and the tenants verify with its public key.
  const operator = generateTenantKeyPair();
  // What the aggregator would refuse, refused here first, before any work (its own checks).
  let draft;
  try {
    draft = federationRequest({ ...spec, tenants: tenants.map((tenant) => ({ tenant, publicKey: 'pending', samples: samples[tenant]! })) }, operator.privateKeyPem).data;
  } catch (err) {
    if (err instanceof ContractError) throw new UserError(`${err.message} (training options from the flags and the dataset)`, { cause: err });
    throw err;
  }
  const strategyProblem = FederationRun.strategyRefusal(draft);
  if (strategyProblem) throw new UserError(`--strategy ${flags.strategy}: ${strategyProblem}`);
  const secure = FederationRun.secureAggregationRefusal(draft);
  if (secure) throw new UserError(`--secagg: ${secure}`);

  const bus = busFor(flags.bus, 'dermagan-federate');
  const store = storeFor(flags.store, out);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const rounds: RoundReport[] = [];
  const score = flags.fid ? await roundScorer(flags.data, training, flags.fid) : null;
  let scoring: Promise<void> = Promise.resolve();
  // The aggregator's series (rounds, participants, rejections by reason, norms, ε) and the per-round FD.
  const registry = new Registry();
  const roundFd = new Gauge({ name: 'dermagan_federation_round_fid', help: 'FID (Inception-2015) of the last scored round’s G_ema samples to the reals (federate --fid)', labelNames: ['federation'], registers: [registry] });
  const metricsHost = flags.metricsHost ?? LOOPBACK;
  const http = flags.metricsPort !== undefined ? await listen(createHttpApp(registry, []), flags.metricsPort, metricsHost) : null;
  if (http) log(`federate: Prometheus series at http://${metricsHost}:${http.port}/metrics`);
  try {
    await bus.start();
    const dataset = await publishFolder(store, flags.data, { bucket: 'datasets', prefix: `${manifest.name}-${manifest.fingerprint.slice(0, 12)}/` }, 'manifest.json');

    // The aggregator (every rejection on stderr) and the tenants, each with its own key pair and bucket.
    const running = await startEmbeddedFederation({
      bus,
      store,
      backend: await loadTf(),
      workDir: join(out, 'work'),
      tenants,
      dataset,
      operator,
      logger: { info: () => {}, warn: (o, m) => log(`federate: ${m} ${JSON.stringify(o)}`), error: (o, m) => log(`federate: ${m} ${JSON.stringify(o)}`) },
      metrics: aggregatorMetrics(registry),
      onRound: (r) => log(`federate: round ${r.round} ${r.tenant}: ${r.iterations} iterations in ${r.seconds.toFixed(1)} s (p ${r.adaP.toFixed(3)})`),
    });

    const { done } = await watchFederation(bus, federation, (r) => {
      const report = roundReport(r);
      rounds.push(report);
      if (score && r.aggregated) {
        scoring = scoring
          .then(async () => {
            report.fid = await score(await store.getBytes(r.global.bucket, r.global.key));
            if (report.fid !== null) roundFd.set({ federation }, report.fid);
            log(`federate: round ${r.round} FID ${report.fid?.toFixed(2)}`);
          })
          .catch((err: unknown) => void log(`federate: round ${r.round} could not be scored: ${(err as Error).message}`));
      }
      log(`federate: ${roundLine(r, flags.rounds)}`);
    });
    await bus.publish(
      federationRequest({ ...spec, tenants: running.agents.map((a) => ({ tenant: a.tenant, dataset, publicKey: a.keys.publicKeyPem, samples: samples[a.tenant]! })) }, operator.privateKeyPem),
    );
    const outcome = await done;
    await scoring;
    await running.close();

    // The final global model: the weight file and an engine checkpoint of it.
    let globalPath: string | null = null;
    let checkpoint: string | null = null;
    if (outcome.status === 'completed') {
      const ref = outcome.completed.global;
      const bytes = await store.getBytes(ref.bucket, ref.key);
      globalPath = join(out, 'global.dgw');
      await writeFile(globalPath, bytes);
      checkpoint = join(out, 'checkpoint');
      const { tf, info } = await loadTf();
      await saveGlobalModel(tf, training, await decodeWeightSet(bytes, globalPath), new FolderCheckpointSink(checkpoint), { backend: { ...info } });
    }
    const result = {
      federation,
      status: outcome.status,
      ...(outcome.status === 'failed' ? { reason: outcome.reason } : {}),
      tenants,
      strategy: strategyName,
      strategyOptions: strategyOptions(flags),
      k: flags.k,
      quorum,
      dp: flags.dpClip !== undefined ? { clip: flags.dpClip, noise: flags.dpNoise, delta: flags.dpDelta } : null,
      secagg: flags.secagg ?? false,
      epsilon: outcome.status === 'completed' ? (outcome.completed.privacy?.epsilon ?? null) : null,
      rounds,
      global: globalPath,
      checkpoint,
      training,
      bus: flags.bus,
      store: store.url,
      wallSeconds: (Date.now() - started) / 1000,
    };
    await writeFile(join(out, 'rounds.jsonl'), rounds.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await writeFile(join(out, 'federation.json'), JSON.stringify(result, null, 1));
    return result;
  } finally {
    await bus.close();
    if (http) await new Promise<void>((resolve) => http.server.close(() => resolve()));
  }
}

