/**
 * The Grafana dashboard's queries against a real Prometheus (Debian's package) that scraped real
 * dermagan services during a tiny run: ingest, gan-trainer, generator, metrics, classifier,
 * fl-aggregator and the launcher run as their own processes (their main.ts, on the integration
 * run's Kafka, S3 and Kubernetes control plane), the hospitals' agents in this process, and the
 * smoke study drives them. Then every panel's query is asked of Prometheus: each must return series.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTf } from '@dermagan/tf';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KafkaBus } from '@dermagan/bus';
import { FolderCache } from '@dermagan/runtime';
import { s3StoreFromEnv, type ObjectStore } from '@dermagan/store';
import { PRESETS, runStudy } from '@dermagan/study';
import { generateTenantKeyPair } from '@dermagan/federation';
import { startEmbeddedTenants } from '../cli/embedded-services.ts';
import { dashboardQueries, dermaganDashboard } from '../scripts/dashboards/dermagan.ts';
import { chartJobTemplateJson } from './helpers/chart.ts';
import { restrictedNamespace } from './helpers/kube.ts';
import { freePort } from './servers/kafka.ts';
import { ServerProcess } from './servers/process.ts';

const backend = await loadTf();

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEMO = join(ROOT, 'data/demo/metadata.csv');
const SERVICES = ['ingest', 'gan-trainer', 'generator', 'metrics', 'classifier', 'fl-aggregator', 'launcher'];
const BUCKET = 'dashboards-test';

/**
 * Panels a smoke run cannot fill, and why. Each is asserted empty, so a change that fills one (or
 * empties another) shows up here.
 */
const NEEDS_MORE_THAN_A_SMOKE_RUN: Record<string, string> = {
  'Snapshot FID (Inception-2015)': "the smoke preset computes no per-checkpoint FID (training.requested's snapshotMetrics is empty)",
  'Federation privacy spent (ε)': 'the smoke federation runs without differential privacy (ε exists only with --dp-clip/--dp-noise)',
  'Federation update norms ‖update − global‖ by tenant': 'the smoke federation runs under secure aggregation: the aggregator sees only the masked sum, never one tenant’s update',
};

const running: ServerProcess[] = [];
let bus: KafkaBus;
let store: ObjectStore;
let prometheus: string;
let tenants: Awaited<ReturnType<typeof startEmbeddedTenants>>;
/** The federation operator: the aggregator process verifies the study's request with its public key. */
const OPERATOR = generateTenantKeyPair();
let work: string;

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

async function query(expr: string): Promise<unknown[]> {
  const res = await fetch(`${prometheus}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`);
  return body.data!.result;
}

beforeAll(async () => {
  const env = inject('serverEnv');
  work = await mkdtemp(join(tmpdir(), 'dashboards-'));
  store = s3StoreFromEnv(env)!;
  await store.ensureBucket(BUCKET);
  const namespace = await restrictedNamespace('dashboards');
  const jobTemplate = await chartJobTemplateJson(namespace);

  // The services, each its own process with its /metrics on a port of its own.
  const targets: string[] = [];
  await Promise.all(SERVICES.map(async (service) => {
    const port = await freePort();
    targets.push(`127.0.0.1:${port}`);
    running.push(await ServerProcess.start({
      name: service,
      command: process.execPath,
      args: ['--import', 'tsx', join(ROOT, 'services', service, 'src', 'main.ts')],
      log: join(work, `${service}.log`),
      env: {
        ...process.env, ...env,
        DERMAGAN_BUS: 'kafka', DERMAGAN_STORE: env.DERMAGAN_S3_ENDPOINT!, DERMAGAN_BUCKET: BUCKET, DERMAGAN_HTTP_PORT: String(port),
        DERMAGAN_FL_OPERATOR_KEY: OPERATOR.publicKeyPem,
        DERMAGAN_WORK_DIR: join(work, service), DERMAGAN_LOG_LEVEL: 'warn', DERMAGAN_LAUNCHER_JOB_TEMPLATE: jobTemplate, DERMAGAN_LAUNCHER_RESYNC_S: '1',
      },
      ready: () => answers(`http://127.0.0.1:${port}/readyz`),
      readyTimeoutMs: 180_000,
    }));
  }));

  // Prometheus scrapes them every second.
  const promPort = await freePort();
  await writeFile(join(work, 'prometheus.yml'), [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    'scrape_configs:',
    '  - job_name: dermagan',
    `    static_configs: [{ targets: [${targets.map((t) => `"${t}"`).join(', ')}] }]`,
    '',
  ].join('\n'));
  prometheus = `http://127.0.0.1:${promPort}`;
  running.push(await ServerProcess.start({
    name: 'prometheus',
    command: 'prometheus',
    args: [`--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`],
    log: join(work, 'prometheus.log'),
    ready: () => answers(`${prometheus}/-/ready`),
  }));

  bus = new KafkaBus({ brokers: env.DERMAGAN_KAFKA_BROKERS!.split(','), clientId: 'dashboards-test', sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 });
  await bus.start();
  tenants = await startEmbeddedTenants({ backend, bus, store, workDir: join(work, 'tenants'), tenants: 3, operator: OPERATOR });
});

afterAll(async () => {
  await tenants?.close();
  await bus?.close();
  for (const p of running.reverse()) await p.stop();
});

describe('the dashboard against a real Prometheus that scraped the services during a smoke study', () => {
  it('every panel’s query returns series (the named exceptions need more than a smoke run)', { timeout: 900_000 }, async () => {
    const folders = new FolderCache(store, join(work, 'folders'));
    await runStudy({
      data: DEMO,
      out: join(work, 'study'),
      // No audit and no explanation: their services (projector, explainer) are not among the processes here.
      preset: { ...PRESETS.smoke, utility: PRESETS.smoke.utility.slice(0, 1), audit: null, explain: null },
      bus,
      store,
      bucket: BUCKET,
      fetchFolder: (ref) => folders.fetch(ref),
      environment: { bus: 'kafka', store: store.url },
      federation: { publicKeys: tenants.publicKeys, operatorKey: tenants.operatorKey, useDataset: tenants.useDataset },
      onProgress: (step, done, total, status) => process.stderr.write(`[dashboards] ${step} ${done}/${total} ${status ?? ''}\n`),
    });
    // Two more scrapes after the last event, so rate() and increase() have their samples.
    await new Promise((r) => setTimeout(r, 3000));

    const targets = (await (await fetch(`${prometheus}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ health: string; scrapeUrl: string }> } };
    expect(targets.data.activeTargets.filter((t) => t.health !== 'up').map((t) => t.scrapeUrl)).toEqual([]);

    const empty: string[] = [];
    for (const { panel, expr } of dashboardQueries(dermaganDashboard())) {
      if ((await query(expr)).length === 0) empty.push(panel);
    }
    expect([...new Set(empty)].sort()).toEqual(Object.keys(NEEDS_MORE_THAN_A_SMOKE_RUN).sort());
  });
});

