/**
 * The Helm chart as Kubernetes would receive it: `helm lint` and `helm template` (Helm built from
 * source by scripts/provision-helm.sh), the rendered manifests parsed and checked — every service a
 * Deployment with probes and scrape annotations, GPU services on the GPU pool, each service on its
 * own S3 credentials, every pod hardened, the fl-aggregator with its tenant keys, a hospital's
 * tenant agent on its own credentials and signing key — and every entry point the image would run
 * exists in the repository. (tests/chart-install.test.ts installs it on a real control plane.)
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { dashboardQueries, dermaganDashboard } from '../scripts/dashboards/dermagan.ts';
import { renderDashboards } from '../scripts/dashboards/generate.ts';
import { CHART, chartServices, helm, REPO, servicesOff } from './helpers/chart.ts';
import { tenantKit } from '@dermagan/federation';
import { JobTemplate } from '@dermagan/kube';

interface Container {
  name: string;
  image: string;
  env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }>;
  livenessProbe?: { httpGet: { path: string } };
  readinessProbe?: { httpGet: { path: string } };
  resources: { limits: Record<string, unknown> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface Manifest {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    template: {
      metadata: { annotations?: Record<string, string> };
      spec: {
        containers: Container[];
        nodeSelector?: Record<string, string>;
        volumes?: Array<{ name: string; secret?: { secretName: string } }>;
        securityContext?: Record<string, unknown>;
        automountServiceAccountToken?: boolean;
        serviceAccountName?: string;
      };
    };
  };
  data?: Record<string, string>;
}

async function template(...set: string[]): Promise<Manifest[]> {
  const stdout = await helm(['template', 'dermagan', CHART, ...set.flatMap((s) => ['--set', s])]);
  return parseAllDocuments(stdout).map((d) => d.toJS() as Manifest).filter(Boolean);
}

/** The product's TypeScript sources (libs, services, cli), tests excluded. */
async function sourceFiles(repo: string): Promise<string[]> {
  const out: string[] = [];
  for (const top of ['libs', 'services', 'cli']) {
    for (const entry of await readdir(join(repo, top), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.parentPath.includes('node_modules')) out.push(join(entry.parentPath, entry.name));
    }
  }
  return out;
}

const env = (c: Container, name: string) => c.env.find((e) => e.name === name);
const deployments = (ms: Manifest[]) => ms.filter((m) => m.kind === 'Deployment');

/** The file the image's CMD runs for a container: services/$SERVICE/src/${DERMAGAN_ENTRY:-main}.ts. */
const entryPoint = (c: Container) => join(REPO, 'services', env(c, 'SERVICE')!.value!, 'src', `${env(c, 'DERMAGAN_ENTRY')?.value ?? 'main'}.ts`);

