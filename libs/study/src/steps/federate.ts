/**
 * The federated GAN (the paper's second half): `federate` runs it across the tenants of
 * `ingest:tenants` through the aggregator and the tenants' agents (FedAvg every K local
 * iterations, under secure aggregation in the presets); `checkpoint:federated` turns its global
 * weights into a checkpoint through the gan-trainer, which `generate:federated` and
 * `fidelity:federated` then sample and score like a central GAN's.
 */
import { ArtifactRef, FederationCheckpointRequested, FederationCheckpointSaved, FederationRoundCompleted, FolderRef, type FederatedGanTrainingOptions } from '@dermagan/contracts';
import { readManifest, selectImages } from '@dermagan/dataset';
import { z } from 'zod';
import { countRejections, runFederation } from '../federated.ts';
import { FederationRoundRow } from '../results.ts';
import { StudyStepError } from '../replies.ts';
import type { StepContext, StepFactory, StudyStep } from '../step.ts';
import { fidelityStepsOf } from './fidelity.ts';
import { generateStep } from './generate.ts';
import { IngestOutput } from './ingest.ts';

export const FederateOutput = z.object({
  federation: z.string(),
  global: ArtifactRef,
  epsilon: z.number().nullable(),
  /** The tenants as the manifest partitioned them (name, images, …). */
  tenants: z.array(z.record(z.string(), z.unknown())),
  /** Training images per tenant (its FedAvg weight). */
  tenantImages: z.record(z.string(), z.number().int()),
  rounds: z.array(FederationRoundRow),
  /** Rejected updates over all rounds, by reason (libs/contracts REJECTION_REASONS). */
  rejections: z.record(z.string(), z.number().int()).default({}),
  training: z.record(z.string(), z.unknown()),
  wallSeconds: z.number(),
});
export type FederateOutput = z.output<typeof FederateOutput>;

type RoundData = z.output<typeof FederationRoundCompleted.schema>;

function roundLogKey(ctx: StepContext): string {
  return `${ctx.prefix}federation-${ctx.tag}/study-rounds.json`;
}

/** The rounds the study saw, one per round attempt, kept in the store as they come. */
class RoundLog {
  rows: RoundData[] = [];
  private writing: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly ctx: StepContext,
    private readonly key: string,
  ) {}
  async load(): Promise<void> {
    if (!(await this.ctx.store.stat(this.ctx.bucket, this.key))) return;
    this.rows = z.array(FederationRoundCompleted.schema).parse(JSON.parse((await this.ctx.store.getBytes(this.ctx.bucket, this.key)).toString('utf8')));
  }
  /** The last round seen (0: none). */
  last(): number {
    return Math.max(0, ...this.rows.map((r) => r.round));
  }
  add(row: RoundData): void {
    this.rows = [...this.rows.filter((r) => r.round !== row.round || r.attempt !== row.attempt), row].sort((a, b) => a.round - b.round || a.attempt - b.attempt);
    const snapshot = JSON.stringify(this.rows);
    this.writing = this.writing.then(() => this.ctx.store.put(this.ctx.bucket, this.key, snapshot, { contentType: 'application/json' })).catch(() => undefined);
  }
  flush(): Promise<unknown> {
    return this.writing;
  }
}

export const CheckpointOutput = z.object({ checkpoint: FolderRef });

