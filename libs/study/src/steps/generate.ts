/**
 * `generate:<run>`: a synthetic dataset per GAN (the preset's images per class), through the
 * generator, from the checkpoint another step made (`train:<run>`, `checkpoint:federated`).
 */
import { DatasetGenerated, FolderRef, GenerationRequested } from '@dermagan/contracts';
import { readManifest } from '@dermagan/dataset';
import { z } from 'zod';
import type { StudyStep } from '../step.ts';
import { IngestOutput } from './ingest.ts';

export const GenerateOutput = z.object({ name: z.string(), dataset: FolderRef, count: z.number().int().nonnegative() });
export type GenerateOutput = z.output<typeof GenerateOutput>;

/** A step whose result names a checkpoint. */
const HasCheckpoint = z.object({ checkpoint: FolderRef });

export interface GenerateSpec {
  /** The GAN's run name (`ben-gan`, `federated`). */
  run: string;
  /** The step that made its checkpoint. */
  from: string;
  /** The classes it makes: one (an unconditional GAN of one class), or null = every class of the real data. */
  classes: number[] | null;
  /** Images per class, or in total for an unconditional GAN of all classes (label 0). */
  perClass: number;
  /** An unconditional GAN of every class: its images are labelled 0 and it makes perClass × classes of them. */
  unconditionalAll?: boolean;
}

export function generateStep(spec: GenerateSpec, seed: number, truncation: number): StudyStep<GenerateOutput> {
  return {
    name: `generate:${spec.run}`,
    needs: ['ingest', spec.from],
    version: 1,
    inputs: { ...spec, seed, truncation },
    output: GenerateOutput,
    async run(ctx) {
      const labels = (await readManifest(await ctx.fetchFolder(ctx.result('ingest', IngestOutput).dataset))).labels;
      const perClass = spec.unconditionalAll
        ? { '0': spec.perClass * labels.length }
        : Object.fromEntries((spec.classes ?? labels.map((_, i) => i)).map((c) => [String(c), spec.perClass]));
      const reply = await ctx.request(
        'generate',
        (meta) =>
          GenerationRequested.create(
            { checkpoint: ctx.result(spec.from, HasCheckpoint).checkpoint, perClass, seed, truncation, output: { bucket: ctx.bucket, prefix: `synthetic/${ctx.runId}/${spec.run}-${ctx.tag}/` }, name: `synthetic-${spec.run}` },
            meta,
          ),
        DatasetGenerated,
      );
      return reply.data;
    },
  };
}

export const generateSteps = ({ preset }: { preset: import('../presets.ts').StudyPreset }) =>
  preset.models.map((m) => generateStep({ run: m.run, from: `train:${m.run}`, classes: m.classFilter === null ? null : [m.classFilter], perClass: preset.generatePerClass }, preset.seed, preset.truncation));
