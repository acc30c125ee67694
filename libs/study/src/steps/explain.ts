/**
 * `explain`: the explanation of the classifier trained on real images and of the conditional GAN
 * (embeddings of real and synthetic images, edge cases and the ΔAUC of retraining with their latent
 * neighbours, XRAI, latent directions, frame removal), through the explainer service (libs/explain).
 * Its section copies the explanation folder next to the report (`explanation/`: the pictures it
 * inlines and the interactive 3-D page it links).
 */
import { access, cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExplanationCompleted, ExplanationRequested, FolderRef } from '@dermagan/contracts';
import { SUMMARY_FILE, type ExplanationSummary } from '@dermagan/explain';
import { z } from 'zod';
import { explainabilitySection } from '../report/explainability.ts';
import type { StepFactory, StudyStep } from '../step.ts';
import { GenerateOutput } from './generate.ts';
import { IngestOutput } from './ingest.ts';
import { UtilityOutput } from './utility.ts';

export const ExplainOutput = z.object({
  /** The explanation folder (summary.json and the files it names). */
  explanation: FolderRef,
  numbers: z.record(z.string(), z.number().nullable()),
  skipped: z.record(z.string(), z.string()),
  provenance: z.record(z.string(), z.unknown()),
});
export type ExplainOutput = z.output<typeof ExplainOutput>;

const HasCheckpoint = z.object({ checkpoint: FolderRef });

/** Where the section's files go, relative to the report. */
export const EXPLANATION_DIR = 'explanation';

export const explainSteps: StepFactory = ({ preset }) => {
  const spec = preset.explain;
  const classifier = preset.utility.find((u) => u.scenario === 'real');
  const generator = preset.models.find((m) => m.classFilter === null);
  if (!spec || !classifier || !generator) return [];
  const step: StudyStep<ExplainOutput> = {
    name: 'explain',
    needs: ['ingest', `utility:${classifier.name}`, `train:${generator.run}`, ...preset.models.map((m) => `generate:${m.run}`)],
    version: 1,
    inputs: { spec, classifier: classifier.name, generator: generator.run, synthetic: preset.models.map((m) => m.model) },
    output: ExplainOutput,
    async run(ctx) {
      ctx.progress(0, 1, spec.parts.join(', '));
      const reply = await ctx.request(
        'explain',
        (meta) =>
          ExplanationRequested.create(
            {
              name: `${ctx.runId}-${ctx.tag}`,
              classifier: ctx.result(`utility:${classifier.name}`, UtilityOutput).model,
              real: ctx.result('ingest', IngestOutput).dataset,
              synthetic: preset.models.map((m) => ({ name: m.model, dataset: ctx.result(`generate:${m.run}`, GenerateOutput).dataset })),
              generator: ctx.result(`train:${generator.run}`, HasCheckpoint).checkpoint,
              parts: spec.parts,
              options: spec.options,
              output: { bucket: ctx.bucket, prefix: `explanations/${ctx.runId}/explain-${ctx.tag}/` },
            },
            meta,
          ),
        ExplanationCompleted,
      );
      ctx.progress(1, 1);
      return { explanation: reply.data.explanation, numbers: reply.data.numbers, skipped: reply.data.skipped, provenance: reply.data.provenance };
    },
    async report(output, ctx) {
      const dir = join(ctx.outDir, EXPLANATION_DIR);
      await cp(await ctx.fetchFolder(output.explanation), dir, { recursive: true });
      const summary = JSON.parse(await readFile(join(dir, SUMMARY_FILE), 'utf8')) as ExplanationSummary;
      const view = await access(join(dir, 'view-3d.html')).then(() => `${EXPLANATION_DIR}/view-3d.html`, () => null);
      return explainabilitySection({ dir: EXPLANATION_DIR, summary }, ctx.outDir, view);
    },
  };
  return [step];
};
