/**
 * Latent directions (PAPER: hyperplane, PCA of many latents, SeFa) with an edit strip each:
 *   - SeFa over all style layers (latent/sefa.ts), steps d ∈ [−3, 3];
 *   - GANSpace: PCA of W samples, steps ±2σ along each component;
 *   - hyperplanes on W for the class (the conditioning class of a conditional G, else the
 *     classifier's call on the rendered image) and for "dermoscope frame present" (the frame
 *     detector on rendered images), steps ±3σ of the signed distances.
 * The strips edit one sample truncated with ψ 0.7 on the first 8 ws (REFERENCE §6.3).
 * directions.json holds every set (contracts LatentDirections) for the portal's explorer.
 */
import { predictScores } from '@dermagan/classifier';
import { LATENT_DIRECTIONS_FORMAT, LatentDirections, type DirectionSet } from '@dermagan/contracts';
import { Rng } from '@dermagan/gan';
import { tilesPng } from '../attribution/heatmap.ts';
import { editStrip, linspace, type LayerRange } from '../latent/edit.ts';
import { ganspace } from '../latent/ganspace.ts';
import { renderWs, sampleW } from '../latent/generator-ops.ts';
import { hyperplane, signedDistances, type Hyperplane } from '../latent/hyperplane.ts';
import { sefa } from '../latent/sefa.ts';
import { num, writeOut, type ExplainContext } from './context.ts';

type Tensor2D = import('@tensorflow/tfjs').Tensor2D;
type Tensor3D = import('@tensorflow/tfjs').Tensor3D;

/** Fewest images of each side a hyperplane is fitted on. */
const MIN_PER_SIDE = 5;

