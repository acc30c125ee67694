/**
 * A federation of real tenant agents (StyleGAN2-ADA, 16², tiny channels, K = 3) on the embedded
 * bus, with the faults a real one meets: a tenant dropping out mid-round and rejoining later, a
 * straggler past the deadline, a tenant joining mid-run, and the aggregator killed mid-round and
 * replaced by a new instance that continues from the persisted state. Each process is its own
 * MemoryBus on one MemoryBroker (like processes on one Kafka cluster).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryBroker, MemoryBus, type Subscription } from '@dermagan/bus';
import { FederationRoundStarted, type DermaganEvent, type FederatedGanTrainingOptions, type FolderRef } from '@dermagan/contracts';
import { generateTenantKeyPair } from '@dermagan/federation';
import { ingest } from '@dermagan/ingest';
import { publishFolder, Registry } from '@dermagan/runtime';
import type { RoundStartedData } from '@dermagan/service-gan-trainer';
import { LocalStore } from '@dermagan/store';
import { loadTf } from '@dermagan/tf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { federationRequest, FlAggregator, watchFederation } from '@dermagan/federation';
import { embeddedTenants, type EmbeddedTenant } from '@dermagan/service-gan-trainer';
import { initialModel, quiet, spawn } from '../services/fl-aggregator/src/testing.ts';
import { aggregatorMetrics, aggregatorSubscriptions } from '@dermagan/service-fl-aggregator';

const backend = await loadTf();

const DEMO = fileURLToPath(new URL('../data/demo/metadata.csv', import.meta.url));
const TRAINING: FederatedGanTrainingOptions = { res: 16, cfg: 'test', aug: 'noaug', seed: 0 };
const ROUND_MS = 15_000;

let root: string;
let store: LocalStore;
let dataset: FolderRef;
/** The federation operator: it signs the requests; the aggregator and the tenants verify them. */
const OPERATOR = generateTenantKeyPair();
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-fl-faults-'));
  store = new LocalStore({ root: join(root, 'store') });
  await ingest({ data: DEMO, out: join(root, 'demo16'), size: 16, split: null, tenants: 4 });
  dataset = await publishFolder(store, join(root, 'demo16'), { bucket: 'datasets', prefix: 'demo16/' }, 'manifest.json');
});
afterAll(async () => {
  // Tenant agents may still be recording the last round's status in their buckets: retry a folder that fills meanwhile.
  await rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

function aggregatorOn(tenantKeys: Record<string, string> = {}, registry = new Registry(), logger: typeof quiet = quiet) {
  return new FlAggregator({ operatorKey: OPERATOR.publicKeyPem, store, bucket: 'aggregator', logger, metrics: aggregatorMetrics(registry), tenantKeys, initialModel });
}

/** A tenant's subscriptions with its round handler wrapped (fault injection). */
function wrapRounds(t: EmbeddedTenant, wrap: (event: DermaganEvent<RoundStartedData>, run: (e: DermaganEvent<RoundStartedData>) => Promise<void>, signal: AbortSignal) => Promise<void>): Subscription<unknown>[] {
  return t.subscriptions.map((s) =>
    s.types.includes(FederationRoundStarted.type)
      ? {
          ...s,
          handler: (event, ctx) =>
            wrap(event as DermaganEvent<RoundStartedData>, async (e) => void (await t.agent.onRoundStarted(e, ctx.publish, ctx.signal)), ctx.signal),
        }
      : s,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('federation with faults (embedded bus, real tenants)', () => {
  it('a drop-out mid-round, its rejoin, a straggler and a tenant joining mid-run: rounds complete on quorum', async () => {
    const broker = new MemoryBroker();
    const federation = 'fl-faults';
    const keys = Object.fromEntries(['tenant-0', 'tenant-1', 'tenant-2', 'tenant-3'].map((t) => [t, generateTenantKeyPair()]));
    const registry = new Registry();
    const warnings: Array<Record<string, unknown>> = [];
    const aggregator = aggregatorOn({ 'tenant-3': keys['tenant-3']!.publicKeyPem }, registry, { ...quiet, warn: (o: object) => void warnings.push(o as Record<string, unknown>) });
    const aggBus = await spawn(broker, aggregatorSubscriptions(aggregator));
    const [t0, t1, t2] = embeddedTenants(['tenant-0', 'tenant-1', 'tenant-2'], { backend, store, workDir: join(root, 'work1'), keys, operatorKey: OPERATOR.publicKeyPem, dataset });
    await spawn(broker, t0!.subscriptions);

    // tenant-1 straggles in round 3: it ignores the deadline and answers a second after it.
    await spawn(broker, wrapRounds(t1!, async (e, run) => {
      if (e.data.round !== 3) return run(e);
      await sleep(Date.parse(e.data.deadline) - Date.now() + 1000);
      await run({ ...e, data: { ...e.data, deadline: new Date(Date.now() + 60_000).toISOString() } });
    }));

    // tenant-2 drops out in round 2 (its process stops mid-round); it rejoins after round 2.
    let t2Bus: MemoryBus | null = null;
    t2Bus = await spawn(broker, wrapRounds(t2!, async (e, run) => {
      if (e.data.round === 2) void t2Bus!.close();
      return run(e);
    }));

    const watchBus = await spawn(broker, []);
    const onRound = async (round: number) => {
      if (round === 1) {
        // tenant-3 joins mid-run (its key is registered with the aggregator; its dataset is its own).
        const [late] = embeddedTenants(['tenant-3'], { backend, store, workDir: join(root, 'work1c'), keys, operatorKey: OPERATOR.publicKeyPem, dataset });
        await spawn(broker, late!.subscriptions);
      }
      if (round === 2) {
        // A new tenant-2 process: it continues its own state from the tenant's bucket.
        const [again] = embeddedTenants(['tenant-2'], { backend, store, workDir: join(root, 'work1b'), keys, operatorKey: OPERATOR.publicKeyPem, dataset });
        await spawn(broker, again!.subscriptions);
      }
    };
    const { done } = await watchFederation(watchBus, federation, (r) => void onRound(r.round));
    await watchBus.publish(
      federationRequest({
        federation,
        tenants: [t0!, t1!, t2!].map((t) => ({ tenant: t.tenant, dataset, publicKey: t.keys.publicKeyPem })),
        rounds: 3, k: 3, strategy: { name: 'fedavg' }, quorum: 2, roundTimeoutMs: ROUND_MS, training: TRAINING,
        output: { bucket: 'aggregator', prefix: `federations/${federation}/out/` },
      }, OPERATOR.privateKeyPem),
    );
    const outcome = await done;
    // The straggler's late update arrives after the federation completed.
    for (let i = 0; i < 100 && !warnings.some((w) => w.tenant === 'tenant-1'); i++) await sleep(200);
    const state = await aggregator.state(federation);
    await aggregator.close();
    await aggBus.close();

    expect(outcome.status).toBe('completed');
    const summary = outcome.rounds.map((r) => ({ round: r.round, accepted: r.accepted, dropped: r.dropped, aggregated: r.aggregated }));
    expect(summary).toEqual([
      { round: 1, accepted: ['tenant-0', 'tenant-1', 'tenant-2'], dropped: [], aggregated: true },
      { round: 2, accepted: ['tenant-0', 'tenant-1'], dropped: ['tenant-2'], aggregated: true },
      { round: 3, accepted: ['tenant-0', 'tenant-2', 'tenant-3'], dropped: ['tenant-1'], aggregated: true },
    ]);
    // The rejoined tenant-2 continued its local state: 2 rounds × K 3 × batch 4 images, not 1 round's.
    const shown = async (tenant: string) => {
      const ref = JSON.parse((await store.getBytes(`tenant-${tenant}`, `federations/${federation}/local/latest.json`)).toString()) as FolderRef;
      return (JSON.parse((await store.getBytes(ref.bucket, ref.manifest.key)).toString()) as { counters: { curNimg: number } }).counters.curNimg;
    };
    expect(await shown('tenant-0')).toBe(36);
    expect(await shown('tenant-2')).toBe(24);
    expect(state?.tenants['tenant-3']).toEqual({ joinedRound: 3, active: true });
    // The straggler's late update is rejected with a reason, logged and counted.
    const late = warnings.filter((w) => w.tenant === 'tenant-1');
    expect(late.map((w) => `${w.round}:${w.reason}`)).toEqual(['3:stale-round']);
    const counted = (await registry.getSingleMetric('dermagan_federation_updates_rejected_total')!.get()).values;
    expect(counted.filter((v) => v.value > 0).map((v) => [v.labels.reason, v.value])).toEqual([['stale-round', 1]]);
  });

  it('a tenant that leaves (graceful shutdown) is dropped at once, and its next process rejoins for the next round', async () => {
    const broker = new MemoryBroker();
    const federation = 'fl-leave';
    const keys = Object.fromEntries(['tenant-0', 'tenant-1', 'tenant-2'].map((t) => [t, generateTenantKeyPair()]));
    const warnings: Array<Record<string, unknown>> = [];
    const aggregator = aggregatorOn({}, new Registry(), { ...quiet, warn: (o: object) => void warnings.push(o as Record<string, unknown>) });
    const aggBus = await spawn(broker, aggregatorSubscriptions(aggregator));
    const bucket = (t: string) => `leave-${t}`;
    const [t0, t1, t2] = embeddedTenants(['tenant-0', 'tenant-1', 'tenant-2'], { backend, store, workDir: join(root, 'work3'), keys, bucket, operatorKey: OPERATOR.publicKeyPem, dataset });
    await spawn(broker, t0!.subscriptions);
    await spawn(broker, t1!.subscriptions);
    // tenant-2 is shut down when round 2 starts: it leaves, and a new process of it comes up and rejoins.
    let t2Bus: MemoryBus | null = null;
    let rejoined: string[] = [];
    t2Bus = await spawn(broker, wrapRounds(t2!, async (e, run) => {
      if (e.data.round !== 2) return run(e);
      const bus = t2Bus!;
      await t2!.agent.leave('shutting down', (x) => bus.publish(x));
      void bus.close();
      const [again] = embeddedTenants(['tenant-2'], { backend, store, workDir: join(root, 'work3b'), keys, bucket, operatorKey: OPERATOR.publicKeyPem, dataset });
      const next = await spawn(broker, again!.subscriptions);
      rejoined = await again!.agent.rejoin((x) => next.publish(x));
    }));
    const watchBus = await spawn(broker, []);
    const { done } = await watchFederation(watchBus, federation);
    await watchBus.publish(
      federationRequest({
        federation,
        tenants: [t0!, t1!, t2!].map((t) => ({ tenant: t.tenant, dataset, publicKey: t.keys.publicKeyPem })),
        // A deadline far beyond the test's timeout: only the leave can end round 2 in time.
        rounds: 3, k: 2, strategy: { name: 'fedavg' }, quorum: 2, roundTimeoutMs: 600_000, training: TRAINING,
        output: { bucket: 'aggregator', prefix: `federations/${federation}/out/` },
      }, OPERATOR.privateKeyPem),
    );
    const outcome = await done;
    await aggregator.close();
    await aggBus.close();

    expect(rejoined).toEqual([federation]);
    expect(outcome.status).toBe('completed');
    expect(outcome.rounds.map((r) => ({ round: r.round, accepted: r.accepted, dropped: r.dropped }))).toEqual([
      { round: 1, accepted: ['tenant-0', 'tenant-1', 'tenant-2'], dropped: [] },
      { round: 2, accepted: ['tenant-0', 'tenant-1'], dropped: ['tenant-2'] },
      { round: 3, accepted: ['tenant-0', 'tenant-1', 'tenant-2'], dropped: [] },
    ]);
    expect(warnings).toContainEqual(expect.objectContaining({ tenant: 'tenant-2', reason: 'shutting down' }));
  });

  it('an aggregator killed mid-round is replaced by a new instance that continues from the persisted state', async () => {
    const broker = new MemoryBroker();
    const federation = 'fl-restart';
    const tenants = embeddedTenants(['tenant-0', 'tenant-1', 'tenant-2'], { backend, store, workDir: join(root, 'work2'), operatorKey: OPERATOR.publicKeyPem, dataset });
    for (const t of tenants) await spawn(broker, t.subscriptions);
    const first = aggregatorOn();
    const firstBus = await spawn(broker, aggregatorSubscriptions(first));
    let second: FlAggregator | null = null;
    let resumed: string[] = [];
    let killedIn: { round: number; phase: string } | null = null;
    const kill = async () => {
      const s = await first.state(federation);
      killedIn = { round: s!.round, phase: s!.phase };
      // Round 1 is completed and round 2 open: the process dies (timers gone, bus gone).
      await first.close();
      await firstBus.close();
      await sleep(2000); // the tenants' round-2 updates wait on the bus meanwhile
      second = aggregatorOn();
      const bus = await spawn(broker, aggregatorSubscriptions(second));
      resumed = await second.resumeAll((e) => bus.publish(e));
    };
    const watchBus = await spawn(broker, []);
    const { done } = await watchFederation(watchBus, federation, (r) => void (r.round === 1 && kill()));
    await watchBus.publish(
      federationRequest({
        federation,
        tenants: tenants.map((t) => ({ tenant: t.tenant, dataset, publicKey: t.keys.publicKeyPem })),
        rounds: 3, k: 3, strategy: { name: 'fedavg' }, quorum: 3, roundTimeoutMs: 4 * ROUND_MS, training: TRAINING,
        output: { bucket: 'aggregator', prefix: `federations/${federation}/out/` },
      }, OPERATOR.privateKeyPem),
    );
    const outcome = await done;
    const state = await second!.state(federation);
    await second!.close();

    expect(killedIn).toEqual({ round: 2, phase: 'collecting' });
    expect(resumed).toEqual([federation]);
    expect(outcome.status).toBe('completed');
    expect(outcome.rounds.map((r) => [r.round, r.attempt, r.accepted.length, r.aggregated])).toEqual([[1, 0, 3, true], [2, 0, 3, true], [3, 0, 3, true]]);
    // The new instance's history holds round 1 as the killed one made it: one continuous run.
    expect(state!.history.map((h) => h.round)).toEqual([1, 2, 3]);
    expect(state!.history[0]!.globalRef).toEqual(outcome.rounds[0]!.global);
    expect(state!.phase).toBe('completed');
  });
});
