/**
 * Two hospitals join a federation over Apache Kafka and MinIO through the commands alone, as the
 * README's "Joining as a hospital" walks them: each makes its keys (`dermagan tenant init`),
 * ingests its own images into its own bucket (`dermagan ingest --upload`) with credentials that
 * reach that bucket only, starts its agent (services/gan-trainer tenant-main) and checks its site
 * (`dermagan tenant check`); the operator makes its key (`dermagan federation init`), registers the
 * hospitals (`federation tenants add`) and starts the aggregator (services/fl-aggregator) and the
 * federation (`federation start`). A request signed with another key is ignored by the aggregator
 * and both agents with the reason logged; the signed one runs its rounds, which the operator follows
 * (`federation start --follow`) and each hospital sees in `dermagan tenant status`. Every command and service is its own process.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FolderRef } from '@dermagan/contracts';
import { S3Store } from '@dermagan/store';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bucketScopedCredentials } from './servers/s3.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/dermagan.js');
const DEMO = join(ROOT, 'data/demo/metadata.csv');
const server = { ...inject('serverEnv'), ...process.env };
const brokers = server.DERMAGAN_KAFKA_BROKERS ?? '';
const endpoint = server.DERMAGAN_S3_ENDPOINT ?? '';
const admin = { accessKey: server.DERMAGAN_S3_ACCESS_KEY ?? '', secretKey: server.DERMAGAN_S3_SECRET_KEY ?? '' };
if (!brokers || !endpoint) throw new Error('DERMAGAN_KAFKA_BROKERS / DERMAGAN_S3_* are not set: run through the integration project (its global setup starts Kafka and MinIO)');

const RUN = `ob${Date.now().toString(36)}`;
const OPERATOR_BUCKET = `${RUN}-operator`;
const HOSPITALS = ['hospital-a', 'hospital-b'] as const;
type Hospital = (typeof HOSPITALS)[number];
const bucketOf = (h: Hospital) => `${RUN}-${h}`;
const FEDERATION = `${RUN}-fed`;

/** The environment without any S3 credentials: each process gets only its own. */
const bare = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DERMAGAN_'))) as NodeJS.ProcessEnv;
const operatorEnv = { ...bare, DERMAGAN_KAFKA_BROKERS: brokers, DERMAGAN_S3_ENDPOINT: endpoint, DERMAGAN_S3_ACCESS_KEY: admin.accessKey, DERMAGAN_S3_SECRET_KEY: admin.secretKey };
const siteEnv: Partial<Record<Hospital, NodeJS.ProcessEnv>> = {};

