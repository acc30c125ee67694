/**
 * The aggregator service on the embedded bus against bad updates: NaN/Inf, a wrong shape, a huge
 * norm, a forged and a missing signature, a duplicate and a second update in one round (duplicate) and a replay of an older round — each
 * rejected with its reason (in `round.completed`, the log and the counter), never averaged in.
 * The tenants here are hand-made (no training): their updates are the global model plus a known step.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus } from '@dermagan/bus';
import { FederationRoundStarted, FederationUpdateSubmitted, type ArtifactRef, type FederatedGanTrainingOptions } from '@dermagan/contracts';
import { decodeWeightSet, encodeWeightSet, generateTenantKeyPair, signUpdate, type WeightSet } from '@dermagan/federation';
import { Registry } from '@dermagan/runtime';
import { initialGlobalModel } from '@dermagan/gan';
import { loadTf } from '@dermagan/tf';
import { LocalStore } from '@dermagan/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlAggregator, federationRequest, watchFederation } from '@dermagan/federation';
import { aggregatorSubscriptions } from './handlers.ts';
import { aggregatorMetrics } from './metrics.ts';

const TRAINING: FederatedGanTrainingOptions = { res: 16, cfg: 'test', aug: 'noaug', seed: 0 };
const TENANTS = ['good-a', 'good-b', 'nan', 'shape', 'huge', 'forged', 'unsigned'] as const;
const KEYS = Object.fromEntries(TENANTS.map((t) => [t, generateTenantKeyPair()]));
const OPERATOR = generateTenantKeyPair();
const SAMPLES: Record<string, number> = { 'good-a': 100, 'good-b': 300 };

let root: string;
let store: LocalStore;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-fl-reject-'));
  store = new LocalStore({ root });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function shifted(global: WeightSet, step: number): WeightSet {
  return { tensors: global.tensors.map((t) => ({ ...t, data: t.data.map((x) => x + step) })), scalars: { plMean: step } };
}

describe('fl-aggregator: bad updates', () => {
  it('rejects each bad update with its reason, counts it, and averages only the good ones', async () => {
    const dbg = process.env.DEBUG_FL ? (o: object, m: string) => void process.stderr.write(`${m} ${JSON.stringify(o).slice(0, 400)}\n`) : () => {};
    const bus = new MemoryBus();
    await bus.start();
    const registry = new Registry();
    for (const m of ['published', 'handled', 'retried', 'deadLettered'] as const) bus.moments.on(m, (x: object) => dbg(x, m));
    const logged: Array<Record<string, unknown>> = [];
    const logger = { info: dbg, error: dbg, warn: (obj: object, m: string) => { dbg(obj, m); logged.push(obj as Record<string, unknown>); } };
    const aggregator = new FlAggregator({
      operatorKey: OPERATOR.publicKeyPem,
      store, bucket: 'aggregator', logger, metrics: aggregatorMetrics(registry),
      initialModel: async (training, policy) => initialGlobalModel((await loadTf()).tf, training, policy),
    });
    for (const s of aggregatorSubscriptions(aggregator)) await bus.subscribe(s);
    await store.ensureBucket('tenants');

    // Hand-made tenants answer each round.
    const federation = 'fl-reject';
    const round1: Record<string, { ref: ArtifactRef; signature: string }> = {};
    const submit = async (tenant: string, round: number, ref: ArtifactRef, samples: number, signature?: string) =>
      bus.publish(FederationUpdateSubmitted.create({ tenant, round, attempt: 0, weights: ref, samples, ...(signature ? { signature } : {}) }, { runid: federation, tenant }));
    const sign = (signer: string, tenant: string, round: number, ref: ArtifactRef, samples: number) =>
      signUpdate(KEYS[signer]!.privateKeyPem, { federation, round, attempt: 0, tenant, weightsSha256: ref.sha256, samples });
    await bus.subscribe({
      group: 'fake-tenants', types: [FederationRoundStarted.type], parse: (raw) => FederationRoundStarted.parse(raw),
      handler: async (e) => {
        const { round, global: globalRef } = e.data;
        const global = await decodeWeightSet(await store.getBytes(globalRef.bucket, globalRef.key));
        const put = async (tenant: string, set: WeightSet) => store.put('tenants', `${tenant}/round-${round}.dgw`, encodeWeightSet(set));
        for (const tenant of ['good-a', 'good-b']) {
          if (round === 2 && tenant === 'good-a') {
            // A replay of round 1's update first, then the real one, then a duplicate.
            await submit(tenant, 1, round1[tenant]!.ref, SAMPLES[tenant]!, round1[tenant]!.signature);
          }
          const ref = await put(tenant, shifted(global, tenant === 'good-a' ? 0.01 : 0.02));
          const signature = sign(tenant, tenant, round, ref, SAMPLES[tenant]!);
          if (round === 1) round1[tenant] = { ref, signature };
          await submit(tenant, round, ref, SAMPLES[tenant]!, signature);
          if (round === 2 && tenant === 'good-a') {
            const again = await store.put('tenants', `${tenant}/round-${round}-again.dgw`, encodeWeightSet(shifted(global, 0.5)));
            await submit(tenant, round, again, SAMPLES[tenant]!, sign(tenant, tenant, round, again, SAMPLES[tenant]!));
          }
        }
        if (round !== 1) return;
        const nan = shifted(global, 0.01);
        nan.tensors[3]!.data[0] = Number.NaN;
        nan.tensors[4]!.data[1] = Number.POSITIVE_INFINITY;
        const shape = shifted(global, 0.01);
        shape.tensors[0] = { ...shape.tensors[0]!, shape: [...shape.tensors[0]!.shape, 1], data: shape.tensors[0]!.data };
        // (Each bad update differs from good-a's bytes: the same bytes would be a copied-update.)
        const bad: Record<string, WeightSet> = { nan, shape, huge: shifted(global, 1000), forged: shifted(global, 0.011), unsigned: shifted(global, 0.012) };
        for (const [tenant, set] of Object.entries(bad)) {
          const ref = await put(tenant, set);
          const signature = tenant === 'unsigned' ? undefined : sign(tenant === 'forged' ? 'good-a' : tenant, tenant, round, ref, 50);
          await submit(tenant, round, ref, 50, signature);
        }
      },
    });

    const { done } = await watchFederation(bus, federation);
    await bus.publish(
      federationRequest({
        federation,
        tenants: TENANTS.map((tenant) => ({ tenant, publicKey: KEYS[tenant]!.publicKeyPem })),
        rounds: 2, k: 1, strategy: { name: 'fedavg' }, quorum: 2, roundTimeoutMs: 10_000, maxUpdateNorm: 100,
        training: TRAINING, output: { bucket: 'aggregator', prefix: `federations/${federation}/out/` },
      }, OPERATOR.privateKeyPem),
    );
    const outcome = await done;
    await aggregator.close();
    await bus.close();

    if (outcome.status !== 'completed') throw new Error(`federation failed: ${outcome.reason}`);
    const reasons = (r: (typeof outcome.rounds)[number]) => Object.fromEntries(r.rejected.map((x) => [x.tenant, x.reason]));
    const [r1, r2] = outcome.rounds;
    expect(r1!.accepted).toEqual(['good-a', 'good-b']);
    expect(reasons(r1!)).toEqual({ nan: 'non-finite', shape: 'schema-mismatch', huge: 'norm-too-large', forged: 'signature-invalid', unsigned: 'signature-missing' });
    expect(r2!.accepted).toEqual(['good-a', 'good-b']);
    expect(r2!.dropped).toEqual(['forged', 'huge', 'nan', 'shape', 'unsigned']);
    // The replay and the duplicate are rejected before the round's state (logged and counted, not in the round).
    // (Every reason is a series from the start, at 0: only those counted here are compared.)
    const counted = Object.fromEntries(((await registry.getSingleMetric('dermagan_federation_updates_rejected_total')!.get()).values).filter((v) => v.value > 0).map((v) => [v.labels.reason, v.value]));
    expect(counted).toEqual({ 'non-finite': 1, 'schema-mismatch': 1, 'norm-too-large': 1, 'signature-invalid': 1, 'signature-missing': 1, 'stale-round': 1, duplicate: 1 });
    expect(logged.map((l) => `${l.tenant}:${l.reason}`).sort()).toEqual(
      ['forged:signature-invalid', 'good-a:duplicate', 'good-a:stale-round', 'huge:norm-too-large', 'nan:non-finite', 'shape:schema-mismatch', 'unsigned:signature-missing'],
    );

    // Never averaged in: the final model is the initial one plus the good tenants' weighted steps, exactly.
    const initial = await decodeWeightSet(await store.getBytes('aggregator', `federations/${federation}/global/initial.dgw`));
    const final = await decodeWeightSet(await store.getBytes(outcome.completed.global.bucket, outcome.completed.global.key));
    const step = 2 * (0.25 * 0.01 + 0.75 * 0.02);
    for (const [i, t] of final.tensors.entries()) {
      const maxErr = t.data.reduce((m, x, j) => Math.max(m, Math.abs(x - (initial.tensors[i]!.data[j]! + step))), 0);
      expect(maxErr, t.name).toBeLessThan(1e-4);
    }
    expect(final.scalars.plMean).toBeCloseTo(0.25 * 0.01 + 0.75 * 0.02, 6);
  });
});
