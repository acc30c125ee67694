/**
 * `dermagan tenant check`'s checks against a real MinIO and Kafka: a site set up right passes every
 * line; each broken prerequisite (a wrong S3 key, another tenant's bucket readable, the broker down,
 * no dataset) fails with its own line naming what to fix.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FederationRequested, FederationRoundStarted, FederationUpdateSubmitted, type FolderRef } from '@dermagan/contracts';
import { checkTenant, type CheckLine } from '@dermagan/federation';
import { ingest } from '@dermagan/ingest';
import { publishFolder } from '@dermagan/runtime';
import { S3Store } from '@dermagan/store';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { siteProbes, type SiteSettings } from '../cli/tenant-probes.ts';
import { bucketScopedCredentials } from './servers/s3.ts';

const DEMO = fileURLToPath(new URL('../data/demo/metadata.csv', import.meta.url));
const env = { ...inject('serverEnv'), ...process.env };
const brokers = (env.DERMAGAN_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const endpoint = env.DERMAGAN_S3_ENDPOINT ?? '';
const admin = { accessKey: env.DERMAGAN_S3_ACCESS_KEY ?? '', secretKey: env.DERMAGAN_S3_SECRET_KEY ?? '' };
const RUN = `tc${Date.now().toString(36)}`;
const OWN = `${RUN}-hospital-a`;
const OTHER = `${RUN}-hospital-b`;
const adminStore = new S3Store({ endpoint, ...admin });


let root: string;
let dataset: FolderRef;
let own: S3Store;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-tenant-check-'));
  await ingest({ data: DEMO, out: join(root, 'demo16'), size: 16, split: null, tenants: 3 });
  for (const b of [OWN, OTHER]) await adminStore.ensureBucket(b);
  dataset = await publishFolder(adminStore, join(root, 'demo16'), { bucket: OWN, prefix: 'dataset/' }, 'manifest.json');
  // STS credentials that reach the hospital's own bucket only (as a site's S3 user should).
  own = new S3Store({ endpoint, ...(await bucketScopedCredentials({ endpoint, ...admin }, [OWN])) });
  // The federation's topics, as the operator's cluster has them.
  const kafka = new Kafka({ clientId: 'tenant-check-test', brokers, logLevel: logLevel.NOTHING });
  const a = kafka.admin();
  await a.connect();
  await a.createTopics({ topics: [FederationRequested.type, FederationRoundStarted.type, FederationUpdateSubmitted.type].map((topic) => ({ topic })) });
  await a.disconnect();
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const site = (over: Partial<SiteSettings> = {}): SiteSettings => ({ tenant: 'tenant-0', bucket: OWN, brokers, dataset, ...over });
const check = (s: SiteSettings, store: S3Store, others: string[] = [OTHER]) => checkTenant(siteProbes(s, store, others, join(root, `work-${Math.random()}`)));
const line = (lines: CheckLine[], name: CheckLine['name']) => lines.find((l) => l.name === name)!;

describe('tenant check over MinIO and Kafka', () => {
  it('a site set up right passes every line: its bucket, isolation, broker and topics, its images, one timed step', { timeout: 300_000 }, async () => {
    const lines = await check(site(), own);
    expect(lines.filter((l) => !l.ok)).toEqual([]);
    expect(line(lines, 'dataset').text).toMatch(/\d+ training images of tenant tenant-0/);
    expect(line(lines, 'compute').text).toMatch(/one training step in \d+\.\d+ s/);
    expect(line(lines, 's3-other-buckets').text).toMatch(/refused on other tenants' buckets/);
  });

  it('each broken prerequisite fails with its own line naming the fix', { timeout: 120_000 }, async () => {
    const wrongKey = await check(site({ dataset: null }), new S3Store({ endpoint, accessKey: admin.accessKey, secretKey: 'wrong-secret' }), []);
    expect(line(wrongKey, 's3-own-bucket')).toMatchObject({ ok: false, text: expect.stringMatching(/cannot use bucket .*fix DERMAGAN_S3_ACCESS_KEY/) });

    // The platform's admin key reaches every bucket: a site must never run with it.
    const tooBroad = await check(site({ dataset: null }), adminStore);
    expect(line(tooBroad, 's3-other-buckets')).toMatchObject({ ok: false, text: expect.stringMatching(new RegExp(`can read another tenant's bucket \\(${OTHER}\\); restrict`)) });

    const brokerDown = await check(site({ dataset: null, brokers: ['127.0.0.1:1'] }), own);
    expect(line(brokerDown, 'broker')).toMatchObject({ ok: false, text: expect.stringMatching(/unreachable .*fix DERMAGAN_KAFKA_BROKERS/) });

    const noDataset = await check(site({ dataset: null }), own);
    expect(line(noDataset, 'dataset')).toMatchObject({ ok: false, text: expect.stringMatching(/none configured; ingest/) });
    // Only the broken prerequisite fails.
    expect(noDataset.filter((l) => !l.ok).map((l) => l.name)).toEqual(['dataset']);
  });
});
