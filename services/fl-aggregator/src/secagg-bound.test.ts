/**
 * The aggregator service on the embedded bus under secure aggregation, against a tenant that
 * scales its masked update ×50 while reporting (and signing) its honest ‖Δ‖: the aggregator sees
 * only the unmasked mean, finds it longer than the signed norms allow, and refuses the round as a
 * whole (every update rejected as `secagg-mean-over-bound`, in `round.completed`, the log and the
 * counter; the global model does not move). The next, honest round aggregates as before. A norm
 * left out, or changed on the way, is refused before the sum. The tenants here are hand-made (no
 * training): they mask with the library, as the tenant agent does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus } from '@dermagan/bus';
import { FederationRoundStarted, FederationUpdateSubmitted, type FederatedGanTrainingOptions } from '@dermagan/contracts';
import type { FederationOutcome } from '@dermagan/federation';
import {
  decodeWeightSet, encodeWeightSet, federationRequest, FlAggregator, generateTenantKeyPair, maskUpdateFile, memorySink, memorySource, pairwiseSeed,
  secaggPrivateKey, secaggPublicKey, signUpdate, UpdateMasker, watchFederation, type WeightSet,
} from '@dermagan/federation';
import { Registry } from '@dermagan/runtime';
import { LocalStore } from '@dermagan/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatorSubscriptions } from './handlers.ts';
import { aggregatorMetrics } from './metrics.ts';

const TRAINING: FederatedGanTrainingOptions = { res: 16, cfg: 'test', aug: 'noaug', seed: 0 };
const TENANTS = ['hospital-a', 'hospital-b', 'mallory'] as const;
const KEYS = Object.fromEntries(TENANTS.map((t) => [t, generateTenantKeyPair()]));
const OPERATOR = generateTenantKeyPair();
const SAMPLES: Record<string, number> = { 'hospital-a': 100, 'hospital-b': 300, mallory: 200 };
const STEP: Record<string, number> = { 'hospital-a': 0.01, 'hospital-b': 0.02, mallory: 0.015 };
/** A tiny model (the aggregator's rule does not care what G and D compute). */
const INITIAL: WeightSet = {
  tensors: [
    { name: 'G/w', shape: [8, 8], data: Float32Array.from({ length: 64 }, (_, i) => Math.cos(i) / 4) },
    { name: 'D/w', shape: [32], data: Float32Array.from({ length: 32 }, (_, i) => Math.sin(i) / 3) },
    { name: 'G_ema/w', shape: [8, 8], data: Float32Array.from({ length: 64 }, (_, i) => Math.cos(i) / 4) },
  ],
  scalars: {},
};

/** The tenant's honest local step: its own direction, its own length. */
function trained(global: WeightSet, tenant: string, scale = 1): WeightSet {
  const k = TENANTS.indexOf(tenant as (typeof TENANTS)[number]);
  return { tensors: global.tensors.map((t) => ({ ...t, data: t.data.map((x, i) => x + scale * STEP[tenant]! * Math.sin(i + k)) })), scalars: {} };
}

function norm(a: WeightSet, b: WeightSet): number {
  let s = 0;
  for (const [j, t] of a.tensors.entries()) for (let i = 0; i < t.data.length; i++) s += (t.data[i]! - b.tensors[j]!.data[i]!) ** 2;
  return Math.sqrt(s);
}

let root: string;
let store: LocalStore;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-fl-secagg-bound-'));
  store = new LocalStore({ root });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** How a hand-made tenant answers a round: honestly, scaling its step, or with its norm left out or changed on the way. */
type Behaviour = { scale?: number; norm?: 'none' | 'changed-in-transit' };

/**
 * One federation of the three tenants on the embedded bus (rounds, fedavg, quorum 3), the
 * tenants behaving as `behave` says; how it ended, what each sent, and what was counted and logged.
 */