const run = promisify(execFile);
/** `dermagan …` as its own process; stdout on success, the exit code and stderr in the error otherwise. */
async function dermagan(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  try {
    return (await run(process.execPath, [BIN, ...args], { cwd: ROOT, env, maxBuffer: 16 << 20 })).stdout;
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`dermagan ${args.join(' ')} exited ${e.code}:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

/** A service as its own process; its pino lines kept for the assertions. */
interface Service {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
}
const services: Service[] = [];
function startService(entry: string, env: NodeJS.ProcessEnv): Service {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const service: Service = { child, logs: [] };
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      try {
        service.logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        service.logs.push({ msg: line });
      }
    }
  });
  services.push(service);
  return service;
}
async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
const logged = (s: Service, msg: string, match: Record<string, unknown> = {}) =>
  s.logs.find((l) => l.msg === msg && Object.entries(match).every(([k, v]) => l[k] === v));

let root: string;
const adminStore = new S3Store({ endpoint, ...admin });
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-onboarding-'));
  // What the platform team does before dermagan: a bucket per hospital and one for the operator,
  // and per hospital an S3 user that reaches its bucket and the federations' global models only.
  await adminStore.ensureBucket(OPERATOR_BUCKET);
  for (const h of HOSPITALS) {
    await adminStore.ensureBucket(bucketOf(h));
    const own = await bucketScopedCredentials({ endpoint, ...admin }, [bucketOf(h)], { alsoRead: [`${OPERATOR_BUCKET}/federations/*/global/*`] });
    siteEnv[h] = {
      ...bare, DERMAGAN_KAFKA_BROKERS: brokers, DERMAGAN_S3_ENDPOINT: endpoint,
      DERMAGAN_S3_ACCESS_KEY: own.accessKey, DERMAGAN_S3_SECRET_KEY: own.secretKey, DERMAGAN_S3_SESSION_TOKEN: own.sessionToken,
      DERMAGAN_TENANT: h, DERMAGAN_BUCKET: bucketOf(h),
    };
  }
}, 60_000);
afterAll(async () => {
  for (const s of services) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
});

describe('a federation set up through the commands alone (Kafka + MinIO)', () => {
  it('two hospitals join, a forged request is ignored, the signed one runs its rounds, each hospital sees them', { timeout: 600_000 }, async () => {
    // The operator's key.
    await dermagan(operatorEnv, 'federation', 'init', '--out', join(root, 'operator'));
    const operatorPub = join(root, 'operator/operator.pub');

    // Each hospital: keys, its own images (half of the demo subset each) in its own bucket.
    const [header, ...rows] = (await readFile(DEMO, 'utf8')).trim().split('\n');
    const datasets: Partial<Record<Hospital, FolderRef>> = {};
    const samples: Partial<Record<Hospital, number>> = {};
    for (const [i, h] of HOSPITALS.entries()) {
      const dir = join(root, h);
      await dermagan(siteEnv[h]!, 'tenant', 'init', '--id', h, '--out', join(dir, 'keys'));
      await mkdir(dir, { recursive: true });
      const csv = join(dir, 'metadata.csv');
      await writeFile(csv, `${header}\n${rows.filter((_, r) => r % 2 === i).join('\n')}\n`);
      const ingested = lastJson(await dermagan(siteEnv[h]!, 'ingest', '--data', csv, '--images', join(DEMO, '..'), '--out', join(dir, 'data'), '--size', '16', '--split', 'none', '--upload', bucketOf(h), '--json'));
      datasets[h] = FolderRef.parse(ingested.dataset);
      samples[h] = ingested.accepted as number;
      expect(datasets[h]).toMatchObject({ bucket: bucketOf(h), prefix: 'dataset/' });
      Object.assign(siteEnv[h]!, {
        DERMAGAN_TENANT_DATASET: JSON.stringify(datasets[h]),
        DERMAGAN_TENANT_SIGNING_KEY_FILE: join(dir, 'keys/signing-key.pem'),
        DERMAGAN_OPERATOR_KEY_FILE: operatorPub,
      });
    }

    // The operator registers them from the tenant.json each sent.
    const store = ['--store', 's3', '--operator-bucket', OPERATOR_BUCKET];
    for (const h of HOSPITALS) {
      await dermagan(operatorEnv, 'federation', 'tenants', 'add', '--from', join(root, h, 'keys/tenant.json'), '--bucket', bucketOf(h), '--samples', String(samples[h]), ...store);
    }
    const registered = JSON.parse(await dermagan(operatorEnv, 'federation', 'tenants', 'list', '--json', ...store)) as Array<{ tenant: string; samples: number }>;
    expect(registered.map((t) => [t.tenant, t.samples])).toEqual(HOSPITALS.map((h) => [h, samples[h]]));

    // The services: the aggregator on the operator's credentials, each agent on its hospital's.
    const common = { DERMAGAN_BUS: 'kafka', DERMAGAN_STORE: endpoint, DERMAGAN_HTTP_PORT: '0', DERMAGAN_LOG_LEVEL: 'info' };
    const aggregator = startService('services/fl-aggregator/src/main.ts', {
      ...operatorEnv, ...common, DERMAGAN_BUCKET: OPERATOR_BUCKET, DERMAGAN_WORK_DIR: join(root, 'aggregator-work'), DERMAGAN_FL_OPERATOR_KEY_FILE: operatorPub,
    });
    const agents = Object.fromEntries(HOSPITALS.map((h) => [h, startService('services/gan-trainer/src/tenant-main.ts', { ...siteEnv[h], ...common, DERMAGAN_WORK_DIR: join(root, h, 'work') })])) as Record<Hospital, Service>;
    for (const s of [aggregator, ...Object.values(agents)]) await until('the service to subscribe', () => logged(s, 'subscribed'), 120_000);

    // Each hospital checks its site before the first round.
    for (const [i, h] of HOSPITALS.entries()) {
      const check = JSON.parse(await dermagan(siteEnv[h]!, 'tenant', 'check', '--other-bucket', bucketOf(HOSPITALS[1 - i]!), '--json')) as { ok: boolean; checks: Array<{ name: string; ok: boolean; text: string }> };
      expect(check.checks.filter((c) => !c.ok)).toEqual([]);
      expect(check.checks.find((c) => c.name === 'dataset')!.text).toContain(`${samples[h]} training images`);
    }

    // A request signed with a key that is not the operator's: everyone ignores it, saying why.
    await dermagan(operatorEnv, 'federation', 'init', '--out', join(root, 'impostor'));
    const training = ['--res', '16', '--cfg', 'test', '--aug', 'noaug', '--seed', '0'];
    const forged = `${RUN}-forged`;
    await dermagan(operatorEnv, 'federation', 'start', '--id', forged, '--operator-key', join(root, 'impostor/operator.key'), '--rounds', '1', '--k', '2', ...training, ...store);
    for (const s of [aggregator, ...Object.values(agents)]) {
      const ignored = await until('the forged request to be ignored', () => logged(s, 'federation.requested ignored', { federation: forged }), 60_000);
      expect(String(ignored.reason)).toMatch(/signature/);
    }

    // The operator's own request, followed to its end: two rounds of both hospitals.
    const followed = await dermagan(operatorEnv, 'federation', 'start', '--id', FEDERATION, '--operator-key', join(root, 'operator/operator.key'), '--rounds', '2', '--k', '2', ...training, ...store, '--follow');
    expect(followed.trim().split('\n')).toEqual([
      `federation ${FEDERATION} requested (hospital-a, hospital-b; 2 rounds), signed by the operator key`,
      'round 1/2 aggregated: accepted hospital-a,hospital-b; dropped -; rejected -',
      'round 2/2 aggregated: accepted hospital-a,hospital-b; dropped -; rejected -',
      expect.stringMatching(new RegExp(`^federation ${FEDERATION} completed: global model ${OPERATOR_BUCKET}/federations/${FEDERATION}/global/round-2-attempt-0\\.dgw \\(sha256 [0-9a-f]{12}\\)$`)),
    ]);
    for (const h of HOSPITALS) {
      const status = await until(`${h} to see the federation's end in tenant status`, async () => {
        const { federations } = JSON.parse(await dermagan(siteEnv[h]!, 'tenant', 'status', '--json')) as { federations: Array<{ federation: string; lastRound: number; ended: unknown }> };
        const mine = federations.find((f) => f.federation === FEDERATION);
        return mine && mine.lastRound >= 2 && mine.ended ? federations : undefined;
      }, 300_000);
      // Only the signed federation reached the hospital; both its rounds took its update; it completed.
      expect(status).toEqual([
        { federation: FEDERATION, lastRound: 2, lastOutcome: 'accepted', rejections: [], ended: { outcome: 'completed', round: 2, reason: null, at: expect.any(String) } },
      ]);
      expect(await adminStore.list(bucketOf(h), `federations/${FEDERATION}/updates/`)).toEqual([1, 2].map((r) => `federations/${FEDERATION}/updates/${h}/round-${r}-attempt-0.dgw`));
      // The human view says the same.
      expect(await dermagan(siteEnv[h]!, 'tenant', 'status')).toMatch(new RegExp(`${FEDERATION}\\tlast round 2: accepted\\t0 rejection\\(s\\)\\tcompleted after 2 round\\(s\\)`));
    }
    expect(logged(aggregator, 'federation completed', { federation: FEDERATION })).toBeDefined();
    expect(await adminStore.list(OPERATOR_BUCKET, `federations/${forged}/`)).toEqual([]);

    // Leaving: on SIGTERM each agent tells the aggregator and exits cleanly.
    for (const s of Object.values(agents)) s.child.kill('SIGTERM');
    for (const s of Object.values(agents)) expect(await new Promise((r) => (s.child.exitCode !== null ? r(s.child.exitCode) : s.child.once('exit', r)))).toBe(0);
  });
});
