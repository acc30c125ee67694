/**
 * The trainer at 16² with tiny channels: resume is bit-identical (N straight = N/2 + save + load +
 * N/2, for weights, optimiser moments, RNG, augment pipe, ADA and the per-step numbers), ticks
 * report data, a non-finite loss stops training and leaves the last good checkpoint, and steps
 * leak no tensors.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '@dermagan/tf';
import { FolderCheckpointSink, MemoryCheckpointSink } from './checkpoint.ts';
import { preset } from './config.ts';
import { NonFiniteLossError } from './loss.ts';
import { Rng } from './rng.ts';
import type { Tf } from './tf-types.ts';
import { inMemoryData, type TrainingData } from './training-data.ts';
import { Trainer, type TickStats, type TrainerOptions } from './training-loop.ts';

let tf: Tf;
let data: TrainingData;
let dir: string;

beforeAll(async () => {
  tf = (await loadTf()).tf;
  const rng = new Rng(0);
  const n = 24;
  const pixels = new Uint8Array(n * 16 * 16 * 3).map(() => rng.int(0, 256));
  data = inMemoryData(pixels, new Int32Array(n).map((_, i) => i % 2), 16, ['benign', 'malignant']);
  dir = await mkdtemp(join(tmpdir(), 'dermagan-gan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(cond: boolean): TrainerOptions {
  const config = preset('test', 16);
  config.network.cDim = cond ? 2 : 0;
  // Short intervals so Greg, Dreg and ADA all run on both sides of the resume point.
  Object.assign(config.training, { plInterval: 2, r1Interval: 3 });
  return { config, seed: 7, augment: { pipe: 'bgc', target: 0.6, p: 0.3, interval: 2, kimg: 0.05 }, mirror: true };
}

function snapshot(t: Trainer): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [prefix, ps] of [['G', t.G.ps], ['D', t.D.ps], ['G_ema', t.Gema.ps]] as const) {
    for (const [name, v] of ps.entries()) out[`${prefix}/${name}`] = Array.from(v.dataSync());
  }
  for (const [prefix, opt] of [['optG', t.optG], ['optD', t.optD]] as const) {
    for (const [name, v] of opt.v) out[`${prefix}/v/${name}`] = Array.from(v.dataSync());
    out[`${prefix}/step`] = [opt.step];
  }
  out.rng = t.rng.getState();
  out.pipe = [t.pipe.p, ...t.pipe.getState().random];
  out.counters = [t.curNimg, t.step, t.loss.plMean];
  return out;
}

describe('Trainer resume', () => {
  for (const cond of [false, true]) {
    it(`8 steps straight = 4 + save + load + 4, bit for bit (${cond ? 'conditional' : 'unconditional'}, ADA bgc)`, async () => {
      const straight = new Trainer(tf, data, options(cond));
      const statsA: Array<Record<string, number>> = [];
      for (let i = 0; i < 8; i++) statsA.push(straight.stepOnce());

      const first = new Trainer(tf, data, options(cond));
      for (let i = 0; i < 4; i++) first.stepOnce();
      const sink = new MemoryCheckpointSink();
      await first.save(sink);
      first.dispose();
      const resumed = await Trainer.resume(tf, data, sink);
      const statsB: Array<Record<string, number>> = [];
      for (let i = 0; i < 4; i++) statsB.push(resumed.stepOnce());

      expect(statsB).toEqual(statsA.slice(4));
      expect(statsA.some((s) => 'Loss/Greg/total' in s) && statsA.slice(4).some((s) => 'Loss/Dreg/total' in s)).toBe(true);
      expect(resumed.pipe.p).not.toBe(0.3); // ADA moved p, and the resume kept it
      expect(snapshot(resumed)).toEqual(snapshot(straight));
      straight.dispose();
      resumed.dispose();
    });
  }

  it('refuses a checkpoint trained on another dataset, naming both fingerprints', async () => {
    const t = new Trainer(tf, data, options(false));
    const sink = new MemoryCheckpointSink();
    await t.save(sink);
    t.dispose();
    const other = inMemoryData(data.pixels.map((v) => 255 - v), data.labels, 16, data.labelNames);
    await expect(Trainer.resume(tf, other, sink)).rejects.toThrow(/was trained on dataset .* not .*pass the same --data/);
  });
});

describe('Trainer.run', () => {
  it('reports ticks as data, checkpoints, and a NaN loss stops training keeping the last good checkpoint', async () => {
    const t = new Trainer(tf, data, options(false));
    const ticks: TickStats[] = [];
    const sink = new FolderCheckpointSink(join(dir, 'ckpt'));
    // 4 images per step: a tick of 0.008 kimg is 2 steps.
    await t.run({ kimg: 0.016, kimgPerTick: 0.008, snapshotTicks: 1, sink, onTick: (s) => ticks.push(s) });
    expect(ticks.map((s) => s.step)).toEqual([2, 4]);
    expect(ticks[1]!.kimg).toBeCloseTo(0.016, 9);
    for (const key of ['Loss/G/loss', 'Loss/D/loss', 'Loss/scores/real', 'Loss/signs/real', 'Progress/augment']) expect(Number.isFinite(ticks[1]!.losses[key])).toBe(true);
    expect(ticks[1]!.secPerKimg).toBeGreaterThan(0);
    expect(ticks[1]!.memory.tensorBytes).toBeGreaterThan(0);

    const w = t.G.ps.params.get('b16.torgb.bias')!;
    w.assign(tf.fill(w.shape, NaN));
    await expect(t.run({ kimg: 0.032, kimgPerTick: 0.008, snapshotTicks: 1, sink })).rejects.toBeInstanceOf(NonFiniteLossError);
    const meta = JSON.parse(await readFile(join(dir, 'ckpt', 'checkpoint.json'), 'utf8')) as { counters: { step: number } };
    expect(meta.counters.step).toBe(4);
    const back = await Trainer.resume(tf, data, sink);
    expect(back.step).toBe(4);
    expect(Array.from(back.G.ps.params.get('b16.torgb.bias')!.dataSync()).every(Number.isFinite)).toBe(true);
    t.dispose();
    back.dispose();
  });

  it('leaks no tensors across steps', () => {
    const t = new Trainer(tf, data, options(true));
    for (let i = 0; i < 6; i++) t.stepOnce(); // every phase has run and every cache is warm
    const before = tf.memory().numTensors;
    for (let i = 0; i < 6; i++) t.stepOnce();
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });
});