describe('Helm chart charts/dermagan', () => {
  it('lints clean', async () => {
    const stdout = await helm(['lint', CHART]);
    expect(stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders every central service as a Deployment with probes, scraping, its own S3 credentials, and GPUs where asked', async () => {
    const ms = await template('kafka.brokers=kafka:9092', 's3.endpoint=http://minio:9000', 'services.gan-trainer.enabled=true');
    const byName = new Map(deployments(ms).map((m) => [m.metadata.name, m]));
    // Every service of the repository is deployable (the portal has its own section: portal.enabled).
    const services = (await readdir(join(REPO, 'services'))).filter((s) => s !== 'portal').sort();
    expect(services).toContain('projector');
    expect([...byName.keys()].sort()).toEqual(services.map((n) => `dermagan-${n}`));
    for (const [name, m] of byName) {
      const pod = m.spec.template;
      const c = pod.spec.containers[0]!;
      expect(c.livenessProbe?.httpGet.path, name).toBe('/healthz');
      expect(c.readinessProbe?.httpGet.path, name).toBe('/readyz');
      expect(pod.metadata.annotations?.['prometheus.io/scrape'], name).toBe('true');
      expect(env(c, 'DERMAGAN_KAFKA_BROKERS')?.value).toBe('kafka:9092');
      expect(env(c, 'DERMAGAN_S3_SECRET_KEY')?.valueFrom?.secretKeyRef).toEqual({ name: name.replace(/^dermagan-/, 'dermagan-s3-'), key: 'secretKey' });
      expect(existsSync(entryPoint(c)), `${name} runs ${entryPoint(c)}`).toBe(true);
      const gpu = ['gan-trainer', 'generator', 'classifier', 'explainer', 'projector'].some((s) => name === `dermagan-${s}`);
      expect(c.resources.limits['nvidia.com/gpu'], name).toBe(gpu ? 1 : undefined);
      expect(pod.spec.nodeSelector, name).toEqual(gpu ? { 'dermagan.org/pool': 'gpu' } : undefined);
      expect(c.image, name).toBe(gpu ? 'dermagan:0.1.0-gpu' : 'dermagan:0.1.0');
    }
    expect(env(byName.get('dermagan-fl-aggregator')!.spec.template.spec.containers[0]!, 'DERMAGAN_FL_TENANT_KEYS')?.value).toBe('{}');
    // The Grafana dashboard ships as valid JSON with federation panels.
    const dashboard = ms.find((m) => m.kind === 'ConfigMap' && m.data && Object.keys(m.data).some((k) => k.endsWith('.json')))!;
    const json = JSON.parse(Object.values(dashboard.data!)[0]!) as { panels: Array<{ title: string }> };
    expect(json.panels.some((p) => /federat/i.test(p.title))).toBe(true);
  });

  it('hardens every pod: non-root, read-only root, no escalation, no capabilities, RuntimeDefault seccomp, CPU limits, API token only for the launcher', async () => {
    const off = servicesOff();
    const central = deployments(await template('services.gan-trainer.enabled=true'));
    const tenant = deployments(await template(...off, 'tenant.enabled=true', 'tenant.id=h', 'tenant.bucket=h', 'tenant.credentialsSecret=s', 'tenant.signingKeySecret=k', 'operatorPublicKey=op-key'));
    expect(central.length + tenant.length).toBe(chartServices().length + 1);
    for (const d of [...central, ...tenant]) {
      const pod = d.spec.template.spec;
      const c = pod.containers[0]!;
      expect(pod.securityContext, d.metadata.name).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(c.securityContext, d.metadata.name).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] } });
      expect(c.resources.limits.cpu, d.metadata.name).toBeDefined();
      expect(c.volumeMounts, d.metadata.name).toContainEqual({ name: 'scratch', mountPath: '/tmp' });
      const launcher = d.metadata.name === 'dermagan-launcher';
      expect(pod.automountServiceAccountToken, d.metadata.name).toBe(launcher ? undefined : false);
      expect(pod.serviceAccountName, d.metadata.name).toBe(launcher ? 'dermagan-launcher' : undefined);
    }
  });

  it("renders a hospital's site from the site-values.yaml `dermagan tenant init` writes: its agent and nothing central", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'site-values-'));
    const file = join(dir, 'site-values.yaml');
    await writeFile(file, tenantKit('hospital-a').files['site-values.yaml']);
    const filled = ['tenant.bucket=hospital-a', 'tenant.credentialsSecret=hospital-a-s3', 'kafka.brokers=k:9092', 's3.endpoint=https://s3', 'operatorPublicKey=op-key'];
    const ms = parseAllDocuments(await helm(['template', 'hospital-a', CHART, '-f', file, ...filled.flatMap((v) => ['--set', v])])).map((d) => d.toJS() as Manifest).filter(Boolean);
    expect(deployments(ms).map((d) => d.metadata.name)).toEqual(['dermagan-tenant-hospital-a']);
    expect(ms.filter((m) => m.kind === 'Role' || m.kind === 'ServiceAccount')).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });

  it("runs a site's rounds as Jobs when asked: the agent on the CPU pool with a Role on Jobs only, the round Jobs' template on the GPU pool with the site's own keys", async () => {
    const site = [...servicesOff(), 'tenant.enabled=true', 'tenant.id=h', 'tenant.bucket=h', 'tenant.credentialsSecret=s', 'tenant.signingKeySecret=k', 'operatorPublicKey=op-key', 'tenant.roundJobs.enabled=true'];
    const ms = await template(...site);
    const agent = deployments(ms)[0]!;
    const pod = agent.spec.template.spec;
    expect(pod.serviceAccountName).toBe('dermagan-tenant-h');
    expect(pod.nodeSelector).toBeUndefined();
    expect(pod.containers[0]!.resources.limits['nvidia.com/gpu']).toBeUndefined();
    expect(env(pod.containers[0]!, 'DERMAGAN_TENANT_ROUND_JOB_TEMPLATE')?.value).toBe('/etc/dermagan/round-job/job-template.json');
    const role = ms.find((m) => m.kind === 'Role') as unknown as { rules: Array<{ resources: string[]; verbs: string[] }> };
    expect(role.rules).toEqual([
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
    ]);
    const configMap = ms.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'dermagan-tenant-h-round-job-template')!;
    const jobTemplate = JobTemplate.parse(JSON.parse(configMap.data!['job-template.json']!));
    expect(jobTemplate.nodeSelector).toEqual({ 'dermagan.org/pool': 'gpu' });
    expect(jobTemplate.env).toContainEqual({ name: 'DERMAGAN_TENANT_SIGNING_KEY', valueFrom: { secretKeyRef: { name: 'k', key: 'ed25519.pem' } } });
    expect(jobTemplate.env).toContainEqual({ name: 'DERMAGAN_S3_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 's', key: 'accessKey' } } });
    const policies = ms.filter((m) => m.kind === 'NetworkPolicy').map((m) => m.metadata.name).sort();
    expect(policies).toEqual(['dermagan-bus-and-store', 'dermagan-default-deny', 'dermagan-tenant-kubernetes-api']);
  });

  it('ships NetworkPolicies for the central install and a hospital site: default deny, then DNS, Kafka, S3 out and scraping in; the API only for the launcher', async () => {
    const policies = async (...set: string[]) => (await template(...set)).filter((m) => m.kind === 'NetworkPolicy').map((m) => m as unknown as { metadata: { name: string }; spec: { podSelector: unknown; policyTypes: string[]; ingress?: unknown[]; egress?: Array<{ ports: Array<{ port: number }> }> } });
    const central = await policies();
    expect(central.map((p) => p.metadata.name).sort()).toEqual(['dermagan-bus-and-store', 'dermagan-default-deny', 'dermagan-launcher-kubernetes-api']);
    const deny = central.find((p) => p.metadata.name === 'dermagan-default-deny')!;
    expect(deny.spec).toEqual({ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'dermagan', 'app.kubernetes.io/instance': 'dermagan' } }, policyTypes: ['Ingress', 'Egress'] });
    const allowed = central.find((p) => p.metadata.name === 'dermagan-bus-and-store')!;
    expect(allowed.spec.egress!.map((e) => e.ports.map((p) => p.port))).toEqual([[53, 53], [9092, 9093], [443, 9000]]);
    const off = servicesOff();
    const site = await policies(...off, 'tenant.enabled=true', 'tenant.id=h', 'tenant.bucket=h', 'tenant.credentialsSecret=s', 'tenant.signingKeySecret=k', 'operatorPublicKey=op-key');
    expect(site.map((p) => p.metadata.name).sort()).toEqual(['dermagan-bus-and-store', 'dermagan-default-deny']);
  });

  it('ships the dashboards exactly as the code builds them (npm run dashboards)', async () => {
    for (const { file, json } of renderDashboards()) expect(await readFile(file, 'utf8'), `${file}: run 'npm run dashboards'`).toBe(json);
  });

  it('plots only series the code exports (no panel left empty by a renamed metric)', async () => {
    const code = (await Promise.all((await sourceFiles(REPO)).map((f) => readFile(f, 'utf8')))).join('\n');
    const plotted = new Set(dashboardQueries(dermaganDashboard()).flatMap((q) => q.expr.match(/dermagan_[a-z0-9_]+/g) ?? []));
    expect(plotted.size).toBeGreaterThan(15);
    for (const series of plotted) {
      const name = series.replace(/_bucket$/, '');
      // prom-client's default metrics carry the registry's prefix (libs/runtime metrics.ts).
      const exported = code.includes(`'${name}'`) || /^dermagan_(process|nodejs)_/.test(name);
      expect(exported, `${series} is plotted but no code exports it`).toBe(true);
    }
  });

  it("renders a hospital's site: only its tenant agent, on the hospital's credentials, bucket and signing key", async () => {
    const off = servicesOff();
    const ms = await template(...off, 'tenant.enabled=true', 'tenant.id=Hospital-A', 'tenant.bucket=hospital-a', 'tenant.credentialsSecret=hospital-a-s3', 'tenant.signingKeySecret=hospital-a-signing', 'operatorPublicKey=op-key');
    const ds = deployments(ms);
    expect(ds.map((d) => d.metadata.name)).toEqual(['dermagan-tenant-hospital-a']);
    const pod = ds[0]!.spec.template.spec;
    const c = pod.containers[0]!;
    expect(entryPoint(c)).toBe(join(REPO, 'services', 'gan-trainer', 'src', 'tenant-main.ts'));
    expect(existsSync(entryPoint(c))).toBe(true);
    expect(env(c, 'DERMAGAN_TENANT')?.value).toBe('Hospital-A');
    expect(env(c, 'DERMAGAN_BUCKET')?.value).toBe('hospital-a');
    expect(env(c, 'DERMAGAN_S3_ACCESS_KEY')?.valueFrom?.secretKeyRef).toEqual({ name: 'hospital-a-s3', key: 'accessKey' });
    expect(env(c, 'DERMAGAN_TENANT_SIGNING_KEY_FILE')?.value).toBe('/secrets/signing/ed25519.pem');
    expect(env(c, 'DERMAGAN_OPERATOR_KEY')?.value).toBe('op-key');
    expect(c.volumeMounts).toEqual([{ name: 'signing-key', mountPath: '/secrets/signing', readOnly: true }, { name: 'scratch', mountPath: '/tmp' }]);
    expect(pod.volumes?.[0]?.secret?.secretName).toBe('hospital-a-signing');
    expect(c.resources.limits['nvidia.com/gpu']).toBe(1);
  });

  it('refuses a tenant site without its id, bucket or secrets, naming the value', async () => {
    const err = (await template('tenant.enabled=true').catch((e: unknown) => e)) as { stderr?: string };
    expect(err.stderr).toMatch(/tenant\.id is required/);
    const noSecret = (await template('tenant.enabled=true', 'tenant.id=h', 'tenant.bucket=h', 'operatorPublicKey=op-key').catch((e: unknown) => e)) as { stderr?: string };
    expect(noSecret.stderr).toMatch(/tenant\.credentialsSecret is required/);
    const noOperator = (await template('tenant.enabled=true', 'tenant.id=h', 'tenant.bucket=h', 'tenant.credentialsSecret=s', 'tenant.signingKeySecret=k').catch((e: unknown) => e)) as { stderr?: string };
    expect(noOperator.stderr).toMatch(/operatorPublicKey is required/);
  });

  it("passes the operator's public key to the fl-aggregator as one PEM value (its newlines kept)", async () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n';
    const stdout = await helm(['template', 'dermagan', CHART, '--set-string', `operatorPublicKey=${pem}`]);
    const aggregator = deployments(parseAllDocuments(stdout).map((d) => d.toJS() as Manifest).filter(Boolean)).find((d) => d.metadata.name === 'dermagan-fl-aggregator')!;
    expect(env(aggregator.spec.template.spec.containers[0]!, 'DERMAGAN_FL_OPERATOR_KEY')?.value).toBe(pem);
  });

  it('renders the portal behind an Ingress, its database URL from a Secret, its schema migrated by a hook Job before it starts', async () => {
    const ms = await template('portal.enabled=true', 'portal.database.urlSecret=portal-db', 'portal.ingress.enabled=true', 'portal.ingress.host=portal.example.org', 'portal.ingress.tlsSecret=portal-tls');
    const portal = deployments(ms).find((d) => d.metadata.name === 'dermagan-portal')!;
    const c = portal.spec.template.spec.containers[0]!;
    expect(existsSync(entryPoint(c))).toBe(true);
    expect(env(c, 'DERMAGAN_PORTAL_DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'portal-db', key: 'url' });
    expect(env(c, 'DERMAGAN_PORTAL_MIGRATE')?.value).toBe('false');
    expect(env(c, 'DERMAGAN_PORTAL_SECURE_COOKIES')?.value).toBe('true');
    expect(c.readinessProbe?.httpGet.path).toBe('/readyz');
    const job = ms.find((m) => m.kind === 'Job' && m.metadata.name === 'dermagan-portal-migrate')!;
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const migrate = job.spec.template.spec.containers[0]!;
    expect(entryPoint(migrate)).toBe(join(REPO, 'services', 'portal', 'src', 'migrate.ts'));
    expect(existsSync(entryPoint(migrate))).toBe(true);
    expect(env(migrate, 'DERMAGAN_PORTAL_DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'portal-db', key: 'url' });
    const ingress = ms.find((m) => m.kind === 'Ingress') as unknown as { spec: { tls: Array<{ secretName: string }>; rules: Array<{ host: string; http: { paths: Array<{ backend: { service: { name: string } } }> } }> } };
    expect(ingress.spec.rules[0]!.host).toBe('portal.example.org');
    expect(ingress.spec.rules[0]!.http.paths[0]!.backend.service.name).toBe('dermagan-portal');
    expect(ingress.spec.tls[0]!.secretName).toBe('portal-tls');
    const plain = await template('portal.enabled=true', 'portal.database.url=postgres://u:p@db:5432/portal');
    expect(plain.some((m) => m.kind === 'Ingress')).toBe(false);
  });

  it('refuses a portal without its database, naming the value', async () => {
    const err = (await template('portal.enabled=true').catch((e: unknown) => e)) as { stderr?: string };
    expect(err.stderr).toMatch(/portal\.database\.url or portal\.database\.urlSecret is required/);
  });
});
