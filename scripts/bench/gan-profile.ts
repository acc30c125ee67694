/**
 * Where a training phase spends its time: runs one phase under tf.profile and prints kernel time
 * by op type (the per-op overhead vs the convolutions).
 *   node --import tsx scripts/bench/gan-profile.ts --phase Dboth --res 32 --batch 16 --cbase 4096 --cmax 256 --zdim 256 --wdim 256
 * Prints one JSON line: { phase, stepMs, kernels, kernelMs, byOp: [[name, ms, count], …] }.
 */
import { parseArgs } from 'node:util';
import { Discriminator, Generator, Rng, StyleGAN2Loss, preset, registerEngineGradients, type Phase } from '@dermagan/gan';
import { loadTf } from '@dermagan/tf';
import { GAN_FLAGS } from './gan-flags.ts';

const { values } = parseArgs({
  options: {
    phase: { type: 'string', default: 'Dboth' },
    ...GAN_FLAGS,
  },
});
const n = (k: keyof typeof values) => Number(values[k]);
const phase = values.phase as Phase;
const { tf } = await loadTf();
registerEngineGradients(tf);
const res = n('res');
const b = n('batch');
const cfg = preset('auto', res);
Object.assign(cfg.network, { channelBase: n('cbase'), channelMax: n('cmax'), mappingLayers: n('map'), zDim: n('zdim'), wDim: n('wdim') });
const G = new Generator(tf, cfg.network, 1);
const D = new Discriminator(tf, cfg.network, 2);
const rng = new Rng(1);
const loss = new StyleGAN2Loss(tf, G, D, { ...cfg.training, batch: b }, rng);
const run = () => {
  const realImg = tf.tensor4d(rng.normal(b * res * res * 3), [b, res, res, 3]);
  const genZ = tf.tensor2d(rng.normal(b * cfg.network.zDim), [b, cfg.network.zDim]);
  const r = loss.accumulateGradients(phase, { realImg, genZ });
  for (const g of r.grads.values()) g.dispose();
  realImg.dispose();
  genZ.dispose();
};
run(); // warm-up
const t0 = performance.now();
run();
const stepMs = performance.now() - t0;
const prof = await tf.profile(() => void run());
const byOp = new Map<string, [number, number]>();
let kernelMs = 0;
for (const k of prof.kernels) {
  const a = byOp.get(k.name) ?? [0, 0];
  a[0] += k.kernelTimeMs as number;
  a[1] += 1;
  byOp.set(k.name, a);
  kernelMs += k.kernelTimeMs as number;
}
const rows = [...byOp].sort((x, y) => y[1][0] - x[1][0]).map(([name, [ms, count]]) => [name, Math.round(ms * 10) / 10, count]);
process.stdout.write(`${JSON.stringify({ phase, res, batch: b, stepMs: Math.round(stepMs), kernels: prof.kernels.length, kernelMs: Math.round(kernelMs), byOp: rows })}\n`);
