/**
 * `train:<run>`: one central GAN per model of the preset (ben-GAN, mal-GAN, cGAN), through the
 * gan-trainer. A trainer stopped mid-run and asked again continues from its last checkpoint in the
 * step's folder.
 */
import { FolderRef, TrainingCompleted, TrainingRequested, type GanTrainingOptions } from '@dermagan/contracts';
import { z } from 'zod';
import { TickRecord } from '../results.ts';
import type { StepContext, StepFactory, StudyStep } from '../step.ts';
import { IngestOutput } from './ingest.ts';

export const TrainOutput = z.object({
  run: z.string(),
  checkpoint: FolderRef,
  kimg: z.number(),
  wallSeconds: z.number(),
  /** Per-tick statistics (the training curves). */
  history: z.array(TickRecord),
});
export type TrainOutput = z.output<typeof TrainOutput>;

export const trainSteps: StepFactory = ({ preset }) =>
  preset.models.map((m): StudyStep<TrainOutput> => {
    const config: GanTrainingOptions = { ...preset.gan, cond: m.classFilter === null, aug: m.aug, seed: preset.seed };
    return {
      name: `train:${m.run}`,
      needs: ['ingest'],
      version: 1,
      inputs: { config, classFilter: m.classFilter },
      output: TrainOutput,
      async run(ctx) {
        const real = ctx.result('ingest', IngestOutput).dataset;
        const reply = await ctx.request(
          'train',
          (meta) => TrainingRequested.create({ run: m.run, dataset: real, classFilter: m.classFilter, config, output: { bucket: ctx.bucket, prefix: outputPrefix(ctx, m.run) } }, meta),
          TrainingCompleted,
        );
        const history = z.array(TickRecord).parse(JSON.parse((await ctx.store.getBytes(reply.data.history.bucket, reply.data.history.key)).toString('utf8')));
        return { run: m.run, checkpoint: reply.data.checkpoint, kimg: reply.data.kimg, wallSeconds: reply.data.wallSeconds, history };
      },
      async resumesAt(ctx) {
        const kimg = await checkpointKimg(ctx, m.run);
        return kimg === null ? null : `resuming at ${formatKimg(kimg)}/${formatKimg(config.kimg)} kimg`;
      },
    };
  });

/** The trainer's folder of this version of the step. */
function outputPrefix(ctx: StepContext, run: string): string {
  return `${ctx.prefix}gans/${run}-${ctx.tag}/`;
}

/** The kimg of the trainer's last checkpoint of this step, or null when it saved none. */
async function checkpointKimg(ctx: StepContext, run: string): Promise<number | null> {
  const pointer = `${outputPrefix(ctx, run)}checkpoint/latest.json`;
  if (!(await ctx.store.stat(ctx.bucket, pointer))) return null;
  const ref = FolderRef.parse(JSON.parse((await ctx.store.getBytes(ctx.bucket, pointer)).toString('utf8')));
  const meta = CheckpointCounters.parse(JSON.parse((await ctx.store.getBytes(ref.manifest.bucket, ref.manifest.key)).toString('utf8')));
  return meta.counters.curNimg / 1000;
}

const CheckpointCounters = z.object({ counters: z.object({ curNimg: z.number().nonnegative() }) });

/** 4.032, 8 (no trailing zeros). */
function formatKimg(kimg: number): string {
  return String(Number(kimg.toFixed(3)));
}
