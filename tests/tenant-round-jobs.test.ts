/**
 * A hospital's local training as a Kubernetes Job per round (issue 18), on the real control plane
 * (a GPU and a CPU pool of kwok nodes) and the real S3 server of the global setup. The tenant agent
 * runs here in job mode with the round Job template the site chart renders; the Job's worker
 * (round-job-main's runRoundJob) runs here too, with the Job's own environment, in an agent of its
 * own as its container would — kwok runs no container, so the test tells kwok how each pod ended
 * once the worker has.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig, setHeaderOptions, type KubernetesObject, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { FederationRoundStarted, FederationUpdateSubmitted, type DermaganEvent, type FolderRef } from '@dermagan/contracts';
import { checkTenant, encodeWeightSet, federationRequest, generateTenantKeyPair, resolveGanStatePolicy, verifyUpdate } from '@dermagan/federation';
import { initialGlobalModel } from '@dermagan/gan';
import { ingest } from '@dermagan/ingest';
import { KubeJobs, LABELS, readJobTemplate, requestHash, workerEnv, type JobTemplate } from '@dermagan/kube';
import { FolderCache, publishFolder } from '@dermagan/runtime';
import {
  buildRoundJob, ROUND_JOB, ROUND_JOB_MANAGER, ROUND_JOB_TEMPLATE_SETTING, RoundJobs, roundJobName, runRoundJob, TenantAgent, type RoundStartedData,
} from '@dermagan/service-gan-trainer';
import { s3StoreFromEnv, type ObjectStore } from '@dermagan/store';
import { loadTf } from '@dermagan/tf';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { siteProbes } from '../cli/tenant-probes.ts';
import { CHART, chartJobTemplateJson, helm } from './helpers/chart.ts';
import { createRaw, eventually, kube, restrictedNamespace } from './helpers/kube.ts';

const backend = await loadTf();
const DEMO = fileURLToPath(new URL('../data/demo/metadata.csv', import.meta.url));
const TENANT = 'hospital-a';
const BUCKET = 'round-jobs-hospital-a';
const FEDERATION = 'fed-round-jobs';
const OPERATOR = generateTenantKeyPair();
const KEYS = generateTenantKeyPair();

let namespace: string;
let template: JobTemplate;
let jobs: KubeJobs;
let store: ObjectStore;
let work: string;
let dataset: FolderRef;
let globalRef: Awaited<ReturnType<ObjectStore['put']>>;
const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
const logger = { info: () => undefined, warn: (obj: object, msg: string) => void warnings.push({ obj: obj as Record<string, unknown>, msg }) };

const request = federationRequest(
  {
    federation: FEDERATION, tenants: [{ tenant: TENANT, publicKey: KEYS.publicKeyPem }], rounds: 3, k: 2, strategy: { name: 'fedavg' }, quorum: 1, roundTimeoutMs: 600_000,
    training: { res: 16, cfg: 'test', aug: 'noaug', seed: 0 }, output: { bucket: BUCKET, prefix: `federations/${FEDERATION}/out/` },
  },
  OPERATOR.privateKeyPem,
);
const POLICY = { adaP: 'average', plMean: 'average', moments: 'keep-local', gEma: 'average', gEmaBeta: 0.999 } as const;

function round(n: number, deadlineMs = 600_000): DermaganEvent<RoundStartedData> {
  return FederationRoundStarted.create(
    { round: n, attempt: 0, participants: [TENANT], global: globalRef, deadline: new Date(Date.now() + deadlineMs).toISOString(), k: 2, ganStatePolicy: POLICY },
    { runid: FEDERATION, id: `${FEDERATION}:round-${n}:${Date.now()}` },
  );
}

/** An agent over the hospital's bucket: the site's (job mode) or a Job worker's own (in-process). */
function agent(roundRunner?: RoundJobs): TenantAgent {
  return new TenantAgent({
    tenant: TENANT, signingKey: KEYS.privateKeyPem, operatorKey: OPERATOR.publicKeyPem, store, bucket: BUCKET, dataset, backend, logger,
    folders: new FolderCache(store, join(work, roundRunner ? 'agent' : `worker-${Date.now()}`)),
    ...(roundRunner ? { roundRunner } : {}),
  });
}
const siteAgent = () => agent(new RoundJobs({ jobs, template, tenant: TENANT, bucket: BUCKET, store, logger, pollMs: 250 }));

