/**
 * The pieces together, the way services/fl-aggregator and the tenants will wire them: the round
 * reducer's actions executed with signing, streamed validation and a strategy, over an in-memory
 * object store of weight files. Two rounds, three tenants, one bad update per round.
 */
import { createHash } from 'node:crypto';
import type { ArtifactRef } from '@dermagan/contracts';
import { describe, expect, it } from 'vitest';
import { FedAvg } from './fedavg.ts';
import { reduceFederation, restoreFederationState, startFederation, type FederationAction, type FederationInput, type FederationState } from './round.ts';
import { generateTenantKeyPair, signUpdate } from './signing.ts';
import type { StrategyState } from './strategy.ts';
import { values, ws } from './testing.ts';
import { checkInspection, checkSignature, inspectUpdate } from './validation.ts';
import { chunkSource, decodeWeightSet, encodeWeightSet, memorySink, type WeightSource } from './weight-file.ts';
import type { WeightHeader, WeightSet } from './weights.ts';

const store = new Map<string, Buffer>();
function put(key: string, bytes: Buffer): ArtifactRef {
  store.set(key, bytes);
  return { bucket: 'fl', key, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}
function source(ref: ArtifactRef): WeightSource {
  return chunkSource(`mem://${ref.key}`, async () => (async function* () { yield store.get(ref.key)!; })(), ref.sha256);
}

const TENANTS = ['a', 'b', 'c'];
const KEYS = Object.fromEntries(TENANTS.map((t) => [t, generateTenantKeyPair()]));
const PUBLIC = Object.fromEntries(TENANTS.map((t) => [t, KEYS[t]!.publicKeyPem]));
const SAMPLES: Record<string, number> = { a: 2000, b: 12000, c: 20000 };

/** A tenant's "training": global + a tenant-specific step (NaN for c in round 1). */
function train(tenant: string, round: number, global: WeightSet): WeightSet {
  const step = { a: 1, b: 2, c: 3 }[tenant]!;
  const g = values(global, 'G/w');
  const bad = tenant === 'c' && round === 1;
  return ws({ 'G/w': g.map((x) => (bad ? NaN : x + step)), 'D/b': values(global, 'D/b').map((x) => x - step), 'G_ema/w': values(global, 'G_ema/w') }, { adaP: 0.1 * step, plMean: step });
}

describe('embedded federation (reducer + signing + validation + FedAvg)', () => {
  it('two rounds: a NaN update and a forged signature are rejected with reasons, never averaged in; a replay is stale', async () => {
    const strategy = new FedAvg();
    const g0 = put('federations/f/global-0.dgw', encodeWeightSet(ws({ 'G/w': [0, 0], 'D/b': [0], 'G_ema/w': [5, 5] })));
    let t = startFederation({ federation: 'f', rules: { rounds: 2, quorum: 2, roundTimeoutMs: 1000 }, globalRef: g0, tenants: TENANTS, strategyState: strategy.state(), at: 0 });
    let state: FederationState = t.state;
    const queue: FederationAction[] = [...t.actions];
    const rejected: string[] = [];
    const completed: { round: number; accepted: string[]; rejected: string[] }[] = [];
    let round1Updates: Record<string, { ref: ArtifactRef; sig: string }> = {};
    const feed = (input: FederationInput) => {
      t = reduceFederation(state, input);
      state = restoreFederationState(JSON.parse(JSON.stringify(t.state))); // persisted after every transition
      queue.push(...t.actions);
    };

    while (queue.length > 0) {
      const action = queue.shift()!;
      switch (action.type) {
        case 'publish-round-started': {
          const global = await decodeWeightSet(store.get(action.globalRef.key)!);
          for (const tenant of action.participants) {
            const ref = put(`tenants/${tenant}/round-${action.round}.dgw`, encodeWeightSet(train(tenant, action.round, global)));
            const fields = { federation: 'f', round: action.round, attempt: action.attempt, tenant, weightsSha256: ref.sha256, samples: SAMPLES[tenant]! };
            // In round 2, b's update is signed with a's key (a forged signature).
            const signer = action.round === 2 && tenant === 'b' ? 'a' : tenant;
            const sig = signUpdate(KEYS[signer]!.privateKeyPem, fields);
            if (action.round === 1) round1Updates[tenant] = { ref, sig };
            feed({ type: 'update.submitted', tenant, round: action.round, ref, samples: SAMPLES[tenant]!, signature: sig, at: 1 });
          }
          if (action.round === 2) {
            // a replays its round-1 update.
            const old = round1Updates.a!;
            feed({ type: 'update.submitted', tenant: 'a', round: 1, ref: old.ref, samples: SAMPLES.a!, signature: old.sig, at: 2 });
          }
          break;
        }
        case 'validate-update': {
          const fields = { federation: 'f', round: action.round, attempt: action.attempt, tenant: action.tenant, weightsSha256: action.ref.sha256, samples: action.samples };
          const bad =
            checkSignature(PUBLIC, fields, action.signature) ??
            checkInspection(action.tenant, action.round, await inspectUpdate(source(state.globalRef), source(action.ref)), { maxDeltaNorm: 100 });
          if (bad) feed({ type: 'update.rejected', rejection: bad, at: 3 });
          else {
            const { deltaNorm } = await inspectUpdate(source(state.globalRef), source(action.ref));
            feed({ type: 'update.validated', tenant: action.tenant, round: action.round, deltaNorm, at: 3 });
          }
          break;
        }
        case 'reject-update':
          rejected.push(`${action.rejection.round}:${action.rejection.tenant}:${action.rejection.reason}`);
          break;
        case 'aggregate': {
          strategy.restore(action.strategyState as StrategyState);
          let sink: ReturnType<typeof memorySink> | null = null;
          const outcome = await strategy.aggregate(
            action.round,
            action.updates.map((u) => ({ tenant: u.tenant, samples: u.samples, source: source(u.ref), deltaNorm: u.deltaNorm })),
            action.failures,
            { global: source(action.globalRef), createOutput: (h: WeightHeader) => (sink = memorySink(h)) },
          );
          expect(outcome.status).toBe('aggregated');
          const ref = put(`federations/f/global-${action.round}.dgw`, encodeWeightSet((sink as unknown as ReturnType<typeof memorySink>).result()));
          feed({ type: 'aggregation.completed', round: action.round, attempt: action.attempt, globalRef: ref, strategyState: strategy.state(), at: 4 });
          break;
        }
        case 'publish-round-completed':
          completed.push({ round: action.summary.round, accepted: action.summary.accepted, rejected: action.summary.rejected.map((r) => `${r.tenant}:${r.reason}`) });
          break;
        default:
          break;
      }
    }

    expect(state.phase).toBe('completed');
    expect(completed).toEqual([
      { round: 1, accepted: ['a', 'b'], rejected: ['c:non-finite'] },
      { round: 2, accepted: ['a', 'c'], rejected: ['b:signature-invalid'] },
    ]);
    expect(rejected).toEqual(['1:c:non-finite', '1:a:stale-round', '2:b:signature-invalid']);
    // Round 1: weights a 2000/14000, b 12000/14000 → step 1/7 + 2·6/7 = 13/7.
    // Round 2: a 2000/22000, c 20000/22000 → step 1/11 + 3·10/11 = 31/11.
    const final = await decodeWeightSet(store.get(state.globalRef.key)!);
    const expected = 13 / 7 + 31 / 11;
    expect(values(final, 'G/w')[0]).toBeCloseTo(expected, 5);
    expect(values(final, 'D/b')[0]).toBeCloseTo(-expected, 5);
    expect(values(final, 'G_ema/w')).toEqual([5, 5]);
    // Default policy: ADA p stays with each tenant; pl_mean is averaged (round 2: 1/11 + 3·10/11).
    expect(final.scalars.adaP).toBeUndefined();
    expect(final.scalars.plMean).toBeCloseTo(31 / 11, 6);
    expect(strategy.state().roundsAggregated).toBe(2);
  });
});
