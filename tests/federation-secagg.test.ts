/**
 * Secure aggregation through the services (embedded bus, real tenant agents at 16²): the
 * aggregator only ever reads masked updates, and the global model it makes equals plain FedAvg's
 * up to the fixed-point rounding; a participant that fails ends its attempt and the round is
 * retried without it; requests that secure aggregation cannot serve fail at once with the reason.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryBroker, type Subscription } from '@dermagan/bus';
import { FederationUpdateSubmitted, type FederatedGanTrainingOptions, type FolderRef } from '@dermagan/contracts';
import { decodeWeightSet, generateTenantKeyPair, type TenantKeyPair, type WeightSet } from '@dermagan/federation';
import { ingest } from '@dermagan/ingest';
import { publishFolder } from '@dermagan/runtime';
import { LocalStore } from '@dermagan/store';
import { loadTf } from '@dermagan/tf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { federationRequest, FlAggregator, watchFederation, type FederationSpec } from '@dermagan/federation';
import { aggregatorSubscriptions } from '@dermagan/service-fl-aggregator';
import { embeddedTenants, type EmbeddedTenant } from '@dermagan/service-gan-trainer';
import { initialModel, quiet, spawn } from '../services/fl-aggregator/src/testing.ts';

const backend = await loadTf();

const DEMO = fileURLToPath(new URL('../data/demo/metadata.csv', import.meta.url));
const TRAINING: FederatedGanTrainingOptions = { res: 16, cfg: 'test', aug: 'noaug', seed: 0 };
const TENANTS = ['tenant-0', 'tenant-1', 'tenant-2'];

let root: string;
let store: LocalStore;
let dataset: FolderRef;
/** The federation operator: it signs the requests; the aggregator and the tenants verify them. */
const OPERATOR = generateTenantKeyPair();
let keys: Record<string, TenantKeyPair>;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-fl-secagg-'));
  store = new LocalStore({ root: join(root, 'store') });
  await ingest({ data: DEMO, out: join(root, 'demo16'), size: 16, split: null, tenants: 3 });
  dataset = await publishFolder(store, join(root, 'demo16'), { bucket: 'datasets', prefix: 'demo16/' }, 'manifest.json');
  keys = Object.fromEntries(TENANTS.map((t) => [t, generateTenantKeyPair()]));
});
afterAll(async () => {
  // Tenant agents may still be recording the last round's status in their buckets: retry a folder that fills meanwhile.
  await rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const bucketOf = (federation: string) => (tenant: string) => `${federation}-${tenant}`;

/** One federation of the three tenants on a fresh broker; the tenants' images: 100 each (demo, 3 tenants). */
async function federate(federation: string, spec: Partial<FederationSpec>, wrap: (t: EmbeddedTenant) => Subscription<unknown>[] = (t) => t.subscriptions) {
  const broker = new MemoryBroker();
  const warnings: Array<Record<string, unknown>> = [];
  const aggregator = new FlAggregator({
    operatorKey: OPERATOR.publicKeyPem,
    store, bucket: 'aggregator', logger: { ...quiet, warn: (o) => void warnings.push(o as Record<string, unknown>), error: (o) => void warnings.push(o as Record<string, unknown>) },
    initialModel,
  });
  const aggBus = await spawn(broker, aggregatorSubscriptions(aggregator));
  const tenants = embeddedTenants(TENANTS, { backend, store, workDir: join(root, federation), keys, bucket: bucketOf(federation), operatorKey: OPERATOR.publicKeyPem, dataset });
  const buses = [aggBus];
  for (const t of tenants) buses.push(await spawn(broker, wrap(t)));
  const watchBus = await spawn(broker, []);
  const { done } = await watchFederation(watchBus, federation);
  await watchBus.publish(
    federationRequest({
      federation,
      tenants: tenants.map((t) => ({ tenant: t.tenant, dataset, publicKey: t.keys.publicKeyPem, samples: 100 })),
      rounds: 2, k: 2, strategy: { name: 'fedavg' }, quorum: 2, roundTimeoutMs: 60_000, training: TRAINING,
      output: { bucket: 'aggregator', prefix: `federations/${federation}/out/` },
      ...spec,
    }, OPERATOR.privateKeyPem),
  );
  const outcome = await done;
  await aggregator.close();
  for (const t of tenants) await t.agent.dispose();
  for (const b of [...buses, watchBus]) await b.close();
  return { outcome, warnings };
}

const read = async (bucket: string, key: string): Promise<WeightSet> => decodeWeightSet(await store.getBytes(bucket, key));

function maxAbsDifference(a: WeightSet, b: WeightSet): number {
  let worst = 0;
  for (const [i, t] of a.tensors.entries()) {
    const u = b.tensors[i]!;
    expect(u.name).toBe(t.name);
    for (let j = 0; j < t.data.length; j++) worst = Math.max(worst, Math.abs(t.data[j]! - u.data[j]!));
  }
  return worst;
}

describe('secure aggregation in the services', () => {
  it('gives the plain FedAvg model within the fixed-point error, from uploads that are not the tenants’ weights', async () => {
    const plain = await federate('fl-plain', {});
    const secure = await federate('fl-secagg', { secagg: true });
    expect(plain.outcome.status).toBe('completed');
    expect(secure.outcome.status).toBe('completed');
    if (plain.outcome.status !== 'completed' || secure.outcome.status !== 'completed') return;
    expect(secure.outcome.rounds.map((r) => [r.round, r.accepted, r.aggregated, r.updateNorms])).toEqual([
      [1, TENANTS, true, {}],
      [2, TENANTS, true, {}],
    ]);

    // Round 1 starts from the same initial model with the same tenant draws: the aggregates agree
    // to the fixed-point rounding (3 × 0.5 / 2^20 ≈ 1.4e-6) plus float32 rounding (seen: 3.8e-6,
    // against 0.019 of change from one round to the next).
    const g1 = await read('aggregator', plain.outcome.rounds[0]!.global.key);
    const s1 = await read('aggregator', secure.outcome.rounds[0]!.global.key);
    expect(maxAbsDifference(g1, s1)).toBeLessThan(1e-5);
    // Round 2 trains from those nearly equal models: still equal to within training's float noise (seen: 7.6e-6).
    const g2 = await read('aggregator', plain.outcome.completed.global.key);
    const s2 = await read('aggregator', secure.outcome.completed.global.key);
    expect(maxAbsDifference(g2, s2)).toBeLessThan(1e-4);
    expect(s2.scalars.plMean).toBeCloseTo(g2.scalars.plMean!, 4);

    // What tenant-0 uploaded in round 1 is masked: read as numbers it is nothing like its weights.
    const own = await read(bucketOf('fl-plain')('tenant-0'), 'federations/fl-plain/updates/tenant-0/round-1-attempt-0.dgw');
    const masked = await read(bucketOf('fl-secagg')('tenant-0'), 'federations/fl-secagg/updates/tenant-0/round-1-attempt-0.dgw');
    const w = own.tensors[0]!.data;
    const m = masked.tensors[0]!.data;
    const close = w.filter((x, i) => Math.abs(x - m[i]!) < 1e-2).length;
    expect(close / w.length).toBeLessThan(0.01);
  });

  it('a participant whose update is rejected ends the attempt; the round is retried without it and aggregates', async () => {
    // tenant-2 corrupts its signature in round 1's first attempt only.
    const tamper = (t: EmbeddedTenant): Subscription<unknown>[] =>
      t.subscriptions.map((s) => ({
        ...s,
        handler: (event, ctx) =>
          s.handler(event, {
            ...ctx,
            publish: async (e) => {
              const d = e.data as { round?: number; attempt?: number; signature?: string };
              if (t.tenant === 'tenant-2' && e.type === FederationUpdateSubmitted.type && d.round === 1 && d.attempt === 0) {
                return ctx.publish({ ...e, data: { ...d, signature: Buffer.alloc(64).toString('base64') } });
              }
              return ctx.publish(e);
            },
          }),
      }));
    const { outcome, warnings } = await federate('fl-secagg-retry', { secagg: true }, tamper);
    expect(outcome.status).toBe('completed');
    const rounds = outcome.rounds.map((r) => ({ round: r.round, attempt: r.attempt, participants: r.participants, aggregated: r.aggregated }));
    expect(rounds).toEqual([
      { round: 1, attempt: 0, participants: TENANTS, aggregated: false },
      { round: 1, attempt: 1, participants: ['tenant-0', 'tenant-1'], aggregated: true },
      { round: 2, attempt: 0, participants: TENANTS, aggregated: true },
    ]);
    expect(outcome.rounds[0]!.reasons[0]).toMatch(/secure aggregation needs every participant's masked update; none usable from tenant-2/);
    expect(outcome.rounds[0]!.rejected.map((r) => `${r.tenant}:${r.reason}`)).toEqual(['tenant-2:signature-invalid']);
    expect(warnings.some((w) => w.tenant === 'tenant-2' && w.reason === 'signature-invalid')).toBe(true);
  });

  it('a tenant joining mid-run announces its image count, is weighted by it and masks with the others from the next round', async () => {
    const federation = 'fl-secagg-join';
    const broker = new MemoryBroker();
    const aggregator = new FlAggregator({
      operatorKey: OPERATOR.publicKeyPem,
      store, bucket: 'aggregator', logger: quiet, tenantKeys: { 'tenant-2': keys['tenant-2']!.publicKeyPem },
      initialModel,
    });
    const buses = [await spawn(broker, aggregatorSubscriptions(aggregator))];
    // tenant-2 is not in the request: it finds its images through its own dataset setting.
    const tenants = embeddedTenants(TENANTS, { backend, store, workDir: join(root, federation), keys, bucket: bucketOf(federation), operatorKey: OPERATOR.publicKeyPem, dataset });
    for (const t of tenants) buses.push(await spawn(broker, t.subscriptions));
    const { done } = await watchFederation(buses[0]!, federation);
    await buses[0]!.publish(
      federationRequest({
        federation, secagg: true,
        tenants: tenants.slice(0, 2).map((t) => ({ tenant: t.tenant, dataset, publicKey: t.keys.publicKeyPem, samples: 100 })),
        rounds: 2, k: 2, strategy: { name: 'fedavg' }, quorum: 2, roundTimeoutMs: 60_000, training: TRAINING,
        output: { bucket: 'aggregator', prefix: `federations/${federation}/out/` },
      }, OPERATOR.privateKeyPem),
    );
    const outcome = await done;
    const state = await aggregator.state(federation);
    await aggregator.close();
    for (const t of tenants) await t.agent.dispose();
    for (const b of buses) await b.close();
    expect(outcome.status).toBe('completed');
    expect(outcome.rounds.map((r) => [r.round, r.accepted, r.aggregated])).toEqual([
      [1, ['tenant-0', 'tenant-1'], true],
      [2, TENANTS, true],
    ]);
    expect(state!.tenants['tenant-2']).toEqual({ joinedRound: 2, active: true, samples: 100 });
  });

  it('refuses, with the reason, what secure aggregation cannot do: a robust rule, DP, tenants without sample counts', async () => {
    const median = await federate('fl-secagg-median', { secagg: true, strategy: { name: 'fedmedian' } });
    expect(median.outcome).toMatchObject({ status: 'failed', reason: expect.stringMatching(/strategy 'fedmedian' needs each tenant's update/) });
    const dp = await federate('fl-secagg-dp', { secagg: true, dp: { clip: 1, noiseMultiplier: 1 } });
    expect(dp.outcome).toMatchObject({ status: 'failed', reason: expect.stringMatching(/run DP or secure aggregation, not both/) });
    const counts = await federate('fl-secagg-counts', {
      secagg: true,
      tenants: TENANTS.map((tenant) => ({ tenant, dataset, publicKey: keys[tenant]!.publicKeyPem })),
    });
    expect(counts.outcome).toMatchObject({ status: 'failed', reason: expect.stringMatching(/missing for tenant-0, tenant-1, tenant-2/) });
  });
});
