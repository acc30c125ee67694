/**
 * The frame-removal experiment (PAPER: "frame-free edited images used to train a classifier
 * (10k per class) tested on real images"): synthetic images per class; the framed ones (frame
 * detector) moved across the frame hyperplane in W (latent/hyperplane.ts crossHyperplane,
 * REFERENCE §1.2) and rendered again; a classifier trained on the original synthetic set and one
 * on the frame-free set, both tested on the real test split; ΔAUC (frame-free − original) with CI.
 */
import { join } from 'node:path';
import { renderWs, sampleW } from '../latent/generator-ops.ts';
import { crossHyperplane } from '../latent/hyperplane.ts';
import { num, type ExplainContext } from './context.ts';
import { compare, trainAndScore, writeSyntheticDataset } from './retrain.ts';

export async function frameRemovalStep(ctx: ExplainContext): Promise<void> {
  const { tf, options } = ctx;
  const loaded = ctx.generator!;
  const G = loaded.G;
  const plane = ctx.framePlane!;
  const d = G.cfg.wDim;
  const r = G.cfg.resolution;
  const per = r * r * 3;

  // Synthetic images per class (a one-class G makes its own class only).
  ctx.progress('frame removal', 0, 4, 'rendering synthetic images');
  const classes = G.cfg.cDim > 0 ? [0, 1] : [loaded.trainedClass ?? 0];
  const n = options.frameRemoval.perClass * classes.length;
  const labels = Int32Array.from({ length: n }, (_, i) => classes[Math.floor(i / options.frameRemoval.perClass)]!);
  const w = sampleW(tf, G, { n, seed: options.seed + 200, ...(G.cfg.cDim > 0 ? { classes: labels } : {}) });
  const original = renderWs(tf, G, w.data as Float32Array, n);

  // Find the framed ones; move them across the frame hyperplane; render again.
  ctx.progress('frame removal', 1, 4, 'editing framed images');
  const framed = (await ctx.frames(original, n, r)).map((v, i) => (v ? i : -1)).filter((i) => i >= 0);
  ctx.numbers.frame_removal_framed = framed.length;
  if (framed.length === 0) {
    ctx.skipped['frame removal'] = `none of ${n} synthetic images has a frame (frame detector)`;
    return;
  }
  const framedW = new Float32Array(framed.length * d);
  framed.forEach((i, t) => framedW.set(w.data.subarray(i * d, (i + 1) * d), t * d));
  const moved = crossHyperplane(plane, { data: framedW, rows: framed.length, cols: d }, options.frameRemoval.overshoot);
  const edited = renderWs(tf, G, moved, framed.length);
  const stillFramed = (await ctx.frames(edited, framed.length, r)).filter(Boolean).length;
  const frameFree = Uint8Array.from(original);
  framed.forEach((i, t) => frameFree.set(edited.subarray(t * per, (t + 1) * per), i * per));
  ctx.numbers.frame_removal_still_framed_share = stillFramed / framed.length;

  // Train on each synthetic set, test on real.
  const provenance = { ...loaded.provenance, frameRemoval: options.frameRemoval };
  const originalDir = join(ctx.out, 'work', 'synthetic-original');
  const freeDir = join(ctx.out, 'work', 'synthetic-frame-free');
  await writeSyntheticDataset(originalDir, 'synthetic-original', original, labels, r, ctx.classifier.card.labels, provenance);
  await writeSyntheticDataset(freeDir, 'synthetic-frame-free', frameFree, labels, r, ctx.classifier.card.labels, provenance);
  if (classes.length < 2) {
    ctx.skipped['frame removal classifiers'] = 'the generator makes one class only; a synthetic-only classifier needs both';
    return;
  }
  ctx.progress('frame removal', 2, 4, 'classifier on the original synthetic images');
  const before = await trainAndScore(ctx, join(ctx.out, 'work', 'classifier-synthetic-original'), 'synth', originalDir, undefined);
  ctx.progress('frame removal', 3, 4, 'classifier on the frame-free synthetic images');
  const after = await trainAndScore(ctx, join(ctx.out, 'work', 'classifier-synthetic-frame-free'), 'synth', freeDir, undefined);
  const change = compare(ctx, ctx.real.test, before.scores, after.scores);
  ctx.numbers.frame_removal_auc_original = num(change.before);
  ctx.numbers.frame_removal_auc_frame_free = num(change.after);
  ctx.numbers.frame_removal_delta_auc = num(change.delta);
  ctx.numbers.frame_removal_delta_auc_low = num(change.ci[0]);
  ctx.numbers.frame_removal_delta_auc_high = num(change.ci[1]);
  ctx.sections.frameRemoval = { images: n, perClass: options.frameRemoval.perClass, framed: framed.length, stillFramedAfterEdit: stillFramed, overshoot: options.frameRemoval.overshoot, aucChange: change };
  ctx.progress('frame removal', 4, 4);
}
