import { loadTf } from '@dermagan/tf';
import { Generator, preset, Rng } from '@dermagan/gan';
import { projectImages, projectorOptions, pixelFeatures, MemoryStateStore, createPerceptual } from './index.ts';

const { tf } = await loadTf();
const res = Number(process.env.RES ?? 16);
const cfg = preset((process.env.PRESET ?? 'test') as any, res).network;
const G = new Generator(tf, cfg, 7);
for (const [name, v] of G.ps.params) if (name.endsWith('noise_strength')) v.assign(tf.scalar(Number(process.env.NS ?? 0.1)));
for (const [name, v] of G.ps.params) if (name.endsWith('torgb.weight')) v.assign(tf.mul(v, Number(process.env.RGB ?? 1)));
// w*: from a z
const n = Number(process.env.N ?? 4);
const rng = new Rng(99);
const z = tf.tensor2d(rng.normal(n * cfg.zDim), [n, cfg.zDim]);
const wStar = (G.mapping.apply(z, undefined) as any).slice([0, 0, 0], [n, 1, cfg.wDim]);
const img = G.synthesis.apply(tf.tile(wStar, [1, G.numWs, 1]), { noiseMode: 'const' });
console.log('img range', img.min().dataSync()[0], img.max().dataSync()[0]);
const u8 = tf.clipByValue(tf.add(tf.mul(img, 127.5), 128), 0, 255).floor().dataSync();
const per = res * res * 3;
const targets = Array.from({ length: n }, (_, i) => ({ id: `img${i}`, label: null, pixels: Uint8Array.from(u8.subarray(i * per, (i + 1) * per)) }));
const steps = Number(process.env.STEPS ?? 300);
const options = projectorOptions({ steps, batch: 4, saveEvery: 100, wAvgSamples: 2000, ...JSON.parse(process.env.OPT ?? '{}') });
const t0 = Date.now();
let last = 0; const out = await projectImages(tf, { G, perceptual: await createPerceptual(tf, process.env.DIST ?? 'pixels-mse'), options, targets, states: new MemoryStateStore(), onProgress: (p) => { if (p.steps - last >= Number(process.env.EVERY ?? 80)) { last = p.steps; console.log(p.steps / n, p.distance.toExponential(4)); } } });
console.log('sec', (Date.now() - t0) / 1000, 'imgsteps/s', out.imageSteps / out.seconds);
const ws = wStar.dataSync();
const stats = [...out.wStats.values()][0]!;
out.results.forEach((r, i) => {
  let d = 0, d0 = 0;
  for (let j = 0; j < cfg.wDim; j++) { d += (r!.w[j]! - ws[i * cfg.wDim + j]!) ** 2; d0 += (stats.wAvg[j]! - ws[i * cfg.wDim + j]!) ** 2; }
  console.log(r!.id, 'dist', r!.distance.toExponential(3), 'mse', r!.mse.toExponential(3), 'w rel', Math.sqrt(d / d0).toFixed(3));
});
console.log('wStd', stats.wStd, 'wAvg norm', Math.hypot(...stats.wAvg));
{
  let d0 = 0; for (let i = 0; i < n; i++) { for (let j = 0; j < cfg.wDim; j++) d0 += (stats.wAvg[j]! - ws[i * cfg.wDim + j]!) ** 2; }
  console.log('mean |w*-wavg|', Math.sqrt(d0 / n));
}
