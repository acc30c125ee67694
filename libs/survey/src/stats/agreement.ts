/**
 * Chance-corrected agreement between raters who put items into categories.
 *
 * Cohen's κ (Cohen 1960) for two raters: κ = (p_o − p_e) / (1 − p_e), with p_o the share of items
 * both put in the same category and p_e = Σ_k p1_k · p2_k the agreement expected from each rater's
 * own category frequencies.
 *
 * Fleiss' κ (Fleiss 1971) for n ≥ 2 raters per item: with n_ij raters putting item i in category
 * j over N items, p_j = Σ_i n_ij / (N n), P_i = (Σ_j n_ij² − n) / (n (n − 1)), P̄ = mean P_i,
 * P̄_e = Σ_j p_j², κ = (P̄ − P̄_e) / (1 − P̄_e).
 *
 * Both are undefined when chance agreement is total (p_e = 1: every rating in one category);
 * they return null then, never NaN.
 */

/** Cohen's κ of two raters' categories for the same items (a[i] and b[i] rate item i). */
export function cohenKappa<T>(a: readonly T[], b: readonly T[]): number | null {
  if (a.length !== b.length) throw new Error(`cohenKappa: the two raters rated ${a.length} and ${b.length} items; pass the items both rated, in the same order`);
  const n = a.length;
  if (n === 0) return null;
  const categories = [...new Set([...a, ...b])];
  let agree = 0;
  for (let i = 0; i < n; i++) if (a[i] === b[i]) agree++;
  const po = agree / n;
  let pe = 0;
  for (const c of categories) pe += (count(a, c) / n) * (count(b, c) / n);
  return pe >= 1 ? null : (po - pe) / (1 - pe);
}

/**
 * Fleiss' κ from the counts table: `counts[i][j]` raters put item i in category j; every item must
 * have the same number of raters n ≥ 2.
 */
export function fleissKappa(counts: readonly (readonly number[])[]): number | null {
  const N = counts.length;
  if (N === 0) return null;
  const k = counts[0]!.length;
  const n = sum(counts[0]!);
  if (n < 2) throw new Error(`fleissKappa: every item needs at least 2 raters, got ${n}`);
  const p = new Array<number>(k).fill(0);
  let pBar = 0;
  counts.forEach((row, i) => {
    if (row.length !== k) throw new Error(`fleissKappa: item ${i} has ${row.length} categories, item 0 has ${k}`);
    if (sum(row) !== n) throw new Error(`fleissKappa: item ${i} has ${sum(row)} raters, item 0 has ${n}; keep only the items every rater rated`);
    row.forEach((c, j) => {
      if (!Number.isInteger(c) || c < 0) throw new Error(`fleissKappa: counts must be non-negative integers, item ${i} has ${c}`);
      p[j]! += c / (N * n);
    });
    pBar += (sum(row.map((c) => c * c)) - n) / (n * (n - 1)) / N;
  });
  const pe = sum(p.map((x) => x * x));
  return pe >= 1 ? null : (pBar - pe) / (1 - pe);
}

/** The counts table of Fleiss' κ from per-rater ratings of the same items (`ratings[r][i]`: rater r's category of item i). */
export function ratingCounts<T>(ratings: readonly (readonly T[])[], categories: readonly T[]): number[][] {
  const N = ratings[0]?.length ?? 0;
  for (const [r, row] of ratings.entries()) {
    if (row.length !== N) throw new Error(`ratingCounts: rater ${r} rated ${row.length} items, rater 0 rated ${N}`);
  }
  return Array.from({ length: N }, (_, i) =>
    categories.map((c) => ratings.reduce((acc, row) => acc + (row[i] === c ? 1 : 0), 0)),
  );
}

function count<T>(xs: readonly T[], c: T): number {
  let n = 0;
  for (const x of xs) if (x === c) n++;
  return n;
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
