/**
 * `utility:<name>`: the melanoma classifier trained on real, synthetic or real + synthetic images
 * (the preset's rows of Table 2), tested on the same real held-out patients, through the
 * classifier service. A classifier stopped mid-run continues from its last epoch when asked again.
 */
import { FolderRef, UtilityCompleted, UtilityRequested, UTILITY_SCENARIOS } from '@dermagan/contracts';
import { z } from 'zod';
import type { StepFactory, StudyStep } from '../step.ts';
import { GenerateOutput } from './generate.ts';
import { IngestOutput } from './ingest.ts';

export const UtilityOutput = z.object({
  /** Row name as in the paper's Table 2: `real`, `synth-cGAN`, `aug-cGAN`, … */
  name: z.string(),
  scenario: z.enum(UTILITY_SCENARIOS),
  /** auc, pr_auc, accuracy, balanced_accuracy, sensitivity, specificity, prevalence, n, and CIs. */
  measures: z.record(z.string(), z.unknown()),
  model: FolderRef,
  provenance: z.record(z.string(), z.unknown()),
});
export type UtilityOutput = z.output<typeof UtilityOutput>;

export const utilitySteps: StepFactory = ({ preset }) =>
  preset.utility.map((spec): StudyStep<UtilityOutput> => {
    const runs = spec.synthFrom.map((model) => {
      const m = preset.models.find((x) => x.model === model);
      if (!m) throw new Error(`utility row ${spec.name}: no model "${model}" in preset ${preset.name}`);
      return m.run;
    });
    const config = { ...preset.classifier, ...(spec.synthClasses ? { synthClasses: spec.synthClasses } : {}) };
    return {
      name: `utility:${spec.name}`,
      needs: ['ingest', ...runs.map((r) => `generate:${r}`)],
      version: 1,
      inputs: { scenario: spec.scenario, config },
      output: UtilityOutput,
      async run(ctx) {
        const real = ctx.result('ingest', IngestOutput).dataset;
        const synth = runs.map((r) => ctx.result(`generate:${r}`, GenerateOutput).dataset);
        const reply = await ctx.request(
          'classify',
          (meta) =>
            UtilityRequested.create(
              { name: spec.name, scenario: spec.scenario, real, synth, config, output: { bucket: ctx.bucket, prefix: `${ctx.prefix}classifiers/${spec.name}-${ctx.tag}/` } },
              meta,
            ),
          UtilityCompleted,
        );
        return reply.data;
      },
    };
  });
