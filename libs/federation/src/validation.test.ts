import { describe, expect, it } from 'vitest';
import { encodeWeightSet, chunkSource, memorySource, weightSetSha256 } from './weight-file.ts';
import { generateTenantKeyPair, signUpdate, type SignedFields } from './signing.ts';
import { ws } from './testing.ts';
import {
  checkEnvelope, checkInspection, checkSecaggMean, checkSignature, inspectUpdate, normOutliers, normsOverMedian, secaggMeanBound, secaggQuantisation, secaggRefusals,
  type Rejection,
} from './validation.ts';
import type { WeightSet } from './weights.ts';

const GLOBAL = ws({ 'G/w': [0, 0], 'D/b': [0], 'G_ema/w': [0, 0] });
const GOOD = ws({ 'G/w': [3, 0], 'D/b': [4], 'G_ema/w': [0, 0] });

async function judge(update: WeightSet | ReturnType<typeof chunkSource>, maxDeltaNorm?: number): Promise<Rejection | null> {
  const source = 'open' in update ? update : memorySource(update);
  const inspection = await inspectUpdate(memorySource(GLOBAL), source);
  return checkInspection('t1', 2, inspection, { maxDeltaNorm });
}

describe('envelope checks', () => {
  const ctx = { round: 5, participants: ['a', 'b', 'c'], dropped: ['c'], submitted: ['b'], maxSamples: 50_000 };
  it.each([
    [{ tenant: 'a', round: 4, samples: 10 }, 'stale-round'],
    [{ tenant: 'a', round: 6, samples: 10 }, 'future-round'],
    [{ tenant: 'z', round: 5, samples: 10 }, 'not-participant'],
    [{ tenant: 'c', round: 5, samples: 10 }, 'past-deadline'],
    [{ tenant: 'b', round: 5, samples: 10 }, 'duplicate'],
    [{ tenant: 'a', round: 5, samples: 0 }, 'bad-sample-count'],
    [{ tenant: 'a', round: 5, samples: 2.5 }, 'bad-sample-count'],
    [{ tenant: 'a', round: 5, samples: 60_000 }, 'bad-sample-count'],
  ] as const)('%j → %s', (update, reason) => {
    expect(checkEnvelope(ctx, update)?.reason).toBe(reason);
  });
  it('accepts an expected participant once', () => {
    expect(checkEnvelope(ctx, { tenant: 'a', round: 5, samples: 2000 })).toBeNull();
  });
  it('bounds the sample count by what the tenant registered, and refuses another tenant’s bytes', () => {
    const more = { ...ctx, registered: { a: 2000 }, hashes: { b: 'f'.repeat(64) } };
    expect(checkEnvelope(more, { tenant: 'a', round: 5, samples: 2000, sha256: 'a'.repeat(64) })).toBeNull();
    expect(checkEnvelope(more, { tenant: 'a', round: 5, samples: 2001, sha256: 'a'.repeat(64) })).toMatchObject({ reason: 'bad-sample-count', detail: 'sample count 2001 exceeds the 2000 tenant a registered' });
    expect(checkEnvelope(more, { tenant: 'a', round: 5, samples: 10, sha256: 'f'.repeat(64) })?.reason).toBe('copied-update');
  });
});

