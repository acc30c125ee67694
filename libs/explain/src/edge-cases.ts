/**
 * Edge cases of a classifier (REFERENCE §7.4, PAPER "edge cases between the two class clusters"):
 *   - near-threshold: |p − t| < margin, t the classifier's own decision threshold;
 *   - misclassified: on the wrong side of t;
 *   - between-clusters: in the classifier's embedding, about as close to the other class's centroid
 *     as to its own (d_own / d_other > ratio).
 * The reference kept melanomas with p ∈ (0.5, 0.75) among the correctly classified test images;
 * here edge cases come from the real training side only (never the test split, which measures
 * the retrained classifier), and every image says why it was picked.
 */
import { check } from './errors.ts';
import type { Rows } from './embedding/matrix.ts';

export const EDGE_REASONS = ['misclassified', 'near-threshold', 'between-clusters'] as const;
export type EdgeReason = (typeof EDGE_REASONS)[number];

export interface EdgeCaseOptions {
  /** Near-threshold band half-width on P(positive). */
  margin: number;
  /** Between-clusters when distance to own centroid / distance to the other ≥ this. */
  ratio: number;
  /** At most this many edge cases (misclassified first, then by closeness to the threshold). */
  max: number;
}

export const DEFAULT_EDGE_CASES: EdgeCaseOptions = { margin: 0.1, ratio: 0.9, max: 24 };

export interface EdgeCase {
  /** Row in the scored set. */
  index: number;
  label: number;
  score: number;
  reasons: EdgeReason[];
  /** d_own / d_other in the embedding. */
  centroidRatio: number;
}

export function findEdgeCases(labels: ArrayLike<number>, scores: ArrayLike<number>, embedding: Rows, threshold: number, options: Partial<EdgeCaseOptions> = {}): EdgeCase[] {
  const o = { ...DEFAULT_EDGE_CASES, ...options };
  const n = labels.length;
  check(scores.length === n && embedding.rows === n, 'findEdgeCases', () => `labels (${n}), scores (${scores.length}) and embedding rows (${embedding.rows}) must match`);
  const d = embedding.cols;
  const centroids = [new Float64Array(d), new Float64Array(d)];
  const counts = [0, 0];
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    check(c === 0 || c === 1, 'findEdgeCases', () => `labels must be 0 or 1, got ${c}`);
    counts[c]!++;
    for (let j = 0; j < d; j++) centroids[c]![j]! += embedding.data[i * d + j]!;
  }
  check(counts[0]! > 0 && counts[1]! > 0, 'findEdgeCases', () => `both classes are needed, got ${counts[0]} and ${counts[1]}`);
  for (const c of [0, 1]) for (let j = 0; j < d; j++) centroids[c]![j]! /= counts[c]!;
  const dist = (i: number, c: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += (embedding.data[i * d + j]! - centroids[c]![j]!) ** 2;
    return Math.sqrt(s);
  };
  const out: EdgeCase[] = [];
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    const score = scores[i]!;
    const ratio = dist(i, label) / (dist(i, 1 - label) || 1e-12);
    const reasons: EdgeReason[] = [];
    if ((score >= threshold ? 1 : 0) !== label) reasons.push('misclassified');
    if (Math.abs(score - threshold) < o.margin) reasons.push('near-threshold');
    if (ratio >= o.ratio) reasons.push('between-clusters');
    if (reasons.length > 0) out.push({ index: i, label, score, reasons, centroidRatio: ratio });
  }
  out.sort((a, b) => Number(b.reasons.includes('misclassified')) - Number(a.reasons.includes('misclassified')) || Math.abs(a.score - threshold) - Math.abs(b.score - threshold) || a.index - b.index);
  return out.slice(0, o.max);
}
