import { Generator, preset, Rng } from '@dermagan/gan';
import { readNpy } from '@dermagan/npy';
import { loadTf } from '@dermagan/tf';
import { describe, expect, it } from 'vitest';
import { ganspace } from './ganspace.ts';
import { renderWs, sampleW } from './generator-ops.ts';
import { crossHyperplane, hyperplane, signedDistances } from './hyperplane.ts';
import { editWs, linspace } from './edit.ts';
import { latentNeighbours } from './neighbours.ts';
import { sefa, sefaFromWeights, styleAffines } from './sefa.ts';

const { tf } = await loadTf();
const FIXTURES = new URL('../../fixtures/sefa/', import.meta.url).pathname;

/** |cos| of two rows: directions are defined up to sign. */
function absCos(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return Math.abs(ab) / Math.sqrt(aa * bb);
}

const affines = await Promise.all(
  [0, 1, 2, 3].map(async (i) => {
    const a = await readNpy(`${FIXTURES}affine${i}.npy`);
    return { name: `layer${i}`, weight: a.data as Float32Array, wDim: a.shape[0]!, channels: a.shape[1]! };
  }),
);

describe('sefa', () => {
  it.each([
    ['all', [0, 1, 2, 3]],
    ['first2', [0, 1]],
  ] as const)('layers=%s: directions and eigenvalues equal numpy (genforce SeFa, sorted descending)', async (name, layers) => {
    const values = (await readNpy(`${FIXTURES}${name}.values.npy`)).data as Float64Array;
    const directions = (await readNpy(`${FIXTURES}${name}.directions.npy`)).data as Float64Array;
    const d = 16;
    const result = sefaFromWeights(layers.map((i) => affines[i]!), d);
    for (let k = 0; k < d; k++) expect(result.values[k]).toBeCloseTo(values[k]!, 4);
    // Eigenvectors of well separated eigenvalues agree up to sign; check the leading ones.
    for (let k = 0; k < 8; k++) {
      expect(absCos(result.directions.subarray(k * d, (k + 1) * d), directions.subarray(k * d, (k + 1) * d))).toBeGreaterThan(1 - 1e-6);
      expect(Math.hypot(...result.directions.subarray(k * d, (k + 1) * d))).toBeCloseTo(1, 10);
    }
    for (let k = 1; k < d; k++) expect(result.values[k]).toBeLessThanOrEqual(result.values[k - 1]!);
  });

  it('reads the style affines by ws index: convs in order, the last toRGB last', () => {
    const G = new Generator(tf, { ...preset('test', 16).network }, 1);
    const names = styleAffines(G).map((a) => a.name);
    expect(names).toEqual(['b4.conv1', 'b8.conv0', 'b8.conv1', 'b16.conv0', 'b16.conv1', 'b16.torgb']);
    expect(names.length).toBe(G.numWs);
    const r = sefa(G, 3, { start: 1, end: 3 });
    expect(r.layers).toEqual(['b8.conv0', 'b8.conv1']);
    expect(r.directions.length).toBe(3 * G.cfg.wDim);
    G.ps.dispose();
  });

  it('throws when …', () => {
    const G = new Generator(tf, { ...preset('test', 16).network }, 1);
    expect(() => sefa(G, 3, { start: 2, end: 9 })).toThrow(/Error in sefa: layer range \[2, 9\) must lie in \[0, 6\)/);
    expect(() => sefa(G, 0)).toThrow(/k must be an integer in \[1, 16\]/);
    G.ps.dispose();
  });
});

