/**
 * `dermagan train`, `generate` and `bench gan` end to end at 16² with tiny channels: train on the
 * ingested demo sample, resume to a higher kimg (counters continue), generate a dataset from the
 * checkpoint, and misuse exits 2 with a message that says what to do.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dermagan, lastJson } from '../testing.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let root: string;
const at = (name: string) => join(root, name);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gan-cli-'));
  const ingested = await dermagan('ingest', '--out', at('demo'), '--size', '32', '--split', 'none', '--json');
  expect(ingested.code).toBe(0);
}, 180_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('dermagan train / generate', () => {
  it('trains (resizing 32² data to 16²), resumes with counters kept, and generates a dataset', async () => {
    const common = ['--data', at('demo'), '--res', '16', '--out', at('run'), '--tick', '0.008', '--json'];
    const first = await dermagan('train', ...common, '--kimg', '0.016', '--cfg', 'test', '--cond', '--aug', 'bg');
    expect(first.stderr).not.toMatch(/Error/);
    expect(first.code).toBe(0);
    expect(lastJson(first.stdout)).toMatchObject({ kimg: 0.016, step: 4, stopped: 'done', backend: 'tensorflow' });
    const run1 = JSON.parse(await readFile(at('run/run.json'), 'utf8')) as { dataset: { resized: unknown } };
    expect(run1.dataset.resized).toEqual({ from: 32, to: 16, method: 'area' });

    const second = await dermagan('train', ...common, '--kimg', '0.024', '--resume', at('run/checkpoint'));
    expect(second.code).toBe(0);
    expect(lastJson(second.stdout)).toMatchObject({ kimg: 0.024, step: 6 });
    const ticks = (await readFile(at('run/stats.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { step: number });
    expect(ticks.map((t) => t.step)).toEqual([2, 4, 6]);

    const gen = await dermagan('generate', '--ckpt', at('run/checkpoint'), '--n', '3', '--class', '1', '--seed', '7', '--trunc', '0.7', '--out', at('gen'), '--json');
    expect(gen.code).toBe(0);
    expect(lastJson(gen.stdout)).toMatchObject({ images: 3, labels: ['other', 'melanoma'] });
  }, 300_000);

  it('exits 2 with a clear message on misuse', async () => {
    const badRes = await dermagan('train', '--data', at('demo'), '--res', '48', '--kimg', '1', '--out', at('x'));
    expect(badRes.code).toBe(2);
    expect(badRes.stderr).toMatch(/resolution must be a power of two in \[16, 256\], got 48/);
    const both = await dermagan('train', '--data', at('demo'), '--res', '16', '--kimg', '1', '--out', at('x'), '--cond', '--class', '1');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--cond and --class exclude each other/);
    const noData = await dermagan('train', '--data', at('nothing'), '--res', '16', '--kimg', '1', '--out', at('x'));
    expect(noData.code).toBe(2);
    expect(noData.stderr).toMatch(/not a dermagan dataset.*dermagan ingest/);
    const noCkpt = await dermagan('generate', '--ckpt', at('nothing'), '--n', '1', '--out', at('y'));
    expect(noCkpt.code).toBe(2);
    expect(noCkpt.stderr).toMatch(/no checkpoint here/);
    const bench = await dermagan('bench', 'gan', '--res', '16', '--batch', '6', '--json');
    expect(bench.code).toBe(2);
    expect(bench.stderr).toMatch(/multiple of the minibatch-stddev group 4/);
  }, 120_000);

  it('bench gan prints the issue-defined keys', async () => {
    const r = await dermagan('bench', 'gan', '--res', '16', '--batch', '4', '--cbase', '128', '--cmax', '16', '--zdim', '16', '--wdim', '16', '--runs', '1', '--warmup', '0', '--json');
    expect(r.code).toBe(0);
    const out = lastJson(r.stdout);
    for (const key of ['backend', 'res', 'batch', 'params_g', 'params_d', 'g_step_s', 'd_step_s', 'd_r1_step_s', 'g_pl_step_s', 'sample_img_s']) expect(out).toHaveProperty(key);
    expect(out.params_g).toBe(11542); // = NVlabs for this configuration (fixtures/param_counts.json)
  }, 120_000);
});