async function federate(federation: string, rounds: number, behave: (round: number, attempt: number, tenant: string) => Behaviour) {
  const bus = new MemoryBus();
  await bus.start();
  const registry = new Registry();
  const warned: Array<Record<string, unknown>> = [];
  const logger = { info: () => {}, error: () => {}, warn: (obj: object) => void warned.push(obj as Record<string, unknown>) };
  const aggregator = new FlAggregator({ operatorKey: OPERATOR.publicKeyPem, store, bucket: 'aggregator', logger, metrics: aggregatorMetrics(registry), initialModel: async () => INITIAL });
  for (const s of aggregatorSubscriptions(aggregator)) await bus.subscribe(s);
  await store.ensureBucket('tenants');
  const sent: Record<string, { honest: WeightSet; global: WeightSet }> = {};
  await bus.subscribe({
    group: 'fake-tenants', types: [FederationRoundStarted.type], parse: (raw) => FederationRoundStarted.parse(raw),
    handler: async (e) => {
      const { round, attempt, participants, secagg } = e.data;
      const global = await decodeWeightSet(await store.getBytes(e.data.global.bucket, e.data.global.key));
      for (const tenant of participants) {
        const { scale = 1, norm: report } = behave(round, attempt, tenant);
        const own = secaggPrivateKey(KEYS[tenant]!.privateKeyPem);
        const seeds = new Map(participants.filter((p) => p !== tenant).map((p) => [p, pairwiseSeed(own, secaggPublicKey(secagg!.publicKeys[p]!), tenant, p, { federation, round, attempt })]));
        const masker = new UpdateMasker({ self: tenant, participants, seeds, scale: secagg!.scale });
        const honest = trained(global, tenant);
        let sink: ReturnType<typeof memorySink> | null = null;
        const { deltaNorm } = await maskUpdateFile({
          masker, weight: secagg!.weights[tenant]!, global: memorySource(global), update: memorySource(scale === 1 ? honest : trained(global, tenant, scale)),
          createOutput: (h) => (sink = memorySink(h)),
        });
        // The tenant reports (and signs) the honest length, whatever it sent.
        const reported = norm(honest, global);
        expect(deltaNorm / (scale * reported)).toBeCloseTo(1, 5);
        sent[`${round}:${tenant}`] = { honest, global };
        const ref = await store.put('tenants', `${tenant}/round-${round}-attempt-${attempt}.dgw`, encodeWeightSet((sink as unknown as ReturnType<typeof memorySink>).result()));
        const samples = SAMPLES[tenant]!;
        const signed = report === 'none' ? undefined : reported;
        const signature = signUpdate(KEYS[tenant]!.privateKeyPem, { federation, round, attempt, tenant, weightsSha256: ref.sha256, samples, deltaNorm: signed });
        const delivered = report === 'changed-in-transit' ? reported * 100 : signed;
        await bus.publish(FederationUpdateSubmitted.create({ tenant, round, attempt, weights: ref, samples, ...(delivered !== undefined ? { deltaNorm: delivered } : {}), signature }, { runid: federation, tenant }));
      }
    },
  });
  const { done } = await watchFederation(bus, federation);
  await bus.publish(
    federationRequest({
      federation, secagg: true,
      tenants: TENANTS.map((tenant) => ({ tenant, publicKey: KEYS[tenant]!.publicKeyPem, samples: SAMPLES[tenant]! })),
      rounds, k: 1, strategy: { name: 'fedavg' }, quorum: 2, roundTimeoutMs: 10_000,
      training: TRAINING, output: { bucket: 'aggregator', prefix: `federations/${federation}/out/` },
    }, OPERATOR.privateKeyPem),
  );
  const outcome: FederationOutcome = await done;
  await aggregator.close();
  await bus.close();
  const counted = Object.fromEntries((await registry.getSingleMetric('dermagan_federation_updates_rejected_total')!.get()).values.filter((v) => v.value > 0).map((v) => [v.labels.reason, v.value]));
  return { outcome, sent, counted, warned: warned.map((w) => `${w.tenant}:${w.reason}`) };
}

