import { Rng } from '@dermagan/gan';
import { describe, expect, it } from 'vitest';
import { nearestNeighbours } from './affinities.ts';
import type { Rows } from './matrix.ts';
import { pca } from './pca.ts';
import { tsne } from './tsne.ts';
import { umap } from './umap.ts';

/** `clusters` Gaussian blobs of `per` points in `d` dimensions, centres 10 apart. */
function blobs(clusters: number, per: number, d: number, seed = 1): { x: Rows; labels: number[] } {
  const rng = new Rng(seed);
  const data = new Float32Array(clusters * per * d);
  const labels: number[] = [];
  for (let c = 0; c < clusters; c++) {
    const centre = rng.normal(d, 10);
    for (let i = 0; i < per; i++) {
      const noise = rng.normal(d);
      for (let j = 0; j < d; j++) data[(c * per + i) * d + j] = centre[j]! + noise[j]!;
      labels.push(c);
    }
  }
  return { x: { data, rows: clusters * per, cols: d }, labels };
}

/** Share of each point's k nearest embedded neighbours with its own label. */
function purity(coordinates: Float64Array, dims: number, labels: number[], k = 5): number {
  const n = labels.length;
  const nn = nearestNeighbours({ data: coordinates, rows: n, cols: dims }, k);
  let same = 0;
  for (let i = 0; i < n; i++) for (let t = 0; t < k; t++) same += labels[nn.index[i * k + t]!] === labels[i] ? 1 : 0;
  return same / (n * k);
}

describe('pca', () => {
  it('finds the axis of largest variance, sorted descending, with a fixed sign', () => {
    const rng = new Rng(3);
    const n = 400;
    const data = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const [a, b, c] = rng.normal(3);
      data.set([5 * a!, 0.5 * b!, 2 * c!], i * 3);
    }
    const m = pca({ data, rows: n, cols: 3 }, 3);
    expect(Math.abs(m.components[0]!)).toBeCloseTo(1, 2);
    expect(Math.abs(m.components[3 + 2]!)).toBeCloseTo(1, 2);
    expect(m.variance[0]).toBeGreaterThan(m.variance[1]!);
    expect(m.variance[1]).toBeGreaterThan(m.variance[2]!);
    expect(m.components[0]).toBeGreaterThan(0);
    expect(m.explainedRatio.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
  });
});

describe('tsne', () => {
  const { x, labels } = blobs(3, 60, 20);

  it('dims=3 perplexity=15: keeps well separated clusters apart, and is seeded', () => {
    const a = tsne(x, { dims: 3, perplexity: 15, iterations: 400, seed: 7 });
    expect(a.coordinates.length).toBe(180 * 3);
    expect(purity(a.coordinates, 3, labels)).toBeGreaterThan(0.97);
    const b = tsne(x, { dims: 3, perplexity: 15, iterations: 400, seed: 7 });
    expect(Array.from(b.coordinates)).toEqual(Array.from(a.coordinates));
  });

  it('dims=2 theta=0 (exact repulsion) and theta=0.5 agree on the structure', () => {
    const exact = tsne(x, { dims: 2, perplexity: 15, iterations: 300, theta: 0 });
    const bh = tsne(x, { dims: 2, perplexity: 15, iterations: 300, theta: 0.5 });
    expect(purity(exact.coordinates, 2, labels)).toBeGreaterThan(0.95);
    expect(purity(bh.coordinates, 2, labels)).toBeGreaterThan(0.95);
  });

  it('throws when …', () => {
    expect(() => tsne({ data: new Float32Array(3), rows: 1, cols: 3 })).toThrow(/Error in tsne: needs at least 2 rows/);
    expect(() => tsne({ data: new Float32Array(10), rows: 5, cols: 3 })).toThrow(/matrix data has 10 values for 5×3/);
    expect(() => tsne(x, { dims: 4 as 3 })).toThrow(/dims must be 2 or 3/);
    const bad = Float32Array.from(x.data);
    bad[5] = Number.NaN;
    expect(() => tsne({ ...x, data: bad })).toThrow(/row 0 has a non-finite value/);
  });
});

describe('umap', () => {
  it('dims=3 neighbours=10: keeps clusters apart, and is seeded', () => {
    const { x, labels } = blobs(3, 50, 20, 2);
    const a = umap(x, { dims: 3, neighbours: 10, seed: 3, epochs: 200 });
    expect(purity(a.coordinates, 3, labels)).toBeGreaterThan(0.97);
    const b = umap(x, { dims: 3, neighbours: 10, seed: 3, epochs: 200 });
    expect(Array.from(b.coordinates)).toEqual(Array.from(a.coordinates));
  });
});
