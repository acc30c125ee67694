/**
 * `ingest`: the real images → a dataset folder (patient-grouped split, no tenants), through the
 * ingest service. `ingest:tenants`: the same images partitioned across the federation's tenants.
 */
import { DatasetIngested, FolderRef, IngestRequested } from '@dermagan/contracts';
import { z } from 'zod';
import type { StepFactory, StudyPlan, StudyStep } from '../step.ts';

export const IngestOutput = z.object({
  dataset: FolderRef,
  accepted: z.number().int().nonnegative(),
  quarantined: z.number().int().nonnegative(),
  /** The dataset manifest's fingerprint (its images and labels). */
  fingerprint: z.string(),
});
export type IngestOutput = z.output<typeof IngestOutput>;

function ingestStep(name: string, plan: StudyPlan, tenants: number | number[] | null, suffix: string): StudyStep<IngestOutput> {
  const { size, split, seed } = plan.preset;
  return {
    name,
    needs: [],
    version: 1,
    inputs: { size, split, seed, tenants, data: plan.data ?? null },
    output: IngestOutput,
    async run(ctx) {
      ctx.progress(0, 1);
      const folder = `${datasetName(ctx.data)}${suffix}`;
      const reply = await ctx.request(
        'ingest',
        (meta) =>
          IngestRequested.create(
            { source: { kind: 'auto', path: ctx.data }, output: { bucket: ctx.bucket, prefix: `datasets/${ctx.runId}/${folder}-${ctx.tag}/` }, size, split, seed, tenants },
            meta,
          ),
        DatasetIngested,
      );
      ctx.progress(1, 1, `${reply.data.accepted} accepted, ${reply.data.quarantined} quarantined`);
      return reply.data;
    },
  };
}

export const ingestSteps: StepFactory = (plan) => [ingestStep('ingest', plan, null, '')];

export const tenantIngestSteps: StepFactory = (plan) =>
  plan.preset.federation && plan.federation ? [ingestStep('ingest:tenants', plan, plan.preset.federation.tenants, '-tenants')] : [];

/** `…/derm-sample/metadata.csv` → `derm-sample`; a folder → its name. */
export function datasetName(data: string): string {
  const parts = data.replace(/\/+$/, '').split('/');
  const last = parts.at(-1) ?? 'data';
  const name = last.endsWith('.csv') ? (parts.at(-2) ?? last.slice(0, -4)) : last;
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'data';
}