describe('fl-aggregator: the secure-aggregation mean bound', () => {
  it('refuses a round whose unmasked mean is longer than the signed norms allow (global unchanged), and aggregates an honest one', async () => {
    const federation = 'fl-secagg-bound';
    // Round 1: mallory sends 50× its step; round 2: everyone is honest.
    const { outcome, sent, counted, warned } = await federate(federation, 2, (round, _attempt, tenant) => (round === 1 && tenant === 'mallory' ? { scale: 50 } : {}));
    if (outcome.status !== 'completed') throw new Error(`federation failed: ${outcome.reason}`);
    const [r1, r2] = outcome.rounds;

    // Round 1: refused as a whole — no tenant named, every update rejected, the global model unmoved.
    expect(r1).toMatchObject({ round: 1, attempt: 0, aggregated: false, accepted: [] });
    expect(r1!.rejected.map((r) => [r.tenant, r.reason])).toEqual(TENANTS.map((t) => [t, 'secagg-mean-over-bound']));
    expect(r1!.reasons).toHaveLength(1);
    const [, mean, bound] = /^secagg-mean-over-bound: the round's unmasked mean ‖Σ p_i·Δ_i‖ = (\S+) > (\S+), the most its 3 participants' signed norms allow/.exec(r1!.reasons[0]!) ?? [];
    expect(Number(mean)).toBeGreaterThan(10 * Number(bound));
    expect(r1!.metrics.secaggMeanNorm).toBeGreaterThan(r1!.metrics.secaggBound!);
    expect(r1!.global.key).toBe(`federations/${federation}/global/initial.dgw`);
    expect(counted).toEqual({ 'secagg-mean-over-bound': 3 });
    expect(warned).toEqual(TENANTS.map((t) => `${t}:secagg-mean-over-bound`));

    // Round 2 (honest) starts from the unmoved model and aggregates: global + Σ p_i·Δ_i, within the fixed-point rounding.
    expect(r2).toMatchObject({ round: 2, aggregated: true, accepted: [...TENANTS], rejected: [] });
    expect(r2!.metrics.secaggMeanNorm).toBeLessThanOrEqual(r2!.metrics.secaggBound!);
    const total = TENANTS.reduce((n, t) => n + SAMPLES[t]!, 0);
    const final = await decodeWeightSet(await store.getBytes(outcome.completed.global.bucket, outcome.completed.global.key));
    for (const [j, t] of final.tensors.entries()) {
      expect(sent['2:hospital-a']!.global.tensors[j]!.data).toEqual(INITIAL.tensors[j]!.data);
      const maxErr = t.data.reduce((m, x, i) => {
        const expected = INITIAL.tensors[j]!.data[i]! + TENANTS.reduce((s, tenant) => s + (SAMPLES[tenant]! / total) * (sent[`2:${tenant}`]!.honest.tensors[j]!.data[i]! - INITIAL.tensors[j]!.data[i]!), 0);
        return Math.max(m, Math.abs(x - expected));
      }, 0);
      expect(maxErr, t.name).toBeLessThan((3 * 0.5) / 2 ** 20 + 1e-7);
    }
  });

  it('an update without its norm, or with a norm changed on the way, is refused before the sum (and the attempt retried without it)', async () => {
    // Attempt 0: mallory leaves its norm out; attempt 1 (without it): hospital-b's norm is raised on the way.
    const { outcome, counted } = await federate('fl-secagg-norms', 1, (_round, attempt, tenant) =>
      attempt === 0 && tenant === 'mallory' ? { norm: 'none' } : attempt === 1 && tenant === 'hospital-b' ? { norm: 'changed-in-transit' } : {},
    );
    // Each ends its attempt before any sum; attempt 2 has hospital-a alone, under the quorum of 2, and the federation fails.
    expect(outcome.status).toBe('failed');
    expect(outcome.rounds.map((r) => r.rejected.map((x) => `${x.tenant}:${x.reason}`))).toEqual([['mallory:norm-unreported'], ['hospital-b:signature-invalid'], []]);
    expect(outcome.rounds.every((r) => !r.aggregated)).toBe(true);
    expect(counted).toEqual({ 'norm-unreported': 1, 'signature-invalid': 1 });
  });
});
