import { describe, expect, it } from 'vitest';
import { seededRng } from './rng.ts';
import { assertComplete, decodeSum, DEFAULT_SECAGG_SCALE, generateSecAggKeyPair, pairwiseSeed, sumMasked, UpdateMasker } from './secagg.ts';

const TENANTS = ['hospital-a', 'hospital-b', 'hospital-c'];
const CTX = { federation: 'fed-1', round: 4, attempt: 0 };

/** Every tenant's masker, built only from its own private key and the others' public keys. */
function maskers(scale?: number): Map<string, UpdateMasker> {
  const keys = new Map(TENANTS.map((t) => [t, generateSecAggKeyPair()]));
  return new Map(
    TENANTS.map((self) => {
      const seeds = new Map(TENANTS.filter((p) => p !== self).map((p) => [p, pairwiseSeed(keys.get(self)!.privateKey, keys.get(p)!.publicKeyPem, self, p, CTX)]));
      return [self, new UpdateMasker({ self, participants: TENANTS, seeds, ...(scale ? { scale } : {}) })];
    }),
  );
}

function gaussianVector(n: number, seed: number, std = 0.01): Float32Array {
  const rng = seededRng(seed);
  return Float32Array.from({ length: n }, () => std * rng.gaussian());
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]!; mb += b[i]!; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma, y = b[i]! - mb;
    sab += x * y; saa += x * x; sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('secure aggregation (pairwise masks)', () => {
  it('both ends of a pair derive the same seed; other pairs, rounds, attempts and federations differ', () => {
    const [a, b, c] = [generateSecAggKeyPair(), generateSecAggKeyPair(), generateSecAggKeyPair()];
    const ab = pairwiseSeed(a.privateKey, b.publicKeyPem, 'a', 'b', CTX);
    expect(pairwiseSeed(b.privateKey, a.publicKeyPem, 'b', 'a', CTX).equals(ab)).toBe(true);
    expect(pairwiseSeed(a.privateKey, c.publicKeyPem, 'a', 'c', CTX).equals(ab)).toBe(false);
    expect(pairwiseSeed(a.privateKey, b.publicKeyPem, 'a', 'b', { ...CTX, round: 5 }).equals(ab)).toBe(false);
    expect(pairwiseSeed(a.privateKey, b.publicKeyPem, 'a', 'b', { ...CTX, federation: 'fed-2' }).equals(ab)).toBe(false);
    expect(pairwiseSeed(a.privateKey, b.publicKeyPem, 'a', 'b', { ...CTX, attempt: 1 }).equals(ab)).toBe(false);
  });

  it('the masked sum equals the plain weighted sum within 3·0.5/scale (+ float32 rounding), over two tensors streamed in order', () => {
    const m = maskers();
    const weights = { 'hospital-a': 2000 / 34000, 'hospital-b': 12000 / 34000, 'hospital-c': 20000 / 34000 };
    const sizes = [1000, 37];
    const updates = new Map(TENANTS.map((t, j) => [t, sizes.map((n, k) => gaussianVector(n, 10 * j + k))]));
    for (const [k, n] of sizes.entries()) {
      const masked = TENANTS.map((t) => m.get(t)!.mask(updates.get(t)![k]!, weights[t as keyof typeof weights]));
      const got = decodeSum(sumMasked(masked));
      const tolerance = (3 * 0.5) / DEFAULT_SECAGG_SCALE + 1e-8;
      for (let i = 0; i < n; i++) {
        const expected = TENANTS.reduce((s, t) => s + weights[t as keyof typeof weights] * updates.get(t)![k]![i]!, 0);
        expect(Math.abs(got[i]! - expected)).toBeLessThan(tolerance);
      }
    }
  });

  it('the masks cancel exactly: Σ masked = Σ fixed-point encodings, bit for bit', () => {
    const m = maskers();
    const plain = TENANTS.map((_, j) => gaussianVector(500, 100 + j));
    const masked = TENANTS.map((t, j) => m.get(t)!.mask(plain[j]!, 1));
    const encoded = plain.map((v) => Uint32Array.from(v, (x) => Math.round(x * DEFAULT_SECAGG_SCALE) >>> 0));
    expect([...sumMasked(masked)]).toEqual([...sumMasked(encoded)]);
  });

  it('one masked update alone looks like noise: |correlation with the true update| < 0.05 over 10k values', () => {
    const m = maskers();
    const update = gaussianVector(10_000, 7, 1);
    const masked = m.get('hospital-b')!.mask(update, 1);
    const asSigned = new Int32Array(masked.buffer);
    expect(Math.abs(correlation(asSigned, update))).toBeLessThan(0.05);
    // The masked words are spread over the whole 32-bit range (mean of uniform u32 ≈ 2^31).
    const mean = masked.reduce((a, b) => a + b, 0) / masked.length;
    expect(Math.abs(mean / 2 ** 31 - 1)).toBeLessThan(0.03);
  });

  it('throws when a weighted value does not fit the fixed-point range', () => {
    const m = maskers();
    expect(() => m.get('hospital-a')!.mask(Float32Array.from([1000]), 1)).toThrow(/outside ±682.6/);
  });

  it('needs a seed for every peer, and the aggregator needs every masked update (no dropout recovery)', () => {
    expect(() => new UpdateMasker({ self: 'a', participants: ['a', 'b'], seeds: new Map() })).toThrow(/no pairwise seed for peer b/);
    expect(() => assertComplete(TENANTS, ['hospital-a', 'hospital-c'])).toThrow(/missing from hospital-b/);
    expect(() => assertComplete(TENANTS, TENANTS)).not.toThrow();
  });
});

