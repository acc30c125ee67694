/**
 * A federation over the real servers: the aggregator and three tenant agents on Apache Kafka, the
 * weights in MinIO. Each tenant holds STS credentials whose session policy allows its own bucket
 * and reading the global models only: its updates go to its bucket, it cannot read or list
 * another tenant's bucket (its updates or its images), and it cannot read the aggregator's state.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaBus, type KafkaBusOptions } from '@dermagan/bus';
import type { FolderRef } from '@dermagan/contracts';
import { ingest } from '@dermagan/ingest';
import { publishFolder, Registry } from '@dermagan/runtime';
import { federationRequest, FlAggregator, generateTenantKeyPair, watchFederation } from '@dermagan/federation';
import { initialGlobalModel } from '@dermagan/gan';
import { aggregatorMetrics, aggregatorSubscriptions } from '@dermagan/service-fl-aggregator';
import { embeddedTenants } from '@dermagan/service-gan-trainer';
import { loadTf } from '@dermagan/tf';
import { AccessDeniedError, S3Store } from '@dermagan/store';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bucketScopedCredentials } from './servers/s3.ts';

const backend = await loadTf();

const DEMO = fileURLToPath(new URL('../data/demo/metadata.csv', import.meta.url));
const env = { ...inject('serverEnv'), ...process.env };
const brokers = (env.DERMAGAN_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const endpoint = env.DERMAGAN_S3_ENDPOINT ?? '';
const admin = { accessKey: env.DERMAGAN_S3_ACCESS_KEY ?? '', secretKey: env.DERMAGAN_S3_SECRET_KEY ?? '' };
if (brokers.length === 0 || !endpoint) throw new Error('DERMAGAN_KAFKA_BROKERS / DERMAGAN_S3_* are not set: run through the integration project (its global setup starts Kafka and MinIO)');

const RUN = `fl${Date.now().toString(36)}`;
const AGG_BUCKET = `${RUN}-aggregator`;
const TENANTS = ['tenant-0', 'tenant-1', 'tenant-2'];
/** The federation operator: it signs the request; the aggregator and the tenants verify it. */
const OPERATOR = generateTenantKeyPair();
const bucketOf = (tenant: string) => `${RUN}-${tenant}`;

const fast = (clientId: string): KafkaBusOptions => ({
  brokers, clientId, heartbeatIntervalMs: 300, sessionTimeoutMs: 10_000, maxWaitTimeMs: 200,
  // kafkajs' own errors (topic-creation races, coordinator start-up) only with DERMAGAN_TEST_BUS_LOG=1.
  logger: { warn: () => {}, error: (m, d) => void (process.env.DERMAGAN_TEST_BUS_LOG === '1' && process.stderr.write(`[bus] ${m} ${JSON.stringify(d ?? {})}\n`)) },
});

/**
 * STS credentials for one tenant: everything in its own bucket; GetObject on the federation's
 * global models (`<aggregator bucket>/federations/<id>/global/*`) and nothing else.
 */
function tenantCredentials(tenant: string, federation: string) {
  return bucketScopedCredentials({ endpoint, ...admin }, [bucketOf(tenant)], { alsoRead: [`${AGG_BUCKET}/federations/${federation}/global/*`] });
}

let root: string;
const adminStore = new S3Store({ endpoint, ...admin });
const datasets: Record<string, FolderRef> = {};
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-fl-kafka-'));
  await ingest({ data: DEMO, out: join(root, 'demo16'), size: 16, split: null, tenants: 3 });
  // Each hospital's data sits in its own bucket (the demo folder; each agent reads its tenant's rows).
  for (const tenant of TENANTS) {
    await adminStore.ensureBucket(bucketOf(tenant));
    datasets[tenant] = await publishFolder(adminStore, join(root, 'demo16'), { bucket: bucketOf(tenant), prefix: 'dataset/' }, 'manifest.json');
  }
  await adminStore.ensureBucket(AGG_BUCKET);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** One federation of the three tenants, each on its own scoped credentials; the outcome and the tenants' stores. */