export const federationSteps: StepFactory = ({ preset, federation }) => {
  const spec = preset.federation;
  if (!spec || !federation) return [];
  const { kimg: _kimg, tickKimg: _tick, ...gan } = preset.gan;
  const training: FederatedGanTrainingOptions = { ...gan, cond: false, aug: 'bgc', seed: preset.seed };
  const federate: StudyStep<FederateOutput> = {
    name: 'federate',
    needs: ['ingest:tenants'],
    version: 1,
    inputs: { spec, training },
    output: FederateOutput,
    async resumesAt(ctx) {
      const log = new RoundLog(ctx, roundLogKey(ctx));
      await log.load();
      return log.rows.length === 0 ? null : `resuming after round ${log.last()}/${spec.rounds}`;
    },
    async run(ctx) {
      const started = Date.now();
      const partitioned = ctx.result('ingest:tenants', IngestOutput).dataset;
      const manifest = await readManifest(await ctx.fetchFolder(partitioned));
      const tenants = (manifest.tenants ?? []).map((t) => t.name);
      if (!ctx.federation) throw new StudyStepError('federated GAN: this setting runs no federation');
      const keys = ctx.federation.publicKeys;
      const missing = tenants.filter((t) => !keys[t]);
      if (missing.length > 0) throw new StudyStepError(`federated GAN: no public key for tenant(s) ${missing.join(', ')}; start their agents first`);
      // What each tenant trains on (its FedAvg weight; under secure aggregation announced before training).
      const samples = Object.fromEntries(tenants.map((t) => [t, selectImages(manifest, { tenant: t, split: ['train', 'all'] }).length]));
      const id = `${ctx.runId}-federation-${ctx.tag}`;
      // Embedded tenants train on the partitioned dataset; hospitals' agents on what their site configured.
      ctx.federation.useDataset?.(partitioned);
      // The rounds seen so far, kept beside the federation's output: a study cut off mid-federation
      // continues it (the aggregator resumes from its last completed round) and still reports the rounds it saw.
      const log = new RoundLog(ctx, roundLogKey(ctx));
      await log.load();
      ctx.progress(log.last(), spec.rounds, log.rows.length > 0 ? `continuing after round ${log.last()}` : 'starting');
      const fed = await runFederation({
        bus: ctx.bus,
        spec: {
          federation: id,
          tenants: tenants.map((tenant) => ({ tenant, dataset: partitioned, publicKey: keys[tenant]!, samples: samples[tenant]! })),
          rounds: spec.rounds,
          k: spec.k,
          strategy: { name: spec.strategy },
          secagg: spec.secagg,
          training,
          output: { bucket: ctx.bucket, prefix: `${ctx.prefix}federation-${ctx.tag}/` },
        },
        timeoutMs: ctx.timeoutMs,
        silence: ctx.silence,
        operatorKey: ctx.federation.operatorKey,
        signal: ctx.signal,
        publish: (e) => ctx.publishOnce(e),
        onRound: (r) => {
          log.add(r);
          ctx.progress(r.round, spec.rounds, `accepted ${r.accepted.length}, dropped ${r.dropped.length}, rejected ${r.rejected.length}`);
        },
      });
      await log.flush();
      const rounds = log.rows.length > 0 ? log.rows : fed.rounds;
      return {
        federation: id,
        global: fed.global,
        epsilon: fed.epsilon,
        tenants: manifest.tenants ?? [],
        tenantImages: samples,
        rounds: rounds.map((r) => ({
          round: r.round, attempt: r.attempt, participants: r.participants, accepted: r.accepted, dropped: r.dropped,
          rejected: r.rejected.map((x) => `${x.tenant}: ${x.reason}`), aggregated: r.aggregated, updateNorms: r.updateNorms,
        })),
        rejections: countRejections(rounds),
        training,
        wallSeconds: (Date.now() - started) / 1000,
      };
    },
  };
  const checkpoint: StudyStep<z.output<typeof CheckpointOutput>> = {
    name: 'checkpoint:federated',
    needs: ['federate'],
    version: 1,
    inputs: { training },
    output: CheckpointOutput,
    async run(ctx) {
      const { global } = ctx.result('federate', FederateOutput);
      const reply = await ctx.request(
        'checkpoint',
        (meta) => FederationCheckpointRequested.create({ global, training, output: { bucket: ctx.bucket, prefix: `${ctx.prefix}federation-checkpoint-${ctx.tag}/` } }, meta),
        FederationCheckpointSaved,
      );
      return { checkpoint: reply.data.checkpoint };
    },
  };
  return [
    federate,
    checkpoint,
    generateStep({ run: 'federated', from: 'checkpoint:federated', classes: null, perClass: preset.generatePerClass, unconditionalAll: true }, preset.seed, preset.truncation),
    ...fidelityStepsOf(preset, 'federated GAN', 'federated', null),
  ];
};
