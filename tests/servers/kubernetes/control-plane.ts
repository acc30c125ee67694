/**
 * A real Kubernetes control plane on loopback ports for the integration tests: etcd,
 * kube-apiserver (RBAC, TLS, service-account tokens), kube-controller-manager (Deployments, Jobs,
 * garbage collection, namespaces…) and kube-scheduler, built by scripts/provision-control-plane.sh,
 * plus kwok standing in for the kubelets of fake nodes (its pod lifecycle: kwok-stages.yaml).
 * No container runs: tests check what the control plane decides (objects, scheduling, Job
 * conditions), and run workloads themselves elsewhere.
 */
import { request } from 'node:https';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { makeClusterPki, type ClusterPki } from './certificates.ts';
import { freePort } from '../kafka.ts';
import { ServerProcess } from '../process.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CACHE = process.env.DERMAGAN_CACHE ?? join(homedir(), '.cache', 'dermagan');
const BIN = join(CACHE, 'bin');
const COMMANDS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;

/** The service CIDR (10.0.0.1 is the `kubernetes` Service, in the serving certificate). */
const SERVICE_CIDR = '10.0.0.0/24';

export interface ControlPlane {
  /** `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** An admin kubeconfig (client certificate in system:masters). */
  readonly kubeconfig: string;
  readonly pki: ClusterPki;
  /** The folder holding logs, certificates and etcd's data. */
  readonly dir: string;
  stop(): Promise<void>;
}

/** Builds the binaries when the cache lacks them (the script is a no-op when they are there). */
export async function provisionControlPlane(): Promise<void> {
  if (COMMANDS.every((c) => existsSync(join(BIN, c)))) return;
  try {
    await promisify(execFile)('bash', [join(REPO, 'scripts', 'provision-control-plane.sh')], { maxBuffer: 16 << 20 });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`Kubernetes: scripts/provision-control-plane.sh failed, so the control plane could not be built:\n${stdout}${stderr}`);
  }
}

/** GET over TLS with the admin certificate; true on a 2xx. */
function answers(url: string, pki: ClusterPki, trustServer = true): Promise<boolean> {
  return new Promise((resolveOk) => {
    const req = request(url, {
      ca: readFileSync(pki.caCert),
      cert: readFileSync(pki.adminCert),
      key: readFileSync(pki.adminKey),
      rejectUnauthorized: trustServer,
      timeout: 2000,
      // No keep-alive pool: an idle socket to the control plane would hold the test run open at its end.
      agent: false,
    }, (res) => {
      res.resume();
      resolveOk((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
    });
    req.once('error', () => resolveOk(false));
    req.once('timeout', () => req.destroy());
    req.end();
  });
}

async function httpAnswers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

export async function startControlPlane(): Promise<ControlPlane> {
  await provisionControlPlane();
  const dir = await mkdtemp(join(tmpdir(), 'dermagan-k8s-'));
  const started: ServerProcess[] = [];
  const stop = async () => {
    // Clients first, store last: each waits for the one before it to be gone.
    for (const p of started.reverse()) await p.stop();
    started.length = 0;
  };
  try {
    const pki = await makeClusterPki(dir);
    const [etcdPort, peerPort, apiPort, cmPort, schedPort, kwokPort] = await Promise.all(Array.from({ length: 6 }, freePort));
    const server = `https://127.0.0.1:${apiPort}`;

    // etcd: one member, no fsync (a test cluster's data is thrown away).
    await mkdir(join(dir, 'etcd'));
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    started.push(await ServerProcess.start({
      name: 'etcd',
      command: join(BIN, 'etcd'),
      args: [
        '--name=test', `--data-dir=${join(dir, 'etcd')}`, '--unsafe-no-fsync', '--log-level=warn',
        `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=test=http://127.0.0.1:${peerPort}`, '--listen-metrics-urls=',
      ],
      log: join(dir, 'etcd.log'),
      ready: () => httpAnswers(`${etcdUrl}/health`),
    }));

    // kube-apiserver: TLS, client certificates, RBAC, service-account tokens. New nodes are not
    // tainted not-ready (no node-lifecycle controller here: nodes.ts sets their status).
    started.push(await ServerProcess.start({
      name: 'kube-apiserver',
      command: join(BIN, 'kube-apiserver'),
      args: [
        `--etcd-servers=${etcdUrl}`, '--bind-address=127.0.0.1', `--secure-port=${apiPort}`,
        `--tls-cert-file=${pki.serverCert}`, `--tls-private-key-file=${pki.serverKey}`, `--client-ca-file=${pki.caCert}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.serviceAccountPub}`, `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`, '--authorization-mode=RBAC',
        '--disable-admission-plugins=TaintNodesByCondition', '--enable-priority-and-fairness=false', '--profiling=false',
        '--endpoint-reconciler-type=none', '--v=1',
      ],
      log: join(dir, 'kube-apiserver.log'),
      ready: () => answers(`${server}/readyz`, pki),
      readyTimeoutMs: 90_000,
    }));

    const kubeconfig = join(dir, 'admin.kubeconfig');
    await writeFile(kubeconfig, [
      'apiVersion: v1', 'kind: Config',
      `clusters: [{ name: test, cluster: { server: "${server}", certificate-authority: "${pki.caCert}" } }]`,
      `users: [{ name: admin, user: { client-certificate: "${pki.adminCert}", client-key: "${pki.adminKey}" } }]`,
      'contexts: [{ name: test, context: { cluster: test, user: admin } }]',
      'current-context: test', '',
    ].join('\n'));

    // The controllers, the scheduler and kwok only need the API server: start them together.
    const results = await Promise.allSettled([
      ServerProcess.start({
        name: 'kube-controller-manager',
        command: join(BIN, 'kube-controller-manager'),
        args: [
          `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
          '--leader-elect=false', '--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle',
          `--cluster-signing-cert-file=${pki.caCert}`, `--cluster-signing-key-file=${pki.caKey}`,
          `--root-ca-file=${pki.caCert}`, `--service-account-private-key-file=${pki.serviceAccountKey}`,
          `--service-cluster-ip-range=${SERVICE_CIDR}`, '--bind-address=127.0.0.1', `--secure-port=${cmPort}`, '--profiling=false', '--v=1',
        ],
        log: join(dir, 'kube-controller-manager.log'),
        ready: () => answers(`https://127.0.0.1:${cmPort}/healthz`, pki, false),
      }),
      ServerProcess.start({
        name: 'kube-scheduler',
        command: join(BIN, 'kube-scheduler'),
        args: [
          `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
          '--leader-elect=false', '--bind-address=127.0.0.1', `--secure-port=${schedPort}`, '--profiling=false', '--v=1',
        ],
        log: join(dir, 'kube-scheduler.log'),
        ready: () => answers(`https://127.0.0.1:${schedPort}/healthz`, pki, false),
      }),
      ServerProcess.start({
        name: 'kwok',
        command: join(BIN, 'kwok'),
        args: [
          `--kubeconfig=${kubeconfig}`, '--manage-all-nodes=false', '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
          `--config=${join(dirname(fileURLToPath(import.meta.url)), 'kwok-stages.yaml')}`,
          `--server-address=127.0.0.1:${kwokPort}`, '--cidr=10.244.0.0/16', '--node-ip=10.1.0.1',
        ],
        log: join(dir, 'kwok.log'),
        ready: () => httpAnswers(`http://127.0.0.1:${kwokPort}/healthz`),
      }),
    ].map((p) => p.then((s) => started.push(s))));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;

    return {
      server,
      kubeconfig,
      pki,
      dir,
      async stop() {
        await stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