export async function directionsStep(ctx: ExplainContext): Promise<void> {
  const { tf, options } = ctx;
  const loaded = ctx.generator!;
  const G = loaded.G;
  const o = options.directions;
  const k = Math.min(o.k, G.cfg.wDim);
  const all: LayerRange = { start: 0, end: G.numWs };
  const sets: DirectionSet[] = [];
  const strips: Array<{ kind: string; file: string; labels: string[]; steps: string }> = [];
  const section: Record<string, unknown> = { strips, hyperplanes: {} as Record<string, unknown> };

  // The sample the strips edit: ψ 0.7 on the first 8 ws, class 1 for a conditional G.
  const ws = tf.tidy(() => {
    const z = tf.tensor2d(new Rng(options.seed).normal(G.cfg.zDim), [1, G.cfg.zDim]);
    const c = G.cfg.cDim > 0 ? (tf.oneHot(tf.tensor1d([Math.min(1, G.cfg.cDim - 1)], 'int32'), G.cfg.cDim).toFloat() as Tensor2D) : undefined;
    return (G.mapping.apply(z, c, { psi: o.psi, cutoff: o.cutoff }) as Tensor3D).dataSync() as Float32Array;
  });
  const strip = async (kind: string, set: DirectionSet, steps: number[][], stepLabel: string) => {
    const tiles: Uint8Array[] = [];
    const r = G.cfg.resolution;
    const per = r * r * 3;
    set.directions.forEach((d, i) => {
      const images = editStrip(tf, G, Float32Array.from(ws), d, steps[i]!, set.layers);
      for (let s = 0; s < steps[i]!.length; s++) tiles.push(images.subarray(s * per, (s + 1) * per));
    });
    const file = await writeOut(ctx, `directions/${kind}.png`, await tilesPng(tiles, r, o.steps, r < 64 ? 3 : 1));
    strips.push({ kind, file, labels: set.labels, steps: stepLabel });
  };

  // SeFa.
  ctx.progress('directions', 0, 4, 'SeFa');
  const sf = sefa(G, k, all);
  const sefaSet: DirectionSet = { kind: 'sefa', layers: all, directions: rows(sf.directions, k, G.cfg.wDim), labels: Array.from({ length: k }, (_, i) => `SeFa ${i + 1}`), scales: Array(k).fill(1) };
  sets.push(sefaSet);
  await strip('sefa', sefaSet, Array(k).fill(linspace(-3, 3, o.steps)), 'd ∈ [−3, 3]');
  section.sefaEigenvalues = Array.from(sf.values);

  // GANSpace.
  ctx.progress('directions', 1, 4, `GANSpace over ${o.wSamples} W samples`);
  const w = sampleW(tf, G, { n: o.wSamples, seed: options.seed + 100 });
  const gs = ganspace(w, k);
  const gsSet: DirectionSet = {
    kind: 'ganspace',
    layers: all,
    directions: rows(gs.directions, k, G.cfg.wDim),
    labels: Array.from({ length: k }, (_, i) => `PC${i + 1} (${(gs.explained[i]! * 100).toFixed(1)} %)`),
    scales: Array.from(gs.sigma, (v) => v || 1),
  };
  sets.push(gsSet);
  await strip('ganspace', gsSet, gsSet.scales.map((sigma) => linspace(-2 * sigma, 2 * sigma, o.steps)), '±2σ of W along each component');

  // Hyperplanes: class, then frame.
  ctx.progress('directions', 2, 4, 'hyperplanes (class, frame)');
  const n = Math.min(o.frameSamples, w.rows);
  const sampleRowsW = { data: w.data.subarray(0, n * G.cfg.wDim), rows: n, cols: G.cfg.wDim };
  const images = renderWs(tf, G, sampleRowsW.data as Float32Array, n);
  const r = G.cfg.resolution;
  let classLabels: Uint8Array;
  let classSource: string;
  if (G.cfg.cDim > 0 && w.classes) {
    classLabels = Uint8Array.from(w.classes.subarray(0, n), (c) => (c === 1 ? 1 : 0));
    classSource = 'the conditioning class';
  } else {
    const { card, model } = ctx.classifier;
    const scores = await predictScores(tf, model, { pixels: images, labels: new Int32Array(n), size: r, ids: [], patients: [], origins: [] }, { size: card.inputSize, normalization: card.normalization }, 64);
    classLabels = Uint8Array.from(scores, (s) => (s >= card.threshold.threshold ? 1 : 0));
    classSource = "the classifier's call on the rendered image";
  }
  const frameLabels = Uint8Array.from(await ctx.frames(images, n, r), (f) => (f ? 1 : 0));
  ctx.numbers.generated_framed_share = frameLabels.reduce((s, v) => s + v, 0) / n;
  const planes: Array<{ name: string; labels: Uint8Array; source: string }> = [
    { name: ctx.classifier.card.labels[1] ?? 'class 1', labels: classLabels, source: classSource },
    { name: 'frame present', labels: frameLabels, source: 'the frame detector on the rendered image' },
  ];
  const fitted: Array<{ name: string; plane: Hyperplane; sigma: number }> = [];
  for (const p of planes) {
    const pos = p.labels.reduce((s, v) => s + v, 0);
    if (pos < MIN_PER_SIDE || n - pos < MIN_PER_SIDE) {
      ctx.skipped[`hyperplane: ${p.name}`] = `${pos} of ${n} W samples have it (${p.source}); a hyperplane needs at least ${MIN_PER_SIDE} on each side`;
      continue;
    }
    const plane = hyperplane(sampleRowsW, p.labels);
    const dist = signedDistances(plane, sampleRowsW);
    const mean = dist.reduce((s, v) => s + v, 0) / n;
    const sigma = Math.sqrt(dist.reduce((s, v) => s + (v - mean) ** 2, 0) / n) || 1;
    fitted.push({ name: p.name, plane, sigma });
    (section.hyperplanes as Record<string, unknown>)[p.name] = { positives: plane.positives, negatives: plane.negatives, labelledBy: p.source, trainAccuracy: plane.trainAccuracy, cvAccuracy: num(plane.cvAccuracy) };
    ctx.numbers[`hyperplane_${p.name.replace(/\W+/g, '_')}_cv_accuracy`] = num(plane.cvAccuracy);
    if (p.name === 'frame present') ctx.framePlane = plane;
  }
  if (fitted.length > 0) {
    const hpSet: DirectionSet = { kind: 'hyperplane', layers: all, directions: fitted.map((f) => Array.from(f.plane.normal)), labels: fitted.map((f) => f.name), scales: fitted.map((f) => f.sigma) };
    sets.push(hpSet);
    await strip('hyperplane', hpSet, fitted.map((f) => linspace(-3 * f.sigma, 3 * f.sigma, o.steps)), '±3σ of the signed distances, towards the attribute on the right');
  }

  // The artifact.
  ctx.progress('directions', 3, 4, 'directions.json');
  const artifact = LatentDirections.parse({ format: LATENT_DIRECTIONS_FORMAT, generator: ctx.generatorRef!, wDim: G.cfg.wDim, numWs: G.numWs, sets });
  section.file = await writeOut(ctx, 'directions.json', `${JSON.stringify(artifact)}\n`);
  ctx.sections.directions = section;
  ctx.progress('directions', 4, 4);
}

function rows(flat: Float64Array, k: number, d: number): number[][] {
  return Array.from({ length: k }, (_, i) => Array.from(flat.subarray(i * d, (i + 1) * d)));
}