describe('signature checks', () => {
  const alice = generateTenantKeyPair();
  const mallory = generateTenantKeyPair();
  const keys = { alice: alice.publicKeyPem };
  const fields: SignedFields = { federation: 'fed-1', round: 3, attempt: 0, tenant: 'alice', weightsSha256: weightSetSha256(GOOD), samples: 2000 };
  const sig = signUpdate(alice.privateKeyPem, fields);

  it('accepts the tenant’s own signature', () => {
    expect(checkSignature(keys, fields, sig)).toBeNull();
  });
  it('unknown tenant', () => {
    expect(checkSignature(keys, { ...fields, tenant: 'bob' }, sig)?.reason).toBe('unknown-tenant');
  });
  it('missing signature', () => {
    expect(checkSignature(keys, fields, undefined)?.reason).toBe('signature-missing');
    expect(checkSignature(keys, fields, '')?.reason).toBe('signature-missing');
  });
  it.each<[string, () => string, SignedFields]>([
    ['another key', () => signUpdate(mallory.privateKeyPem, fields), fields],
    ['a replay into a later round', () => sig, { ...fields, round: 4 }],
    ['a replay into a retried attempt of the round', () => sig, { ...fields, attempt: 1 }],
    ['other weights', () => sig, { ...fields, weightsSha256: '0'.repeat(64) }],
    ['an inflated sample count', () => sig, { ...fields, samples: 20000 }],
    ['another federation', () => sig, { ...fields, federation: 'fed-2' }],
    ['a lowered reported norm', () => signUpdate(alice.privateKeyPem, { ...fields, deltaNorm: 5 }), { ...fields, deltaNorm: 0.1 }],
    ['a reported norm stripped', () => signUpdate(alice.privateKeyPem, { ...fields, deltaNorm: 5 }), fields],
    ['a reported norm added', () => sig, { ...fields, deltaNorm: 5 }],
    ['garbage', () => 'not base64 at all!', fields],
  ])('invalid signature: %s', (_what, signature, checked) => {
    expect(checkSignature(keys, checked, signature())?.reason).toBe('signature-invalid');
  });
});

