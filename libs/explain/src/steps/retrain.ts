/**
 * Retraining the classifier with extra (synthetic) training data and comparing it with a
 * baseline on the same real test images: the shared end of the edge-case augmentation and the
 * frame-removal experiment.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { predictScores, runExperiment, type ImageSet, type Scenario, type TrainOptions } from '@dermagan/classifier';
import { DatasetWriter } from '@dermagan/dataset';
import { aucChange, type AucChange } from '../auc-change.ts';
import type { ExplainContext } from './context.ts';

/** Write uint8 images [n, size, size, 3] as a dermagan dataset (source.kind 'generated'). */
export async function writeSyntheticDataset(dir: string, name: string, images: Uint8Array, labels: Int32Array, size: number, classNames: readonly string[], provenance: Record<string, unknown>): Promise<void> {
  const per = size * size * 3;
  const writer = await DatasetWriter.create({ dir, size });
  for (let i = 0; i < labels.length; i++) {
    const pixels = images.subarray(i * per, (i + 1) * per);
    const id = `${name}-${String(i).padStart(5, '0')}`;
    await writer.append(pixels, { id, patient: id, label: labels[i]!, sha256: createHash('sha256').update(pixels).digest('hex') });
  }
  await writer.finish({ name, labels: [...classNames], source: { kind: 'generated', generator: provenance }, split: { kind: 'none' }, tenants: null });
}

/** The explained classifier's P(positive) on the real test images (the baseline of every ΔAUC). */
export async function baselineScores(ctx: ExplainContext): Promise<Float64Array> {
  const { card, model } = ctx.classifier;
  return predictScores(ctx.tf, model, ctx.real.test, { size: card.inputSize, normalization: card.normalization }, 64);
}

/** Train with the explained classifier's options (overridden by options.classifier) and return its test scores, aligned with ctx.real.test. */
export async function trainAndScore(ctx: ExplainContext, out: string, scenario: Scenario, synthetic: string, synthPerClass: [number, number] | undefined): Promise<{ scores: Float64Array; auc: number | null }> {
  const train: Partial<TrainOptions> = { ...ctx.classifier.card.provenance.options, ...ctx.options.classifier };
  const { json } = await runExperiment(ctx.tf, ctx.backend, {
    data: { scenario, real: ctx.real.dir, synthetic, ...(synthPerClass ? { synthPerClass } : {}) },
    train,
    out,
    resume: false,
    resamples: 100,
  });
  const rows = (await readFile(join(out, 'test-predictions.csv'), 'utf8')).trim().split('\n').slice(1);
  const byId = new Map(rows.map((r) => {
    const cut = r.lastIndexOf(',');
    const id = r.slice(0, r.lastIndexOf(',', cut - 1)).replace(/^"|"$/g, '').replace(/""/g, '"');
    return [id, Number(r.slice(cut + 1))] as const;
  }));
  const scores = Float64Array.from(ctx.real.test.ids, (id) => {
    const s = byId.get(id);
    if (s === undefined) throw new Error(`retrained classifier has no test prediction for ${id}`);
    return s;
  });
  return { scores, auc: json.auc };
}

/** ΔAUC of `after` over `before` on the real test images (patient bootstrap). */
export function compare(ctx: ExplainContext, test: ImageSet, before: Float64Array, after: Float64Array): AucChange {
  return aucChange(test.labels, before, after, test.patients, { resamples: ctx.options.resamples, seed: ctx.options.seed });
}
