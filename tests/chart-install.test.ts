/**
 * The chart on a real Kubernetes control plane (tests/servers/kubernetes.ts: kube-apiserver, etcd,
 * controller-manager, scheduler; kwok plays the kubelets of a GPU and a CPU node pool):
 *   - its manifests are valid against the strict Kubernetes schemas offline (kubeconform, no network)
 *     and by the API server's own server-side dry-run;
 *   - `helm install --wait` of the central services and of a hospital's tenant site, each into a
 *     namespace enforcing the `restricted` Pod Security Standard (the API server refuses a pod that
 *     runs as root, may escalate, keeps a capability or lacks seccomp): every pod scheduled by the
 *     real scheduler where it belongs — GPU services on the GPU pool, nothing else there — and Ready;
 *   - `helm upgrade` rolls the pods, `helm uninstall` leaves nothing behind.
 * No container runs (kwok reports them Running): what the services do is tested elsewhere.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CHART, chartServiceDefaults, helm, KUBECONFORM, schemaFolder } from './helpers/chart.ts';
import { createRaw, eventually, kube, kubeconfigPath, restrictedNamespace } from './helpers/kube.ts';

const run = promisify(execFile);
const CRDS = new URL('./fixtures/monitoring-crds.yaml', import.meta.url).pathname;
const DEFAULTS = chartServiceDefaults();
const SERVICES = Object.keys(DEFAULTS);
const GPU_SERVICES = new Set(SERVICES.filter((s) => DEFAULTS[s]!.gpu));
const ON_BY_DEFAULT = SERVICES.filter((s) => DEFAULTS[s]!.enabled).sort();
const CENTRAL = ['kafka.brokers=kafka.example:9092', 's3.endpoint=https://s3.example', 'operatorPublicKey=op-key', 'prometheus.rules=true', 'prometheus.serviceMonitor=true', 'prometheus.podMonitor=true'];
const SITE = [
  'centralServices=false',
  'tenant.enabled=true', 'tenant.id=hospital-a', 'tenant.bucket=hospital-a', 'tenant.credentialsSecret=hospital-a-s3', 'tenant.signingKeySecret=hospital-a-signing', 'operatorPublicKey=op-key',
  'kafka.brokers=kafka.example:9092', 's3.endpoint=https://s3.hospital-a.example', 'prometheus.podMonitor=true',
];
/** The site where rounds train as Jobs on the GPU pool (the agent on the CPU pool). */
const SITE_JOBS = [...SITE, 'tenant.roundJobs.enabled=true'];
const sets = (values: string[]) => values.flatMap((v) => ['--set', v]);
const docs = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS() as KubernetesObject).filter(Boolean);

async function createSecrets(namespace: string, names: string[]): Promise<void> {
  const { core } = kube();
  for (const name of names) {
    await core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData: name.endsWith('signing') ? { 'ed25519.pem': 'test' } : { accessKey: `${name}-key`, secretKey: 'test' } } });
  }
}

async function podsOf(namespace: string): Promise<V1Pod[]> {
  return (await kube().core.listNamespacedPod({ namespace })).items;
}

/**
 * Install hospital-a's site with `values` into a fresh restricted namespace and hand over its one
 * pod (after `check`), its namespace and its NetworkPolicies' names; uninstall it after, and wait
 * until its pods are gone.
 */
async function withSite(prefix: string, values: string[], check: (site: { namespace: string; pod: V1Pod; policies: string[] }) => Promise<void>): Promise<void> {
  const namespace = await restrictedNamespace(prefix);
  await createSecrets(namespace, ['hospital-a-s3', 'hospital-a-signing']);
  const kubeconfig = ['--kubeconfig', kubeconfigPath()];
  await helm(['install', 'hospital-a', CHART, '-n', namespace, '--wait', '--timeout', '3m', ...kubeconfig, ...sets(values)]);
  const pods = await podsOf(namespace);
  expect(pods.map((p) => p.metadata!.labels!['app.kubernetes.io/name'])).toEqual(['gan-trainer-tenant']);
  const policies = (await kube().objects.list('networking.k8s.io/v1', 'NetworkPolicy', namespace)).items.map((p) => p.metadata!.name!).sort();
  await check({ namespace, pod: pods[0]!, policies });
  await helm(['uninstall', 'hospital-a', '-n', namespace, '--wait', ...kubeconfig]);
  await eventually('the site to be gone', async () => ((await podsOf(namespace)).length === 0 ? true : undefined));
}

const ready = (p: V1Pod) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

