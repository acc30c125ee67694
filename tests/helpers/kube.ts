/**
 * Test-side access to the integration run's Kubernetes control plane (tests/servers/kubernetes.ts):
 * typed API clients, a namespace per test that enforces the `restricted` Pod Security Standard,
 * and polling until the control plane has decided something.
 */
import { randomBytes } from 'node:crypto';
import { request, type RequestOptions } from 'node:https';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { inject } from 'vitest';

export function kubeconfigPath(): string {
  const path = inject('serverEnv').KUBECONFIG;
  if (!path) throw new Error('no KUBECONFIG from the global setup: the control plane did not start');
  return path;
}

export function kube() {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return { kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), batch: kc.makeApiClient(BatchV1Api), objects: KubernetesObjectApi.makeApiClient(kc) };
}

/** A fresh namespace whose pods must meet the `restricted` Pod Security Standard (enforced by the API server). */
export async function restrictedNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kube().core.createNamespace({
    body: { metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } } },
  });
  return name;
}

/** Polls `probe` until it returns a value (not undefined), or throws after `timeoutMs` with `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Creates one manifest exactly as written (client-node's own create drops the fields its models do
 * not know) with strict field validation: the API server refuses unknown or duplicate fields. With
 * `dryRun` it runs admission and validation as for a real create and stores nothing. Resolves to
 * the refusal message, or null when the API server accepted it.
 */
export async function createRaw(manifest: KubernetesObject, { dryRun = false } = {}): Promise<string | null> {
  const { kc, objects } = kube();
  const path = await (objects as unknown as { specUriPath(spec: KubernetesObject, action: string): Promise<string> }).specUriPath(manifest, 'create');
  const url = new URL(`${kc.getCurrentCluster()!.server}${path}`);
  if (dryRun) url.searchParams.set('dryRun', 'All');
  url.searchParams.set('fieldValidation', 'Strict');
  const options: RequestOptions = { method: 'POST', headers: { 'content-type': 'application/json' } };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => {
        if ((res.statusCode ?? 0) < 300) return resolve(null);
        resolve(((JSON.parse(body) as { message?: string }).message ?? body).slice(0, 500));
      });
    });
    req.once('error', reject);
    req.end(JSON.stringify(manifest));
  });
}