async function federate(federation: string, options: { secagg: boolean }) {
  const aggBus = new KafkaBus(fast(`${federation}-aggregator`));
  const tenantBus = new KafkaBus(fast(`${federation}-tenants`));
  const buses = [aggBus, tenantBus];
  try {
    for (const b of buses) await b.start();
    const aggregator = new FlAggregator({
      operatorKey: OPERATOR.publicKeyPem,
      store: adminStore, bucket: AGG_BUCKET, metrics: aggregatorMetrics(new Registry()),
      logger: { info: () => {}, warn: (o, m) => process.stderr.write(`[fl] ${m} ${JSON.stringify(o)}\n`), error: (o, m) => process.stderr.write(`[fl] ${m} ${JSON.stringify(o)}\n`) },
      initialModel: async (t, p) => initialGlobalModel(backend.tf, t, p),
    });
    for (const s of aggregatorSubscriptions(aggregator)) await aggBus.subscribe(s);

    const stores: Record<string, S3Store> = {};
    for (const tenant of TENANTS) stores[tenant] = new S3Store({ endpoint, ...(await tenantCredentials(tenant, federation)), retry: { attempts: 1 } });
    const tenants = TENANTS.flatMap((tenant) => embeddedTenants([tenant], { backend, store: stores[tenant]!, workDir: join(root, federation), bucket: bucketOf, operatorKey: OPERATOR.publicKeyPem, dataset: datasets[tenant]! }));
    for (const t of tenants) for (const s of t.subscriptions) await tenantBus.subscribe(s);

    const { done } = await watchFederation(tenantBus, federation);
    await tenantBus.publish(
      federationRequest({
        federation,
        tenants: tenants.map((t) => ({ tenant: t.tenant, dataset: datasets[t.tenant]!, publicKey: t.keys.publicKeyPem, samples: 100 })),
        rounds: 2, k: 2, strategy: { name: 'fedavg' }, quorum: 3, roundTimeoutMs: 180_000, secagg: options.secagg,
        training: { res: 16, cfg: 'test', aug: 'noaug', seed: 0 },
        output: { bucket: AGG_BUCKET, prefix: `federations/${federation}/out/` },
      }, OPERATOR.privateKeyPem),
    );
    const outcome = await done;
    await aggregator.close();
    for (const t of tenants) await t.agent.dispose();
    if (outcome.status !== 'completed') throw new Error(`federation failed: ${outcome.reason}`);
    return { outcome, stores };
  } finally {
    for (const b of buses) await b.close();
  }
}

describe('federation over Kafka + S3 (MinIO)', () => {
  it('runs two rounds with tenants on their own credentials, which cannot read each other', async () => {
    const federation = `${RUN}-fed`;
    const { outcome, stores } = await federate(federation, { secagg: false });
    expect(outcome.rounds.map((r) => [r.round, r.accepted, r.rejected.length, r.aggregated])).toEqual([
      [1, TENANTS, 0, true],
      [2, TENANTS, 0, true],
    ]);
    // The final model and every update are in MinIO; the updates in their tenant's bucket.
    expect(await adminStore.stat(AGG_BUCKET, outcome.completed.global.key)).toMatchObject({ sha256: outcome.completed.global.sha256 });
    for (const tenant of TENANTS) {
      expect(await adminStore.list(bucketOf(tenant), `federations/${federation}/updates/`)).toEqual([
        `federations/${federation}/updates/${tenant}/round-1-attempt-0.dgw`,
        `federations/${federation}/updates/${tenant}/round-2-attempt-0.dgw`,
      ]);
    }

    // Isolation: tenant-0's credentials read neither tenant-1's update nor its images, nor the aggregator's state.
    const t0 = stores['tenant-0']!;
    const denied = [
      () => t0.get(bucketOf('tenant-1'), `federations/${federation}/updates/tenant-1/round-1-attempt-0.dgw`),
      () => t0.getBytes(bucketOf('tenant-1'), 'dataset/manifest.json'),
      () => t0.list(bucketOf('tenant-1')),
      () => t0.put(bucketOf('tenant-1'), 'forged.dgw', 'x'),
      () => t0.getBytes(AGG_BUCKET, `federations/${federation}/state.json`),
    ];
    for (const call of denied) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AccessDeniedError);
    }
    // …while it reads its own objects and the global model.
    expect((await t0.list(bucketOf('tenant-0'), `federations/${federation}/updates/`)).length).toBe(2);
    expect((await t0.getBytes(AGG_BUCKET, outcome.completed.global.key)).length).toBe(outcome.completed.global.size);
  });

  it('runs with secure aggregation: masked uploads, the aggregator sums them into the FedAvg mean', async () => {
    const federation = `${RUN}-secagg`;
    const { outcome } = await federate(federation, { secagg: true });
    expect(outcome.rounds.map((r) => [r.round, r.accepted, r.rejected.length, r.aggregated, r.updateNorms])).toEqual([
      [1, TENANTS, 0, true, {}],
      [2, TENANTS, 0, true, {}],
    ]);
    const means = (await adminStore.list(AGG_BUCKET, `federations/${federation}/global/`)).filter((k) => k.endsWith('.secagg-mean.dgw'));
    expect(means).toEqual([1, 2].map((r) => `federations/${federation}/global/round-${r}-attempt-0.secagg-mean.dgw`));
  });
});