beforeAll(async () => {
  // prometheus-operator's kinds, so the chart's monitoring objects have somewhere to go.
  const { objects } = kube();
  for (const crd of docs(await readFile(CRDS, 'utf8'))) {
    const refused = await createRaw(crd);
    if (refused && !/already exists/.test(refused)) throw new Error(`creating ${crd.metadata?.name}: ${refused}`);
  }
  await eventually('the monitoring CRDs to be served', async () => ((await objects.list('monitoring.coreos.com/v1', 'PrometheusRule', 'default')).items ? true : undefined), 30_000);
});

describe('charts/dermagan on a real control plane', () => {
  it('is valid against the strict Kubernetes schemas, offline (kubeconform with no network)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubeconform-'));
    const files = { central: join(dir, 'central.yaml'), site: join(dir, 'site.yaml'), siteJobs: join(dir, 'site-jobs.yaml') };
    await writeFile(files.central, await helm(['template', 'dermagan', CHART, '--kube-version', '1.36.0', ...sets([...CENTRAL, 'services.gan-trainer.enabled=true'])]));
    await writeFile(files.site, await helm(['template', 'hospital-a', CHART, '--kube-version', '1.36.0', ...sets(SITE)]));
    await writeFile(files.siteJobs, await helm(['template', 'hospital-a', CHART, '--kube-version', '1.36.0', ...sets(SITE_JOBS)]));
    const args = [
      '-n', KUBECONFORM, '-strict', '-summary', '-output', 'json',
      '-schema-location', `${schemaFolder()}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      // prometheus-operator's kinds have no Kubernetes schema: checked by promtool and the API server below.
      '-skip', 'PrometheusRule,ServiceMonitor,PodMonitor',
      files.central, files.site, files.siteJobs,
    ];
    let out: string;
    try {
      out = (await run('unshare', args)).stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; code?: string };
      if (e.code === 'ENOENT' || /unshare failed|Operation not permitted/.test(e.stderr ?? '')) throw new Error(`cannot run kubeconform without a network (unshare -n needs root): ${e.stderr}`);
      throw new Error(`kubeconform found invalid manifests:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
    const summary = JSON.parse(out) as { summary: { valid: number; invalid: number; errors: number; skipped: number } };
    expect(summary.summary).toMatchObject({ invalid: 0, errors: 0 });
    expect(summary.summary.valid).toBeGreaterThanOrEqual(20);
  });

  it('passes the API server’s server-side dry-run, field by field (strict)', async () => {
    const namespace = await restrictedNamespace('dryrun');
    const manifests = [
      ...docs(await helm(['template', 'dermagan', CHART, '-n', namespace, ...sets([...CENTRAL, 'services.gan-trainer.enabled=true'])])),
      ...docs(await helm(['template', 'hospital-a', CHART, '-n', namespace, ...sets(SITE)])),
      ...docs(await helm(['template', 'hospital-b', CHART, '-n', namespace, ...sets(SITE_JOBS)])),
    ];
    expect(manifests.length).toBeGreaterThanOrEqual(25);
    const refused: string[] = [];
    for (const m of manifests) {
      const why = await createRaw({ ...m, metadata: { ...m.metadata, namespace } }, { dryRun: true });
      if (why) refused.push(`${m.kind}/${m.metadata?.name}: ${why}`);
    }
    expect(refused).toEqual([]);
  });

  it('installs the central services: every pod Ready where it belongs under the restricted policy; upgrades and uninstalls clean', async () => {
    const namespace = await restrictedNamespace('central');
    await createSecrets(namespace, SERVICES.map((s) => `dermagan-s3-${s}`));
    const kubeconfig = ['--kubeconfig', kubeconfigPath()];
    await helm(['install', 'dermagan', CHART, '-n', namespace, '--wait', '--timeout', '3m', ...kubeconfig, ...sets(CENTRAL)]);

    // Every pod scheduled by the real scheduler and Ready; GPU services on the GPU pool, nothing else there.
    const pods = await podsOf(namespace);
    const byService = new Map(pods.map((p) => [p.metadata!.labels!['app.kubernetes.io/name']!, p]));
    expect([...byService.keys()].sort()).toEqual(ON_BY_DEFAULT);
    expect(ON_BY_DEFAULT).toContain('launcher');
    expect(ON_BY_DEFAULT).not.toContain('gan-trainer'); // training runs as Jobs in a cluster
    for (const [service, pod] of byService) {
      expect(ready(pod), `${service} Ready`).toBe(true);
      expect(pod.spec!.nodeName, service).toMatch(GPU_SERVICES.has(service) ? /^gpu-node-/ : /^cpu-node-/);
      // The hardening as the API server stored it (and Pod Security admission accepted it).
      expect(pod.spec!.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.spec!.containers[0]!.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(pod.spec!.automountServiceAccountToken, service).toBe(service === 'launcher' ? undefined : false);
    }
    const { objects, apps } = kube();
    const policies = await objects.list('networking.k8s.io/v1', 'NetworkPolicy', namespace);
    expect(policies.items.map((p) => p.metadata!.name).sort()).toEqual(['dermagan-bus-and-store', 'dermagan-default-deny', 'dermagan-launcher-kubernetes-api']);
    expect((await objects.list('monitoring.coreos.com/v1', 'PrometheusRule', namespace)).items).toHaveLength(1);

    // A pod that breaks the hardening is refused by the API server in this namespace.
    const rogue = await kube().core.createNamespacedPod({ namespace, body: { metadata: { name: 'rogue' }, spec: { containers: [{ name: 'c', image: 'x' }] } } }).catch((e: { code: number; body: string }) => e);
    expect((rogue as { code: number }).code).toBe(403);

    // Upgrade: a changed value rolls every Deployment to a new ReplicaSet, Ready again.
    const before = new Set(pods.map((p) => p.metadata!.name));
    await helm(['upgrade', 'dermagan', CHART, '-n', namespace, '--wait', '--timeout', '3m', ...kubeconfig, ...sets([...CENTRAL, 'logLevel=debug'])]);
    const rolled = await eventually('the upgrade to replace every pod', async () => {
      const now = (await podsOf(namespace)).filter((p) => !p.metadata!.deletionTimestamp);
      return now.length === ON_BY_DEFAULT.length && now.every((p) => !before.has(p.metadata!.name) && ready(p)) ? now : undefined;
    });
    expect(rolled.every((p) => p.spec!.containers[0]!.env!.some((e) => e.name === 'DERMAGAN_LOG_LEVEL' && e.value === 'debug'))).toBe(true);
    expect((await apps.listNamespacedDeployment({ namespace })).items.every((d) => d.metadata!.annotations!['deployment.kubernetes.io/revision'] === '2')).toBe(true);

    // Uninstall: nothing of the release is left.
    await helm(['uninstall', 'dermagan', '-n', namespace, '--wait', '--timeout', '2m', ...kubeconfig]);
    const left = async () => {
      const kinds: Array<[string, string]> = [['apps/v1', 'Deployment'], ['v1', 'Service'], ['v1', 'ConfigMap'], ['v1', 'ServiceAccount'], ['networking.k8s.io/v1', 'NetworkPolicy'], ['rbac.authorization.k8s.io/v1', 'Role'], ['monitoring.coreos.com/v1', 'PrometheusRule'], ['v1', 'Pod']];
      const names: string[] = [];
      for (const [apiVersion, kind] of kinds) {
        for (const o of (await objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, 'app.kubernetes.io/part-of=dermagan')).items) names.push(`${kind}/${o.metadata!.name}`);
      }
      return names;
    };
    expect(await eventually('the release to be gone', async () => ((await left()).length === 0 ? [] : undefined))).toEqual([]);
  });

  it("installs a hospital's tenant site: only its agent, on the GPU pool, Ready, with its own NetworkPolicies", () =>
    withSite('hospital-a', SITE, async ({ pod, policies }) => {
      expect(ready(pod)).toBe(true);
      expect(pod.spec!.nodeName).toMatch(/^gpu-node-/);
      expect(policies).toEqual(['dermagan-bus-and-store', 'dermagan-default-deny']);
    }));

  it("installs a site whose rounds train as Jobs: its agent on the CPU pool, Ready, with its ServiceAccount's token and the API egress", () =>
    withSite('hospital-jobs', SITE_JOBS, async ({ namespace, pod, policies }) => {
      expect(ready(pod)).toBe(true);
      expect(pod.spec!.nodeName).toMatch(/^cpu-node-/);
      expect(pod.spec!.serviceAccountName).toBe('dermagan-tenant-hospital-a');
      expect(policies).toEqual(['dermagan-bus-and-store', 'dermagan-default-deny', 'dermagan-tenant-kubernetes-api']);
      // Its Role lets the agent make Jobs in its namespace, and nothing else.
      const can = async (verb: string, resource: string, group = '') => {
        const review = await kube().objects.create({
          apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
          spec: { user: `system:serviceaccount:${namespace}:dermagan-tenant-hospital-a`, resourceAttributes: { namespace, verb, resource, group } },
        } as KubernetesObject) as KubernetesObject & { status?: { allowed?: boolean } };
        return review.status?.allowed ?? false;
      };
      expect(await can('create', 'jobs', 'batch')).toBe(true);
      expect(await can('get', 'secrets')).toBe(false);
      expect(await can('create', 'pods')).toBe(false);
    }));
});
