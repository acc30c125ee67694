/**
 * Edge cases and their latent neighbours (PAPER "misclassified and edge cases augmented with N
 * latent neighbours at distance 0.1"):
 *   1. score and embed the real training side; pick edge cases (edge-cases.ts);
 *   2. with a projector and a generator: project them into W, render the projections (they join
 *      the embeddings as 'projected'; cosine distance real ↔ projection in the classifier's
 *      embedding, as the paper's authenticity check);
 *   3. neighbours at distance 0.1 in W (latent/neighbours.ts), rendered, labelled with their edge
 *      case's class, added to the real training images; the classifier retrained and tested on
 *      the real test split; ΔAUC against the explained classifier with its CI.
 */
import { join } from 'node:path';
import { embed, predictScores } from '@dermagan/classifier';
import { findEdgeCases } from '../edge-cases.ts';
import { renderWs } from '../latent/generator-ops.ts';
import { DEFAULT_NEIGHBOURS, latentNeighbours } from '../latent/neighbours.ts';
import { num, type ExplainContext } from './context.ts';
import { baselineScores, compare, trainAndScore, writeSyntheticDataset } from './retrain.ts';

export async function edgeCasesStep(ctx: ExplainContext): Promise<void> {
  const { tf, options } = ctx;
  const { card, model } = ctx.classifier;
  const spec = { size: card.inputSize, normalization: card.normalization };
  const train = ctx.real.train;

  // Score and embed the real training side, pick the edge cases.
  ctx.progress('edge cases', 0, 3, 'scoring the real training images');
  const scores = await predictScores(tf, model, train, spec, 64);
  const { data, width } = await embed(tf, model, train, spec, 64);
  const cases = findEdgeCases(train.labels, scores, { data, rows: train.labels.length, cols: width }, card.threshold.threshold, options.edgeCases);
  ctx.edgeCases = cases.map((c) => ({ ...c, id: train.ids[c.index]! }));
  ctx.numbers.edge_cases = cases.length;
  for (const reason of ['misclassified', 'near-threshold', 'between-clusters'] as const) ctx.numbers[`edge_cases_${reason.replace('-', '_')}`] = cases.filter((c) => c.reasons.includes(reason)).length;
  const section: Record<string, unknown> = {
    threshold: card.threshold.threshold,
    from: `the real training side (${train.labels.length} images)`,
    cases: ctx.edgeCases.map((c) => ({ id: c.id, label: card.labels[c.label], score: c.score, reasons: c.reasons, centroidRatio: c.centroidRatio })),
  };
  ctx.sections.edgeCases = section;
  if (cases.length === 0) {
    ctx.skipped.neighbours = 'no edge cases';
    return;
  }
  if (!ctx.generator) {
    ctx.skipped.neighbours = 'no generator checkpoint given';
    return;
  }
  if (!ctx.projector) {
    ctx.skipped.neighbours = 'no projector: latent neighbours need the edge cases projected into W (libs/projector)';
    return;
  }

  // Project the edge cases and render the projections.
  ctx.progress('edge cases', 1, 3, `projecting ${cases.length} images`);
  const per = train.size * train.size * 3;
  const images = new Uint8Array(cases.length * per);
  cases.forEach((c, i) => images.set(train.pixels.subarray(c.index * per, (c.index + 1) * per), i * per));
  const labels = Int32Array.from(cases, (c) => c.label);
  const G = ctx.generator.G;
  const w = await ctx.projector(ctx.generator, images, cases.length, train.size, labels, options.projection);
  const projected = renderWs(tf, G, w, cases.length);
  const r = G.cfg.resolution;
  const realEmb = await embed(tf, model, { ...train, pixels: images, labels, size: train.size }, spec, 64);
  const projEmb = await embed(tf, model, { ...train, pixels: projected, labels, size: r }, spec, 64);
  const cosineDistance = cases.map((_, i) => {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let j = 0; j < realEmb.width; j++) {
      const a = realEmb.data[i * realEmb.width + j]!;
      const b = projEmb.data[i * realEmb.width + j]!;
      ab += a * b;
      aa += a * a;
      bb += b * b;
    }
    return 1 - ab / (Math.sqrt(aa * bb) || 1);
  });
  ctx.projections = { w, images: projected, cosineDistance };
  const sorted = [...cosineDistance].sort((a, b) => a - b);
  ctx.numbers.projection_cosine_mean = num(cosineDistance.reduce((s, v) => s + v, 0) / cosineDistance.length);
  ctx.numbers.projection_cosine_median = num(sorted[Math.floor(sorted.length / 2)]!);

  // Neighbours in W, rendered, as extra training images; retrain and compare.
  ctx.progress('edge cases', 2, 3, 'training with latent neighbours');
  const neighbours = latentNeighbours({ data: w, rows: cases.length, cols: G.cfg.wDim }, { ...options.neighbours, seed: options.seed });
  const count = neighbours.rows / cases.length;
  const nLabels = Int32Array.from({ length: neighbours.rows }, (_, i) => labels[Math.floor(i / count)]!);
  const dir = join(ctx.out, 'work', 'edge-neighbours');
  await writeSyntheticDataset(dir, 'edge-neighbours', renderWs(tf, G, neighbours.data as Float32Array, neighbours.rows), nLabels, r, card.labels, { ...ctx.generator.provenance, neighbours: options.neighbours, space: 'W' });
  const perClass: [number, number] = [nLabels.filter((l) => l === 0).length, nLabels.filter((l) => l === 1).length];
  const before = await baselineScores(ctx);
  const after = await trainAndScore(ctx, join(ctx.out, 'work', 'classifier-edge-neighbours'), 'real+synth', dir, perClass);
  const change = compare(ctx, ctx.real.test, before, after.scores);
  section.neighbours = { perCase: count, radius: options.neighbours.radius ?? DEFAULT_NEIGHBOURS.radius, space: 'W (no clipping)', images: neighbours.rows, aucChange: change };
  ctx.numbers.edge_aug_auc_before = num(change.before);
  ctx.numbers.edge_aug_auc_after = num(change.after);
  ctx.numbers.edge_aug_delta_auc = num(change.delta);
  ctx.numbers.edge_aug_delta_auc_low = num(change.ci[0]);
  ctx.numbers.edge_aug_delta_auc_high = num(change.ci[1]);
  ctx.progress('edge cases', 3, 3);
}
