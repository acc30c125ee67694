/**
 * `audit:<run>`: the privacy audit of each GAN — the central ones, and the federated one with a
 * row per tenant — through the projector service (libs/projector): membership inference by
 * projecting training images (members) and held-out ones (non-members) into the generator, likely
 * copies among generated images, authenticity. Its result keeps the attack's numbers, the portal's
 * view (`privacy-audit.json`, contracts PrivacyAudit) and the closest pairs' images, so the
 * report's "Privacy" section needs nothing else.
 */
import { AuditCompleted, AuditRequested, FolderRef, PrivacyAudit, type ArtifactRef, type ImageSelection } from '@dermagan/contracts';
import { z } from 'zod';
import type { AuditSpec } from '../presets.ts';
import { privacySection } from '../report/privacy.ts';
import type { StepContext, StepFactory, StudyStep } from '../step.ts';
import { IngestOutput } from './ingest.ts';

export const AuditOutput = z.object({
  /** Row name (Table 1's model, or the federated GAN). */
  model: z.string(),
  run: z.string(),
  /** The attack's numbers as the projector sent them. */
  attack: AuditCompleted.schema,
  /** The portal's view of the audit (histograms, closest pairs). */
  view: PrivacyAudit,
  /** The closest pairs' images (PNG, base64) in view.closestPairs' order. */
  pairImages: z.array(z.object({ generated: z.string(), real: z.string() })),
});
export type AuditOutput = z.output<typeof AuditOutput>;

const HasCheckpoint = z.object({ checkpoint: FolderRef });

/** Closest pairs whose images the report shows. */
const PAIRS_SHOWN = 8;

export interface AuditTarget {
  model: string;
  run: string;
  /** The step with the generator's checkpoint. */
  from: string;
  /** The step with the dataset it trained on (`ingest`, `ingest:tenants`). */
  data: string;
  /** The class it trained on; null = every class. */
  classFilter: number | null;
}

async function pngBase64(ctx: StepContext, ref: ArtifactRef): Promise<string> {
  return (await ctx.store.getBytes(ref.bucket, ref.key)).toString('base64');
}

/** One audit step; `head` renders the section's heading and the table of every audit. */
export function auditStep(target: AuditTarget, spec: AuditSpec, seed: number, head: boolean): StudyStep<AuditOutput> {
  const classes: Pick<ImageSelection, 'classes'> = target.classFilter === null ? {} : { classes: [target.classFilter] };
  return {
    name: `audit:${target.run}`,
    needs: [target.data, target.from],
    version: 1,
    inputs: { model: target.model, classFilter: target.classFilter, spec, seed },
    output: AuditOutput,
    async run(ctx) {
      const dataset = ctx.result(target.data, IngestOutput).dataset;
      const { checkpoint } = ctx.result(target.from, HasCheckpoint);
      ctx.progress(0, 1, 'projecting members and non-members');
      const reply = await ctx.request(
        'audit',
        (meta) =>
          AuditRequested.create(
            {
              name: `${target.run}-${ctx.tag}`,
              checkpoint,
              members: { dataset, selection: { split: ['train'], ...classes, n: spec.members } },
              nonMembers: { dataset, selection: { split: ['test'], ...classes, n: spec.nonMembers } },
              generated: spec.generated,
              spaces: spec.spaces,
              options: spec.options,
              seed,
              resamples: spec.resamples,
              // Under projections/ where the portal finds privacy-audit.json.
              output: { bucket: ctx.bucket, prefix: `projections/${ctx.runId}/` },
            },
            meta,
          ),
        AuditCompleted,
      );
      const view = PrivacyAudit.parse(JSON.parse((await ctx.store.getBytes(reply.data.privacyAudit.bucket, reply.data.privacyAudit.key)).toString('utf8')));
      const pairImages = await Promise.all(
        view.closestPairs.slice(0, PAIRS_SHOWN).map(async (p) => ({ generated: await pngBase64(ctx, p.generated), real: await pngBase64(ctx, p.real) })),
      );
      ctx.progress(1, 1, `membership AUC ${reply.data.membershipAuc.toFixed(3)}, ${reply.data.copiesFlagged} flagged`);
      return { model: target.model, run: target.run, attack: reply.data, view, pairImages };
    },
    async report(output, ctx) {
      const every = Object.entries(ctx.results.steps)
        .filter(([name]) => name.startsWith('audit:'))
        .map(([, s]) => AuditOutput.parse(s.output));
      return privacySection(output, ctx.results, head ? every : null);
    },
  };
}

export const auditSteps: StepFactory = ({ preset, federation }) => {
  const spec = preset.audit;
  if (!spec) return [];
  const targets: AuditTarget[] = preset.models.map((m) => ({ model: m.model, run: m.run, from: `train:${m.run}`, data: 'ingest', classFilter: m.classFilter }));
  if (preset.federation && federation) targets.push({ model: 'federated GAN', run: 'federated', from: 'checkpoint:federated', data: 'ingest:tenants', classFilter: null });
  return targets.map((t, i) => auditStep(t, spec, preset.seed, i === 0));
};
