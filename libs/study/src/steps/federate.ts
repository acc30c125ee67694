/**
 * The federated GAN (the paper's second half): `federate` runs it across the tenants of
 * `ingest:tenants` through the aggregator and the tenants' agents (FedAvg every K local
 * iterations, under secure aggregation in the presets); `checkpoint:federated` turns its global
 * weights into a checkpoint through the gan-trainer, which `generate:federated` and
 * `fidelity:federated` then sample and score like a central GAN's.
 */
import { ArtifactRef, FederationCheckpointRequested, FederationCheckpointSaved, FolderRef, type FederatedGanTrainingOptions } from '@dermagan/contracts';
import { readManifest, selectImages } from '@dermagan/dataset';
import { z } from 'zod';
import { runFederation } from '../federated.ts';
import { FederationRoundRow } from '../results.ts';
import { StudyStepError } from '../replies.ts';
import type { StepFactory, StudyStep } from '../step.ts';
import { fidelityStep } from './fidelity.ts';
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
  training: z.record(z.string(), z.unknown()),
  wallSeconds: z.number(),
});
export type FederateOutput = z.output<typeof FederateOutput>;

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
    async run(ctx) {
      const started = Date.now();
      const partitioned = ctx.result('ingest:tenants', IngestOutput).dataset;
      const manifest = await readManifest(await ctx.fetchFolder(partitioned));
      const tenants = (manifest.tenants ?? []).map((t) => t.name);
      const keys = ctx.federation?.publicKeys ?? {};
      const missing = tenants.filter((t) => !keys[t]);
      if (missing.length > 0) throw new StudyStepError(`federated GAN: no public key for tenant(s) ${missing.join(', ')}; start their agents first`);
      // What each tenant trains on (its FedAvg weight; under secure aggregation announced before training).
      const samples = Object.fromEntries(tenants.map((t) => [t, selectImages(manifest, { tenant: t, split: ['train', 'all'] }).length]));
      const id = `${ctx.runId}-federation-${ctx.tag}`;
      ctx.progress(0, spec.rounds, 'starting');
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
        onRound: (r) => ctx.progress(r.round, spec.rounds, `accepted ${r.accepted.length}, dropped ${r.dropped.length}, rejected ${r.rejected.length}`),
      });
      return {
        federation: id,
        global: fed.global,
        epsilon: fed.epsilon,
        tenants: manifest.tenants ?? [],
        tenantImages: samples,
        rounds: fed.rounds.map((r) => ({
          round: r.round, attempt: r.attempt, participants: r.participants, accepted: r.accepted, dropped: r.dropped,
          rejected: r.rejected.map((x) => `${x.tenant}: ${x.reason}`), aggregated: r.aggregated, updateNorms: r.updateNorms,
        })),
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
    fidelityStep(preset, 'federated GAN', 'federated', null),
  ];
};