describe('W samples, editing and rendering', () => {
  it('samples seeded w, edits only the chosen layers, renders uint8 images', () => {
    const G = new Generator(tf, { ...preset('test', 16).network, cDim: 2 }, 2);
    const a = sampleW(tf, G, { n: 5, seed: 3 });
    const b = sampleW(tf, G, { n: 5, seed: 3 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.classes!)).toEqual([0, 1, 0, 1, 0]);
    const d = G.cfg.wDim;
    const ws = new Float32Array(G.numWs * d).fill(0.5);
    const dir = Float64Array.from({ length: d }, (_, i) => (i === 0 ? 1 : 0));
    const edited = editWs(ws, G.numWs, dir, [-1, 2], { start: 1, end: 3 });
    expect(edited[0]).toBe(0.5); // layer 0 untouched
    expect(edited[1 * d]).toBe(-0.5);
    expect(edited[(G.numWs + 2) * d]).toBe(2.5);
    expect(linspace(-3, 3, 7)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    const images = renderWs(tf, G, a.data as Float32Array, 5);
    expect(images.length).toBe(5 * 16 * 16 * 3);
    expect(() => renderWs(tf, G, new Float32Array(7), 5)).toThrow(/Error in renderWs/);
    G.ps.dispose();
  });
});

describe('ganspace, hyperplane and neighbours', () => {
  /** 400 points in 8-D; the attribute is the sign of a known direction (with a margin). */
  const rng = new Rng(11);
  const d = 8;
  const truth = Float64Array.from([3, -1, 0, 2, 0, 0, 1, 0]);
  const norm = Math.hypot(...truth);
  const data = new Float32Array(400 * d);
  const labels = new Uint8Array(400);
  for (let i = 0; i < 400; i++) {
    const x = rng.normal(d);
    let s = 0;
    for (let j = 0; j < d; j++) s += (truth[j]! / norm) * x[j]!;
    const shift = s >= 0 ? 0.5 : -0.5;
    for (let j = 0; j < d; j++) data[i * d + j] = x[j]! + (shift * truth[j]!) / norm + (j === 2 ? 5 : 0);
    labels[i] = s >= 0 ? 1 : 0;
  }
  const w = { data, rows: 400, cols: d };

  it('finds the normal of a linearly separable attribute (|cos| > 0.97), with CV accuracy', () => {
    const plane = hyperplane(w, labels);
    expect(absCos(plane.normal, truth)).toBeGreaterThan(0.97);
    expect(plane.trainAccuracy).toBeGreaterThan(0.97);
    expect(plane.cvAccuracy).toBeGreaterThan(0.95);
    expect(Math.hypot(...plane.normal)).toBeCloseTo(1, 10);
    // Positive side = attribute present; crossing moves every positive row to −3× its distance.
    const s0 = signedDistances(plane, w);
    const moved = signedDistances(plane, { ...w, data: crossHyperplane(plane, w, 3) });
    for (let i = 0; i < 400; i++) {
      if (s0[i]! > 0) expect(moved[i]).toBeCloseTo(-3 * s0[i]!, 4);
      else expect(moved[i]).toBeCloseTo(s0[i]!, 5);
    }
  });

  it('ganspace: first component is the axis of most variance', () => {
    const r = ganspace(w, 3);
    expect(r.sigma[0]).toBeGreaterThanOrEqual(r.sigma[1]!);
    expect(absCos(r.directions.subarray(0, d), truth)).toBeGreaterThan(0.8);
  });

  it('neighbours stay within the radius in every coordinate (no clipping in W)', () => {
    const far = { data: Float32Array.from({ length: 2 * d }, (_, i) => (i % 2 ? 3 : -2.5)), rows: 2, cols: d };
    const n = latentNeighbours(far, { count: 4, radius: 0.1, seed: 1 });
    expect(n.rows).toBe(8);
    for (let i = 0; i < 8; i++) {
      const src = Math.floor(i / 4);
      for (let j = 0; j < d; j++) expect(Math.abs(n.data[i * d + j]! - far.data[src * d + j]!)).toBeLessThanOrEqual(0.1 + 1e-6);
    }
  });

  it('throws when …', () => {
    expect(() => hyperplane(w, new Uint8Array(400))).toThrow(/needs both classes; got 0 with and 400 without/);
    expect(() => hyperplane(w, new Uint8Array(3))).toThrow(/3 labels for 400 rows/);
    expect(() => latentNeighbours(w, { radius: 0 })).toThrow(/radius must be > 0/);
  });
});
