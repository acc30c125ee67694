/**
 * Network structure against the official code: parameter counts of G and D and G's buffers
 * (w_avg, const noise) equal NVlabs' for the same configuration (fixtures/make_param_counts.py),
 * ws indexing and broadcast, truncation with cutoff, w_avg tracking, equalised FC vs torch.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '@dermagan/tf';
import { DEFAULT_NETWORK, numWs, preset, type NetworkConfig } from './config.ts';
import { Discriminator } from './discriminator.ts';
import { Generator } from './generator.ts';
import { FullyConnected } from './ops/equalized-linear.ts';
import { ParamSet } from './params.ts';
import { Rng } from './rng.ts';
import type { Tensor2D, Tensor3D, Tensor4D, Tf } from './tf-types.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

interface CountCase {
  config: { res: number; cbase: number; cmax: number; map: number; zdim: number; wdim: number; cdim: number };
  params_g: number;
  params_d: number;
  buffers_g: number;
  num_ws: number;
}
const counts = JSON.parse(readFileSync(new URL('../fixtures/param_counts.json', import.meta.url), 'utf8')) as CountCase[];

describe('G and D have exactly the official parameters', () => {
  for (const c of counts) {
    const k = c.config;
    it(`res=${k.res} cbase=${k.cbase} cmax=${k.cmax} map=${k.map} z=${k.zdim} w=${k.wdim} c=${k.cdim}`, () => {
      const cfg: NetworkConfig = { ...DEFAULT_NETWORK, resolution: k.res, channelBase: k.cbase, channelMax: k.cmax, mappingLayers: k.map, zDim: k.zdim, wDim: k.wdim, cDim: k.cdim };
      const G = new Generator(tf, cfg, 0);
      const D = new Discriminator(tf, cfg, 0);
      let buffers = 0;
      for (const v of G.ps.buffers.values()) buffers += v.size;
      expect({ g: G.ps.count(), d: D.ps.count(), buffers, numWs: G.numWs }).toEqual({ g: c.params_g, d: c.params_d, buffers: c.buffers_g, numWs: c.num_ws });
      G.ps.dispose();
      D.ps.dispose();
    });
  }
});

describe('mapping', () => {
  const cfg = preset('test', 16).network;
  it('numWs is 2·log2(res) − 2 (14 at 256²)', () => {
    expect([16, 32, 64, 128, 256].map(numWs)).toEqual([6, 8, 10, 12, 14]);
  });

  it('broadcasts one w to every ws, and truncation with cutoff touches only the first ws', () => {
    const G = new Generator(tf, cfg, 1);
    G.mapping.wAvg!.assign(tf.fill([cfg.wDim], 0.5));
    const z = tf.tensor2d(new Rng(2).normal(2 * cfg.zDim), [2, cfg.zDim]);
    const ws = G.mapping.apply(z, undefined) as Tensor3D;
    const arr = ws.arraySync();
    expect(arr[0]![5]).toEqual(arr[0]![0]);
    const t = (G.mapping.apply(z, undefined, { psi: 0.5, cutoff: 2 }) as Tensor3D).arraySync();
    const w0 = arr[1]![0]!;
    t[1]![1]!.forEach((v, i) => expect(v).toBeCloseTo(0.5 + 0.5 * (w0[i]! - 0.5), 5));
    expect(t[1]![2]).toEqual(arr[1]![2]);
    G.ps.dispose();
  });

  it('w_avg ← lerp(batch mean w, w_avg, 0.995) only when asked', () => {
    const G = new Generator(tf, cfg, 1);
    const z = tf.tensor2d(new Rng(3).normal(4 * cfg.zDim), [4, cfg.zDim]);
    G.mapping.apply(z, undefined);
    expect(Array.from(G.mapping.wAvg!.dataSync()).every((v) => v === 0)).toBe(true);
    const ws = G.mapping.apply(z, undefined, { updateWAvg: true }) as Tensor3D;
    const mean = tf.mean(ws, [0, 1]).dataSync();
    G.mapping.wAvg!.dataSync().forEach((v, i) => expect(v).toBeCloseTo(0.005 * mean[i]!, 6));
    G.ps.dispose();
  });
});

describe('synthesis', () => {
  it('ws indexing as REFERENCE §2.4: b4 reads ws[0..1], block r reads 3 ws from 2·log2(r) − 5', () => {
    const cfg = preset('test', 16).network;
    const G = new Generator(tf, cfg, 4);
    // Record which w each style affine receives: ws[k] is filled with the value k.
    const seen: Record<string, number> = {};
    for (const block of G.synthesis.blocks) {
      for (const [name, layer] of [['conv0', block.conv0], ['conv1', block.conv1], ['torgb', block.torgb]] as const) {
        if (!layer) continue;
        const original = layer.affine.apply.bind(layer.affine);
        layer.affine.apply = (w: Tensor2D) => {
          seen[`b${block.resolution}.${name}`] = w.dataSync()[0]!;
          return original(w);
        };
      }
    }
    const ws = tf.tile(tf.reshape(tf.range(0, 6, 1, 'float32'), [1, 6, 1]), [2, 1, cfg.wDim]) as Tensor3D;
    G.synthesis.apply(ws, { noiseMode: 'const' });
    expect(seen).toEqual({ 'b4.conv1': 0, 'b4.torgb': 1, 'b8.conv0': 1, 'b8.conv1': 2, 'b8.torgb': 3, 'b16.conv0': 3, 'b16.conv1': 4, 'b16.torgb': 5 });
    expect(() => G.synthesis.apply(tf.zeros([1, 7, cfg.wDim]) as Tensor3D)).toThrow(/ws must be \[N, 6, 16\]/);
    G.ps.dispose();
  });

  it("given noise: per-image maps by buffer name; the const buffers given to every image equal mode 'const'", () => {
    const cfg = preset('test', 16).network;
    const G = new Generator(tf, cfg, 5);
    for (const [name, v] of G.ps.params) if (name.endsWith('noise_strength')) v.assign(tf.scalar(0.5));
    const inputs = G.synthesis.noiseInputs();
    expect(inputs).toEqual([
      { name: 'b4.conv1.noise_const', resolution: 4 },
      { name: 'b8.conv0.noise_const', resolution: 8 },
      { name: 'b8.conv1.noise_const', resolution: 8 },
      { name: 'b16.conv0.noise_const', resolution: 16 },
      { name: 'b16.conv1.noise_const', resolution: 16 },
    ]);
    const ws = tf.randomNormal([2, G.numWs, cfg.wDim], 0, 1, 'float32', 1) as Tensor3D;
    const tiled = new Map(inputs.map((i) => [i.name, tf.tile(tf.reshape(G.ps.get(i.name), [1, i.resolution, i.resolution, 1]), [2, 1, 1, 1]) as Tensor4D]));
    const a = G.synthesis.apply(ws, { noiseMode: 'const' }).dataSync();
    const b = G.synthesis.apply(ws, { noiseMode: 'given', noise: tiled }).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    // Each image reads its own maps: changing image 1's maps leaves image 0 alone.
    const other = new Map([...tiled].map(([k, v]) => [k, tf.concat([v.slice([0, 0, 0, 0], [1, -1, -1, -1]), tf.onesLike(v.slice([1, 0, 0, 0], [1, -1, -1, -1]))]) as Tensor4D]));
    const c = G.synthesis.apply(ws, { noiseMode: 'given', noise: other }).dataSync();
    const per = 16 * 16 * 3;
    expect(Array.from(c.subarray(0, per))).toEqual(Array.from(a.subarray(0, per)));
    expect(Array.from(c.subarray(per))).not.toEqual(Array.from(a.subarray(per)));
    expect(() => G.synthesis.apply(ws, { noiseMode: 'given', noise: new Map() })).toThrow(/needs b4\.conv1\.noise_const as \[2, 4, 4, 1\]/);
    G.ps.dispose();
  });
});

describe('FullyConnected (equalised lr)', () => {
  it('lrelu, lr_mul 0.01 matches torch', () => {
    const fx = JSON.parse(readFileSync(new URL('../fixtures/ops.json', import.meta.url), 'utf8')).fc_lrelu_lr001 as Record<string, { shape: number[]; data: number[] }>;
    const ps = new ParamSet(tf, new Rng(0));
    const fc = new FullyConnected(tf, ps, 'fc', { inFeatures: 6, outFeatures: 4, act: 'lrelu', lrMul: 0.01 });
    fc.weight.assign(tf.transpose(tf.tensor2d(fx.w!.data, [4, 6])));
    fc.bias!.assign(tf.tensor1d(fx.b!.data));
    const y = fc.apply(tf.tensor2d(fx.x!.data, [3, 6]) as Tensor2D).dataSync();
    fx.y!.data.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 4));
    ps.dispose();
  });
});
