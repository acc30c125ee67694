import { describe, expect, it } from 'vitest';
import { aucChange } from './auc-change.ts';
import { findEdgeCases } from './edge-cases.ts';

describe('findEdgeCases', () => {
  // 1-D embedding: class 0 around 0, class 1 around 10; image 2 sits between them.
  const labels = [0, 0, 0, 1, 1, 1];
  const scores = [0.1, 0.45, 0.2, 0.9, 0.3, 0.8];
  const embedding = { data: Float32Array.from([0, 1, 6, 10, 9, 11]), rows: 6, cols: 1 };

  it('finds misclassified (first), near-threshold and between-clusters images, with reasons', () => {
    const cases = findEdgeCases(labels, scores, embedding, 0.5, { margin: 0.1, ratio: 0.9 });
    expect(cases.map((c) => c.index)).toEqual([4, 1, 2]);
    expect(cases[0]!.reasons).toEqual(['misclassified']);
    expect(cases[1]!.reasons).toEqual(['near-threshold']);
    expect(cases[2]!.reasons).toEqual(['between-clusters']);
    expect(findEdgeCases(labels, scores, embedding, 0.5, { max: 1 }).length).toBe(1);
  });

  it('throws when …', () => {
    expect(() => findEdgeCases([0, 0], [0.1, 0.2], { data: new Float32Array(2), rows: 2, cols: 1 }, 0.5)).toThrow(/both classes are needed/);
    expect(() => findEdgeCases(labels, [0.1], embedding, 0.5)).toThrow(/Error in findEdgeCases: labels \(6\), scores \(1\)/);
  });
});

describe('aucChange', () => {
  it('a better classifier on the same images: positive ΔAUC whose interval excludes 0', () => {
    const n = 200;
    const labels = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const before = labels.map((y, i) => (y ? 0.55 : 0.45) + (((i * 37) % 100) / 100 - 0.5) * 0.6);
    const after = labels.map((y, i) => (y ? 0.7 : 0.3) + (((i * 37) % 100) / 100 - 0.5) * 0.6);
    const patients = labels.map((_, i) => `p${i}`);
    const r = aucChange(labels, before, after, patients, { resamples: 300 });
    expect(r.delta).toBeGreaterThan(0);
    expect(r.ci[0]).toBeGreaterThan(0);
    expect(r.ci[0]).toBeLessThanOrEqual(r.delta);
    expect(r.ci[1]).toBeGreaterThanOrEqual(r.delta);
    const same = aucChange(labels, before, before, patients, { resamples: 50 });
    expect(same.delta).toBe(0);
    expect(same.ci).toEqual([0, 0]);
  });
});
