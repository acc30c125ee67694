/**
 * A proportion's uncertainty: the Wilson score interval (Wilson 1927; Brown, Cai & DasGupta 2001
 * recommend it over the Wald interval for small n) and the exact two-sided binomial test against
 * p0 (is an expert's accuracy distinguishable from the coin toss, p0 = 0.5?).
 */

/** Wilson score interval of k successes in n trials at z (1.959964 = 95 %); null for n = 0. */
export function wilsonInterval(k: number, n: number, z = 1.959963984540054): [number, number] | null {
  if (n === 0) return null;
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Exact two-sided binomial p-value of k successes in n trials under p0: the total probability of
 * outcomes no more likely than k (the "minimum likelihood" method R's binom.test uses).
 */
export function binomialTestTwoSided(k: number, n: number, p0 = 0.5): number {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || k > n) throw new Error(`binomialTestTwoSided: need integers 0 ≤ k ≤ n, got k=${k} n=${n}`);
  const logPmf = (i: number) => logChoose(n, i) + (i === 0 ? 0 : i * Math.log(p0)) + (i === n ? 0 : (n - i) * Math.log(1 - p0));
  const observed = logPmf(k);
  // R's relative tolerance for "no more likely than" (1 + 1e-7).
  const bound = observed + Math.log1p(1e-7);
  let total = 0;
  for (let i = 0; i <= n; i++) {
    const l = logPmf(i);
    if (l <= bound) total += Math.exp(l);
  }
  return Math.min(1, total);
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

const LOG_FACTORIALS: number[] = [0];
function logFactorial(n: number): number {
  for (let i = LOG_FACTORIALS.length; i <= n; i++) LOG_FACTORIALS[i] = LOG_FACTORIALS[i - 1]! + Math.log(i);
  return LOG_FACTORIALS[n]!;
}
