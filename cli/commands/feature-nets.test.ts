/**
 * The paper's feature networks in the product, end to end at small sizes: `train --metrics` scores
 * every snapshot in Inception-2015 space (real statistics computed once, then read from their
 * cache), `lpips` compares two dataset folders pair by pair, `ppl` reports LPIPS PPL beside the
 * pixel stand-in; misuse exits 2 with the reason.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetWriter } from '@dermagan/dataset';
import { dermagan, lastJson } from '../testing.ts';

let root: string;
const at = (name: string) => join(root, name);

async function dataset(name: string, size: number, count: number, seed: number): Promise<string> {
  const w = await DatasetWriter.create({ dir: at(name), size });
  for (let i = 0; i < count; i++) {
    const px = new Uint8Array(size * size * 3).map((_, j) => (((j % (size * 3)) * (i + 2) + seed * 37 + Math.floor(j / (size * 3)) * 5) % 256));
    await w.append(px, { id: `${name}${i}`, patient: `${name}${i}`, label: 0, sha256: `${seed}${i}`.padStart(64, 'c') });
  }
  await w.finish({ name, labels: ['all'], source: { kind: 'generated' }, split: { kind: 'none' }, tenants: null });
  return at(name);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'feature-nets-cli-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('feature networks in the CLI', () => {
  it('train --metrics fid4 writes the snapshot FID to stats.jsonl and --json, with the real statistics cached', async () => {
    const data = await dataset('reals', 16, 8, 1);
    const args = ['--data', data, '--res', '16', '--cfg', 'test', '--tick', '0.004', '--snap', '1', '--metrics', 'fid4', '--json'];
    const first = await dermagan('train', ...args, '--kimg', '0.004', '--out', at('run'));
    expect(first.code, first.stderr).toBe(0);
    const metrics = lastJson(first.stdout).metrics as Array<{ name: string; value: number; kimg: number }>;
    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({ name: 'fid4', kimg: 0.004 });
    expect(metrics[0]!.value).toBeGreaterThan(0);
    const lines = (await readFile(at('run/stats.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const score = lines.find((l) => l.metric === 'fid4') as { provenance: { extractor: { id: string; preprocessing: string }; real: { n: number }; realStatisticsCached: boolean } };
    expect(score.provenance.extractor).toMatchObject({ id: 'inception-2015', preprocessing: 'sg2ada' });
    expect(score.provenance.real.n).toBe(8);
    // A second run on the same reals reads their statistics from the cache.
    const second = await dermagan('train', ...args, '--kimg', '0.004', '--out', at('run2'));
    expect(second.code, second.stderr).toBe(0);
    const again = (await readFile(at('run2/stats.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { metric?: string; provenance?: { realStatisticsCached: boolean } });
    expect(again.find((l) => l.metric === 'fid4')!.provenance!.realStatisticsCached).toBe(true);
    const bad = await dermagan('train', ...args, '--kimg', '0.004', '--out', at('x'), '--metrics', 'fidfast');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--metrics takes fid<N>k/);

    // PPL of that checkpoint: LPIPS and the pixel stand-in from the same path samples.
    const ppl = await dermagan('ppl', '--ckpt', at('run/checkpoint'), '--samples', '4', '--json');
    expect(ppl.code, ppl.stderr).toBe(0);
    const p = lastJson(ppl.stdout) as { ppl: number; ppl_pixels: number; provenance: { features: { ppl: { id: string } }; space: string } };
    expect(p.ppl).toBeGreaterThan(0);
    expect(p.ppl_pixels).toBeGreaterThan(0);
    expect(p.provenance).toMatchObject({ features: { ppl: { id: 'lpips-vgg16' } }, space: 'w' });
  }, 600_000);

  it('lpips --json gives one distance per pair, 0 for identical sets; misuse exits 2', async () => {
    const a = await dataset('a', 16, 3, 1);
    const b = await dataset('b', 16, 3, 2);
    const r = await dermagan('lpips', '--a', a, '--b', b, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson(r.stdout) as { lpips: number[]; mean: number; provenance: { network: { id: string }; pairs: number } };
    expect(out.lpips).toHaveLength(3);
    expect(out.lpips.every((d) => d > 0)).toBe(true);
    expect(out.mean).toBeCloseTo(out.lpips.reduce((s, d) => s + d, 0) / 3, 12);
    expect(out.provenance).toMatchObject({ network: { id: 'lpips-vgg16' }, pairs: 3 });
    const same = lastJson((await dermagan('lpips', '--a', a, '--b', a, '--json')).stdout) as { lpips: number[] };
    expect(same.lpips).toEqual([0, 0, 0]);
    const big = await dataset('big', 32, 3, 3);
    const mixed = await dermagan('lpips', '--a', a, '--b', big);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/16×16 images but --b 32×32/);
    const tiny = await dataset('tiny', 8, 3, 4);
    const small = await dermagan('lpips', '--a', tiny, '--b', tiny);
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/images are 8×8; LPIPS-VGG16 needs at least 16×16/);
  }, 300_000);
});