describe('secure aggregation over weight files', () => {
  it('the aggregate of masked files equals FedAvg within 3·0.5/scale, and a masked file alone is not the update', async () => {
    const { aggregateMaskedFiles, maskUpdateFile } = await import('./secagg-stream.ts');
    const { decodeWeightSet, encodeWeightSet, memorySink, memorySource, chunkSource } = await import('./weight-file.ts');
    const { ws, values } = await import('./testing.ts');
    const global = ws({ 'G/w': [[0.5, -0.25, 1, 2, 3, 4], [2, 3]], 'D/b': [0.125], 'G_ema/w': [[0, 0, 0, 0, 0, 0], [2, 3]] });
    const samples = { 'hospital-a': 2000, 'hospital-b': 12000, 'hospital-c': 20000 };
    const total = 34000;
    const m = maskers();
    const files: ReturnType<typeof memorySource>[] = [];
    const updates = TENANTS.map((t, j) => ws({
      'G/w': [values(global, 'G/w').map((x, i) => x + 0.01 * (j + 1) * (i - 2)), [2, 3]],
      'D/b': [0.125 - 0.003 * j],
      'G_ema/w': [[j, j, j, j, j, j].map((x) => x * 0.001), [2, 3]],
    }));
    for (const [j, t] of TENANTS.entries()) {
      let sink: ReturnType<typeof memorySink> | null = null;
      await maskUpdateFile({ masker: m.get(t)!, weight: samples[t as keyof typeof samples] / total, global: memorySource(global), update: memorySource(updates[j]!), createOutput: (h) => (sink = memorySink(h)) });
      const bytes = encodeWeightSet((sink as unknown as ReturnType<typeof memorySink>).result());
      // Through bytes, as the store would carry it.
      files.push(chunkSource(t, async () => (async function* () { yield bytes; })()));
      const alone = await decodeWeightSet(bytes);
      expect(values(alone, 'G/w')).not.toEqual(values(updates[j]!, 'G/w'));
    }
    let out: ReturnType<typeof memorySink> | null = null;
    await aggregateMaskedFiles({ global: memorySource(global), masked: files, createOutput: (h) => (out = memorySink(h)) });
    const got = (out as unknown as ReturnType<typeof memorySink>).result();
    for (const name of ['G/w', 'D/b', 'G_ema/w']) {
      const expected = values(global, name).map((_, i) => TENANTS.reduce((s, t, j) => s + (samples[t as keyof typeof samples] / total) * values(updates[j]!, name)[i]!, 0));
      values(got, name).forEach((x, i) => expect(Math.abs(x - expected[i]!)).toBeLessThan((3 * 0.5) / DEFAULT_SECAGG_SCALE + 4e-7));
    }
  });
});
