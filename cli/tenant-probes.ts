/**
 * The probes `dermagan tenant check` hands to libs/federation checkTenant, from the site's own
 * configuration (the tenant agent's environment: DERMAGAN_TENANT, DERMAGAN_BUCKET, DERMAGAN_S3_*,
 * DERMAGAN_KAFKA_BROKERS, DERMAGAN_TENANT_DATASET, and DERMAGAN_TENANT_ROUND_JOB_TEMPLATE where
 * rounds train as Kubernetes Jobs: then the Kubernetes identity of KUBECONFIG or the pod).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaTopics } from '@dermagan/bus';
import { FederationRequested, FederationRoundStarted, FederationUpdateSubmitted, FolderRef } from '@dermagan/contracts';
import { readManifest, selectImages, tenantImages } from '@dermagan/dataset';
import type { TenantProbes } from '@dermagan/federation';
import { loadTrainingData, Trainer, trainerOptionsFrom } from '@dermagan/gan';
import { KubeJobs, readJobTemplate } from '@dermagan/kube';
import { FolderCache } from '@dermagan/runtime';
import { ROUND_JOB_MANAGER, ROUND_JOB_TEMPLATE_SETTING } from '@dermagan/service-gan-trainer';
import type { ObjectStore } from '@dermagan/store';
import { loadTf } from '@dermagan/tf';
import { UserError } from './output.ts';

/** The site's settings a check needs (the tenant agent's own). */
export interface SiteSettings {
  tenant: string;
  bucket: string;
  brokers: string[];
  dataset: FolderRef | null;
  /** The round Jobs' template (JSON or a file), where rounds train as Kubernetes Jobs. */
  roundJobTemplate?: string;
}

/** The settings from the environment; exit 2 naming what is missing. */
export function siteSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): SiteSettings {
  const tenant = env.DERMAGAN_TENANT;
  const bucket = env.DERMAGAN_BUCKET;
  if (!tenant || !bucket) throw new UserError('tenant check reads the tenant agent’s settings: set DERMAGAN_TENANT and DERMAGAN_BUCKET (and DERMAGAN_S3_*, DERMAGAN_KAFKA_BROKERS, DERMAGAN_TENANT_DATASET) as the site runs it');
  let dataset: FolderRef | null = null;
  if (env.DERMAGAN_TENANT_DATASET) {
    try {
      dataset = FolderRef.parse(JSON.parse(env.DERMAGAN_TENANT_DATASET));
    } catch (err) {
      throw new UserError(`DERMAGAN_TENANT_DATASET is not a dataset reference (JSON { bucket, prefix, manifest }): ${(err as Error).message}`);
    }
  }
  const roundJobTemplate = env[ROUND_JOB_TEMPLATE_SETTING];
  return {
    tenant, bucket, brokers: (env.DERMAGAN_KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean), dataset,
    ...(roundJobTemplate ? { roundJobTemplate } : {}),
  };
}

/**
 * Probes over the site's store, broker, backend and (round Jobs) Kubernetes API; `work` holds the
 * dataset copy for the timed step. `kube` makes the API client (default: KUBECONFIG or the pod's
 * ServiceAccount).
 */
export function siteProbes(
  site: SiteSettings,
  store: ObjectStore,
  otherBuckets: readonly string[],
  work: string,
  kube: (namespace: string) => KubeJobs = (namespace) => KubeJobs.fromEnvironment(namespace, ROUND_JOB_MANAGER),
): TenantProbes {
  let datasetDir: string | null = null;
  const fetchDataset = async () => (datasetDir ??= await new FolderCache(store, join(work, 'folders')).fetch(site.dataset!));
  return {
    tenant: site.tenant,
    bucket: site.bucket,
    otherBuckets,
    neededTopics: [FederationRequested.type, FederationRoundStarted.type, FederationUpdateSubmitted.type],
    ownBucket: async () => {
      const key = `dermagan-check/${site.tenant}-${Date.now()}`;
      await store.put(site.bucket, key, Buffer.from('dermagan tenant check'));
      await store.getBytes(site.bucket, key);
      await store.delete(site.bucket, key);
    },
    otherBucket: async (bucket) => void (await store.list(bucket, '')),
    topics: async () => {
      if (site.brokers.length === 0) throw new Error('DERMAGAN_KAFKA_BROKERS is not set');
      return kafkaTopics(site.brokers);
    },
    datasetImages: async () => {
      if (!site.dataset) return null;
      const manifest = await readManifest(await fetchDataset());
      const images = selectImages(manifest, { ...tenantImages(manifest, site.tenant), split: ['train', 'all'] }).length;
      return { images, where: `${site.dataset.bucket}/${site.dataset.prefix}` };
    },
    ...(site.roundJobTemplate
      ? {
          roundJobs: async () => {
            const template = readJobTemplate(site.roundJobTemplate!, ROUND_JOB_TEMPLATE_SETTING);
            return { namespace: template.namespace, denied: await kube(template.namespace).deniedRights() };
          },
        }
      : {}),
    compute: async () => {
      const { tf, info } = await loadTf();
      const gpu = info.name === 'gpu';
      if (!site.dataset) return { backend: info.name, gpu, stepSeconds: null, note: 'one training step not timed' };
      let data;
      let manifest;
      try {
        const dir = await fetchDataset();
        manifest = await readManifest(dir);
        data = await loadTrainingData(tf, dir, { resolution: manifest.size, ...tenantImages(manifest, site.tenant) });
      } catch (err) {
        return { backend: info.name, gpu, stepSeconds: null, note: `one training step not timed (${(err as Error).message})` };
      }
      const trainer = new Trainer(tf, data, trainerOptionsFrom({ res: manifest.size, cfg: 'quick' }, data.labelNames.length, 0), info as unknown as Record<string, unknown>);
      try {
        trainer.stepOnce(); // the first step builds the graph
        const started = performance.now();
        trainer.stepOnce();
        return { backend: info.name, gpu, stepSeconds: (performance.now() - started) / 1000 };
      } finally {
        trainer.dispose();
      }
    },
  };
}

/** A scratch folder for one check, removed after. */
export async function withScratch<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'dermagan-tenant-check-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