/** Round `n` handed to the site's agent (in job mode): what it publishes, its handling, its Job's name. */
function startRound(n: number, deadlineMs?: number) {
  const started = round(n, deadlineMs);
  const published: DermaganEvent<unknown>[] = [];
  const site = siteAgent();
  const handling = site.onRoundStarted(started, async (e) => void published.push(e)).finally(() => site.dispose());
  return { started, published, handling, name: roundJobName(TENANT, started) };
}

const podsOf = async (job: string): Promise<V1Pod[]> => (await kube().core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${job}` })).items;
const livePod = (job: string) => eventually(`a Running pod of ${job}`, async () => (await podsOf(job)).find((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp));
const jobOf = (name: string): Promise<V1Job> => kube().batch.readNamespacedJob({ namespace, name });

/** Tell kwok how the pod's container ended (its exit code), as a kubelet would report it. */
async function endPod(pod: V1Pod, exitCode: number): Promise<void> {
  await kube().core.patchNamespacedPod(
    { name: pod.metadata!.name!, namespace, body: { metadata: { annotations: { 'dermagan.dev/kwok-exit': String(exitCode) } } } },
    setHeaderOptions('Content-Type', 'application/merge-patch+json'),
  );
}

const SITE = [
  'tenant.enabled=true', `tenant.id=${TENANT}`, `tenant.bucket=${BUCKET}`, 'tenant.credentialsSecret=hospital-a-s3', 'tenant.signingKeySecret=hospital-a-signing',
  'operatorPublicKey=op-key', 'tenant.roundJobs.enabled=true', 'tenant.roundJobs.backoffLimit=0',
];

beforeAll(async () => {
  const env = inject('serverEnv');
  namespace = await restrictedNamespace('rounds');
  const site = SITE;
  template = readJobTemplate(await chartJobTemplateJson(namespace, site, 'templates/tenant.yaml'), ROUND_JOB_TEMPLATE_SETTING);
  jobs = new KubeJobs(kube().kc, namespace, ROUND_JOB_MANAGER);
  work = await mkdtemp(join(tmpdir(), 'round-jobs-'));
  store = s3StoreFromEnv(env)!;
  await store.ensureBucket(BUCKET);
  await ingest({ data: DEMO, out: join(work, 'demo16'), size: 16, split: null, tenants: null });
  dataset = await publishFolder(store, join(work, 'demo16'), { bucket: BUCKET, prefix: 'dataset/' }, 'manifest.json');
  globalRef = await store.put(BUCKET, `federations/${FEDERATION}/global/initial.dgw`, encodeWeightSet(initialGlobalModel(backend.tf, request.data.training, resolveGanStatePolicy(POLICY, false))));
  await agent().onRequested(request, async () => undefined);
}, 180_000);

afterAll(async () => {
  await kube().core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe("a hospital's rounds as Kubernetes Jobs", () => {
  it('trains a round as one Job on a GPU node, also when the round comes again, and publishes the update its worker signed', async () => {
    const { started, published, handling, name } = startRound(1);
    const job = await eventually('the round Job', () => jobOf(name).catch(() => undefined));
    const pod = await livePod(name);
    expect(pod.spec!.nodeName).toMatch(/^gpu-node-/);
    expect(pod.spec!.containers[0]!.resources!.limits!['nvidia.com/gpu']).toBe('1');
    expect(job.metadata!.labels).toMatchObject({ [LABELS.run]: FEDERATION, [ROUND_JOB.tenantLabel]: TENANT, [LABELS.component]: 'federation-round' });
    // A redelivered round finds its Job by name: no second one.
    expect((await jobs.createOnce(buildRoundJob(started, TENANT, BUCKET, template))).created).toBe(false);
    expect((await kube().batch.listNamespacedJob({ namespace, labelSelector: `${LABELS.request}=${requestHash(started.id)}` })).items).toHaveLength(1);

    // The worker, in its own agent with the Job's environment, trains the round and leaves the signed update; the pod exits 0.
    expect(workerEnv(job, 'DERMAGAN_TENANT')).toBe(TENANT);
    const outcome = await runRoundJob(workerEnv(job, ROUND_JOB.roundEnv), agent());
    expect(outcome).toMatchObject({ status: 'submitted', federation: FEDERATION, round: 1 });
    await endPod(pod, 0);

    const report = await handling;
    expect(report).toMatchObject({ federation: FEDERATION, tenant: TENANT, round: 1, iterations: 2 });
    expect(published).toHaveLength(1);
    const update = FederationUpdateSubmitted.parse(published[0]);
    expect(update.id).toBe(`${FEDERATION}:1:0:${TENANT}`);
    const { weights, samples, signature } = update.data;
    expect(verifyUpdate(KEYS.publicKeyPem, { federation: FEDERATION, round: 1, attempt: 0, tenant: TENANT, weightsSha256: weights.sha256, samples }, signature!)).toBe(true);
    expect((await store.stat(weights.bucket, weights.key))?.sha256).toBe(weights.sha256);
    // The local state the next round's Job starts from is in the hospital's bucket.
    expect(await store.list(BUCKET, `federations/${FEDERATION}/local/`)).not.toEqual([]);
  });

  it('gives no update when the round Job fails (its worker cannot train the round), and says why', async () => {
    const { published, handling, name } = startRound(2);
    await endPod(await livePod(name), ROUND_JOB.exitCodes.invalidRequest);
    expect(await handling).toBeNull();
    expect(published).toEqual([]);
    expect((await jobOf(name)).status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('PodFailurePolicy');
    expect(warnings.find((w) => w.obj.job === name)?.msg).toMatch(/round Job failed: no update from this tenant this round/);
  });

  it('deletes a round Job still running at the round’s deadline: no update (it would be a straggler’s)', async () => {
    const { published, handling, name } = startRound(3, 4_000);
    await livePod(name);
    expect(await handling).toBeNull();
    expect(published).toEqual([]);
    expect(warnings.find((w) => w.obj.job === name)?.msg).toMatch(/deadline passed before its Job finished/);
    await eventually('the late Job to be gone', async () => ((await jobOf(name).catch(() => null)) === null ? true : undefined));
  });

  it('gives no update when someone deletes the round Job while the agent waits, and says so', async () => {
    const { handling, name } = startRound(4);
    await livePod(name);
    await kube().batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' });
    expect(await handling).toBeNull();
    expect(warnings.find((w) => w.obj.job === name)?.msg).toMatch(/deleted before it finished/);
  });

  it("tenant check says whether the site's identity may run round Jobs: the agent's ServiceAccount with the chart's Role may, another may not", async () => {
    // The chart's ServiceAccount, Role and RoleBinding for the agent, and a ServiceAccount without them.
    const rendered = parseAllDocuments(await helm(['template', 'hospital-a', CHART, '-n', namespace, '-s', 'templates/tenant.yaml', ...SITE.flatMap((v) => ['--set', v])]))
      .map((d) => d.toJS() as KubernetesObject)
      .filter((m) => m && ['ServiceAccount', 'Role', 'RoleBinding'].includes(m.kind!));
    expect(rendered).toHaveLength(3);
    for (const m of rendered) expect(await createRaw({ ...m, metadata: { ...m.metadata, namespace } })).toBeNull();
    await kube().core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'someone-else' } } });

    const lineAs = async (serviceAccount: string) => {
      const { status } = await kube().core.createNamespacedServiceAccountToken({ name: serviceAccount, namespace, body: { spec: { audiences: [], expirationSeconds: 600 } } });
      const cluster = kube().kc.getCurrentCluster()!;
      const kc = new KubeConfig();
      kc.loadFromOptions({ clusters: [cluster], users: [{ name: serviceAccount, token: status!.token }], contexts: [{ name: 'sa', cluster: cluster.name, user: serviceAccount }], currentContext: 'sa' });
      const settings = { tenant: TENANT, bucket: BUCKET, brokers: [], dataset: null, roundJobTemplate: JSON.stringify(template) };
      const lines = await checkTenant(siteProbes(settings, store, [], work, (ns) => new KubeJobs(kc, ns, ROUND_JOB_MANAGER)));
      return lines.find((l) => l.name === 'round-jobs')!;
    };
    expect(await lineAs(`dermagan-tenant-${TENANT}`)).toEqual({ name: 'round-jobs', ok: true, text: expect.stringContaining(`may create and follow Jobs in namespace ${namespace}`) });
    const refused = await lineAs('someone-else');
    expect(refused.ok).toBe(false);
    expect(refused.text).toMatch(/may not create jobs, get jobs, delete jobs, list pods in namespace .*tenant\.roundJobs\.enabled/);
  });
});