describe('content checks (streamed inspection)', () => {
  it('a good update passes and reports ‖update − global‖ over G, D, G_ema', async () => {
    const inspection = await inspectUpdate(memorySource(GLOBAL), memorySource(GOOD));
    expect(inspection.deltaNorm).toBe(5);
    expect(inspection.groupNorms).toEqual({ G: 3, D: 4, G_ema: 0 });
    expect(await judge(GOOD, 10)).toBeNull();
  });

  it('NaN', async () => {
    const r = await judge(ws({ 'G/w': [NaN, 0], 'D/b': [0], 'G_ema/w': [0, 0] }));
    expect(r).toMatchObject({ reason: 'non-finite', detail: '1 NaN/Inf values, first in G/w' });
  });

  it('Infinity', async () => {
    expect((await judge(ws({ 'G/w': [0, 0], 'D/b': [0], 'G_ema/w': [Infinity, -Infinity] })))?.reason).toBe('non-finite');
  });

  it('wrong shape', async () => {
    const r = await judge(ws({ 'G/w': [0, 0, 0], 'D/b': [0], 'G_ema/w': [0, 0] }));
    expect(r).toMatchObject({ reason: 'schema-mismatch', detail: 'G/w: shape [3] != expected [2]' });
  });

  it('wrong tensor names', async () => {
    const r = await judge(ws({ 'G/w': [0, 0], 'D/c': [0], 'G_ema/w': [0, 0] }));
    expect(r).toMatchObject({ reason: 'schema-mismatch', detail: 'missing tensor D/b; unexpected tensor D/c' });
  });

  it('huge norm', async () => {
    const r = await judge(ws({ 'G/w': [3e6, 0], 'D/b': [4e6], 'G_ema/w': [0, 0] }), 100);
    expect(r).toMatchObject({ reason: 'norm-too-large', detail: '‖update − global‖ = 5.000e+6 > bound 100' });
  });

  it('bytes that do not hash to the signed sha256 (tampered in transit)', async () => {
    const bytes = encodeWeightSet(GOOD);
    const signed = weightSetSha256(ws({ 'G/w': [3, 1], 'D/b': [4], 'G_ema/w': [0, 0] }));
    const source = chunkSource('s3://t/u', async () => (async function* () { yield bytes; })(), signed);
    expect((await judge(source))?.reason).toBe('corrupt');
  });

  it('a truncated file', async () => {
    const bytes = encodeWeightSet(GOOD);
    const source = chunkSource('s3://t/u', async () => (async function* () { yield bytes.subarray(0, bytes.length - 3); })());
    expect(await judge(source)).toMatchObject({ reason: 'corrupt' });
  });

  it('norm over the median: a scale-free bound that needs 3 updates', () => {
    const norms = (xs: number[]) => xs.map((norm, i) => ({ tenant: `t${i}`, norm }));
    expect(normsOverMedian(7, norms([0.03, 0.035, 1000]), 3).map((r) => [r.tenant, r.reason])).toEqual([['t2', 'norm-over-median']]);
    expect(normsOverMedian(7, norms([1, 2, 2.9]), 3)).toEqual([]);
    expect(normsOverMedian(7, norms([1e-9, 1, 2.9]), 3)).toEqual([]); // a tiny update cannot drag honest ones out
    expect(normsOverMedian(7, norms([1, 1000]), 3)).toEqual([]);
    expect(normsOverMedian(7, norms([1, 1, 1, 1, 1, 40, 50]), 3).map((r) => r.tenant)).toEqual(['t5', 't6']);
  });

  it('secure aggregation: the mean of honest reports bounds the unmasked mean, a scaled update does not fit', () => {
    const honest = [{ weight: 0.25, norm: 0.03 }, { weight: 0.25, norm: 0.035 }, { weight: 0.5, norm: 0.032 }];
    const bound = secaggMeanBound(honest, 3);
    expect(bound).toBeCloseTo(0.25 * 0.03 + 0.25 * 0.035 + 0.5 * 0.032, 12);
    // A liar reporting a huge norm to widen the bound is capped at 3 × the median report.
    const liar = [honest[0]!, honest[1]!, { weight: 0.5, norm: 1e6 }];
    expect(secaggMeanBound(liar, 3)).toBeCloseTo(0.25 * 0.03 + 0.25 * 0.035 + 0.5 * 3 * 0.035, 12);
    // Its mean update of +1000 on every value of a small model is far above either bound.
    const meanNorm = 0.5 * 1000 * Math.sqrt(100);
    expect(meanNorm).toBeGreaterThan(secaggMeanBound(liar, 3));
    expect(secaggMeanBound(honest, 3, secaggQuantisation(3, 1e6, 2 ** 20))).toBeCloseTo(bound + (3 * 0.5 * 1000) / 2 ** 20, 12);
  });

  it('secure aggregation: a mean within the bound passes, a longer one is refused with both numbers, and every participant is refused', () => {
    const reports = [{ tenant: 'a', weight: 0.25, norm: 0.03 }, { tenant: 'b', weight: 0.25, norm: 0.035 }, { tenant: 'c', weight: 0.5, norm: 0.032 }];
    const check = { reports, factor: 3, values: 1e6, scale: 2 ** 20 };
    const bound = secaggMeanBound(reports, 3, secaggQuantisation(3, 1e6, 2 ** 20));
    // Honest deltas all pointing the same way reach the bound exactly (the triangle inequality's equality case).
    expect(checkSecaggMean({ ...check, meanNorm: bound })).toEqual({ bound, refusal: null });
    const over = checkSecaggMean({ ...check, meanNorm: 50 * 0.5 * 0.032 });
    expect(over.bound).toBe(bound);
    expect(over.refusal).toMatch(/‖Σ p_i·Δ_i‖ = 0\.8000 > 0\.03368, the most its 3 participants' signed norms allow; .* the masks hide which/);
    expect(checkSecaggMean({ ...check, meanNorm: Number.NaN }).refusal).not.toBeNull();
    expect(secaggRefusals(4, ['a', 'b', 'c'], over.refusal!).map((r) => [r.tenant, r.round, r.reason])).toEqual([
      ['a', 4, 'secagg-mean-over-bound'], ['b', 4, 'secagg-mean-over-bound'], ['c', 4, 'secagg-mean-over-bound'],
    ]);
  });

  it('robust z-score flags the one huge norm among similar ones, and nothing with too few updates', () => {
    const norms = [1.0, 1.1, 0.9, 1.05, 9].map((norm, i) => ({ tenant: `t${i}`, norm }));
    expect(normOutliers(7, norms).map((r) => [r.tenant, r.reason])).toEqual([['t4', 'norm-outlier']]);
    expect(normOutliers(7, norms.slice(2))).toEqual([]);
    expect(normOutliers(7, [1, 1, 1, 1].map((norm, i) => ({ tenant: `t${i}`, norm })))).toEqual([]);
  });
});
