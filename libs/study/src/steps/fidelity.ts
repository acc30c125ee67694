/**
 * `fidelity:<run>`: a synthetic set scored against the real training images of the same class(es)
 * (FID or a Fréchet distance named by its space, KID, precision/recall, density/coverage,
 * authenticity), through the metrics service.
 */
import { EvaluationCompleted, EvaluationRequested } from '@dermagan/contracts';
import { z } from 'zod';
import type { StudyPreset } from '../presets.ts';
import type { StepFactory, StudyStep } from '../step.ts';
import { GenerateOutput } from './generate.ts';
import { IngestOutput } from './ingest.ts';

export const FidelityOutput = z.object({
  /** Row name as in the paper's Table 1. */
  model: z.string(),
  scores: z.record(z.string(), z.number()),
  provenance: z.record(z.string(), z.unknown()),
});
export type FidelityOutput = z.output<typeof FidelityOutput>;

export function fidelityStep(preset: StudyPreset, model: string, run: string, realClass: number | null): StudyStep<FidelityOutput> {
  const { extractor, metrics, metricOptions } = preset;
  return {
    name: `fidelity:${run}`,
    needs: ['ingest', `generate:${run}`],
    version: 1,
    inputs: { model, realClass, extractor, metrics, metricOptions },
    output: FidelityOutput,
    async run(ctx) {
      const real = ctx.result('ingest', IngestOutput).dataset;
      const fake = ctx.result(`generate:${run}`, GenerateOutput).dataset;
      const reply = await ctx.request(
        'evaluate',
        (meta) => EvaluationRequested.create({ name: model, real, realSplit: 'train', realClass, fake, extractor, metrics, options: metricOptions }, meta),
        EvaluationCompleted,
      );
      return { model: reply.data.name, scores: reply.data.scores, provenance: reply.data.provenance };
    },
  };
}

export const fidelitySteps: StepFactory = ({ preset }) => preset.models.map((m) => fidelityStep(preset, m.model, m.run, m.classFilter));
