/**
 * `fidelity:<run>`: a synthetic set scored against the real training images of the same class(es)
 * in Table 1's feature space (Inception-2015: FID, KID, precision/recall, density/coverage,
 * authenticity; at most `metricOptions.maxImages` of each set), through the metrics service.
 * `fidelity-pixels:<run>`: the same on every image in the appendix's space (a Fréchet distance in
 * pixel projections, cheap, not FID).
 */
import { EvaluationCompleted, EvaluationRequested } from '@dermagan/contracts';
import { z } from 'zod';
import type { StudyPreset } from '../presets.ts';
import { StudyStepError } from '../replies.ts';
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

/** Which table a fidelity step feeds: Table 1 (the preset's extractor) or the appendix (its appendixExtractor, every image). */
export type FidelityTable = 'table1' | 'appendix';

/** The step's name for a run and table. */
export function fidelityStepName(run: string, table: FidelityTable = 'table1'): string {
  return `${table === 'table1' ? 'fidelity' : 'fidelity-pixels'}:${run}`;
}

export function fidelityStep(preset: StudyPreset, model: string, run: string, realClass: number | null, table: FidelityTable = 'table1'): StudyStep<FidelityOutput> {
  const { metrics } = preset;
  const extractor = table === 'table1' ? preset.extractor : preset.appendixExtractor;
  if (!extractor) throw new StudyStepError(`preset ${preset.name} has no appendix feature space (appendixExtractor)`);
  const { maxImages: _max, sampleSeed: _seed, ...everyImage } = preset.metricOptions;
  const metricOptions = table === 'table1' ? preset.metricOptions : everyImage;
  return {
    name: fidelityStepName(run, table),
    needs: ['ingest', `generate:${run}`],
    version: 2,
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

/** Both tables' steps of one GAN (the appendix's when the preset has its space). */
export function fidelityStepsOf(preset: StudyPreset, model: string, run: string, realClass: number | null): StudyStep<FidelityOutput>[] {
  return [
    fidelityStep(preset, model, run, realClass, 'table1'),
    ...(preset.appendixExtractor ? [fidelityStep(preset, model, run, realClass, 'appendix')] : []),
  ];
}

export const fidelitySteps: StepFactory = ({ preset }) => preset.models.flatMap((m) => fidelityStepsOf(preset, m.model, m.run, m.classFilter));
