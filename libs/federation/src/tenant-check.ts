/**
 * A hospital's self-check before its first round: each prerequisite proved from the site's own
 * configuration, one line each, with what to fix when it fails. The probes (S3, Kafka, the
 * dataset, the compute backend) are handed in by the wiring, so this module only decides what a
 * result means and how to say it.
 */

/** One prerequisite's outcome. */
export interface CheckLine {
  name: 's3-own-bucket' | 's3-other-buckets' | 'broker' | 'dataset' | 'compute' | 'round-jobs';
  ok: boolean;
  /** What was found (ok) or what is wrong and how to fix it (not ok). */
  text: string;
}

/** What the checks call; each throws (or returns) what it found. */
export interface TenantProbes {
  tenant: string;
  bucket: string;
  /** Write, read back and delete a small object in the site's own bucket. */
  ownBucket: () => Promise<void>;
  /** Another tenant's bucket: resolves when it could be listed (it must not be), rejects when refused. */
  otherBucket: (bucket: string) => Promise<void>;
  otherBuckets: readonly string[];
  /** The broker's topic names (rejects when no broker answers). */
  topics: () => Promise<string[]>;
  /** Topics the tenant agent reads and writes. */
  neededTopics: readonly string[];
  /** The configured dataset's images of this tenant (null: no dataset configured). */
  datasetImages: () => Promise<{ images: number; where: string } | null>;
  /** The backend and the seconds of one training step (null when the step could not be run). */
  compute: () => Promise<{ backend: string; gpu: boolean; stepSeconds: number | null; note?: string }>;
  /**
   * Where rounds train as Kubernetes Jobs: the namespace, and what this identity may not do there
   * of what the agent needs (empty: all allowed). Absent: rounds train in the agent's process.
   */
  roundJobs?: () => Promise<{ namespace: string; denied: string[] }>;
}

const reason = (err: unknown) => (err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err));

/** Run every check; a failing one does not stop the others. */
export async function checkTenant(p: TenantProbes): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  try {
    await p.ownBucket();
    lines.push({ name: 's3-own-bucket', ok: true, text: `S3: your credentials write and read bucket ${p.bucket}` });
  } catch (err) {
    lines.push({ name: 's3-own-bucket', ok: false, text: `S3: your credentials cannot use bucket ${p.bucket} (${reason(err)}); fix DERMAGAN_S3_ACCESS_KEY / DERMAGAN_S3_SECRET_KEY (the chart's tenant.credentialsSecret) or the user's policy on ${p.bucket}` });
  }
  if (p.otherBuckets.length === 0) {
    lines.push({ name: 's3-other-buckets', ok: true, text: "S3: isolation not checked (name another tenant's bucket with --other-bucket to prove yours cannot read it)" });
  } else {
    const readable: string[] = [];
    for (const b of p.otherBuckets) {
      const listed = await p.otherBucket(b).then(() => true, () => false);
      if (listed) readable.push(b);
    }
    lines.push(
      readable.length === 0
        ? { name: 's3-other-buckets', ok: true, text: `S3: refused on other tenants' buckets (${p.otherBuckets.join(', ')}), as it must be` }
        : { name: 's3-other-buckets', ok: false, text: `S3: your credentials can read another tenant's bucket (${readable.join(', ')}); restrict your S3 user's policy to ${p.bucket} only` },
    );
  }
  try {
    const topics = new Set(await p.topics());
    const missing = p.neededTopics.filter((t) => !topics.has(t));
    lines.push(
      missing.length === 0
        ? { name: 'broker', ok: true, text: `broker: reachable; the federation topics exist (${p.neededTopics.length})` }
        : { name: 'broker', ok: false, text: `broker: reachable, but topics missing: ${missing.join(', ')}; ask the operator to create them (or allow topic auto-creation)` },
    );
  } catch (err) {
    lines.push({ name: 'broker', ok: false, text: `broker: unreachable (${reason(err)}); fix DERMAGAN_KAFKA_BROKERS (the chart's kafka.brokers) or the network path to it` });
  }
  let datasetOk = false;
  try {
    const found = await p.datasetImages();
    if (!found) lines.push({ name: 'dataset', ok: false, text: 'dataset: none configured; ingest your images into your bucket (dermagan ingest) and set DERMAGAN_TENANT_DATASET (the chart\'s tenant.dataset)' });
    else if (found.images === 0) lines.push({ name: 'dataset', ok: false, text: `dataset: ${found.where} holds no training image of tenant ${p.tenant}; ingest with this tenant id` });
    else {
      datasetOk = true;
      lines.push({ name: 'dataset', ok: true, text: `dataset: ${found.where}: ${found.images} training images of tenant ${p.tenant}` });
    }
  } catch (err) {
    lines.push({ name: 'dataset', ok: false, text: `dataset: cannot be read (${reason(err)}); check DERMAGAN_TENANT_DATASET points at a dataset in ${p.bucket}` });
  }
  try {
    const c = await p.compute();
    const speed = c.stepSeconds === null ? (c.note ?? 'one training step not timed') : `one training step in ${c.stepSeconds.toFixed(2)} s`;
    lines.push({ name: 'compute', ok: true, text: `compute: ${c.backend} (${c.gpu ? 'GPU' : 'CPU'}); ${speed}${datasetOk ? '' : ' (no dataset to train on)'}` });
  } catch (err) {
    lines.push({ name: 'compute', ok: false, text: `compute: the training backend does not run (${reason(err)}); see the README's "Native TensorFlow"` });
  }
  if (p.roundJobs) {
    try {
      const { namespace, denied } = await p.roundJobs();
      lines.push(
        denied.length === 0
          ? { name: 'round-jobs', ok: true, text: `round Jobs: this identity may create and follow Jobs in namespace ${namespace} (each round trains as a Job on your GPU pool)` }
          : { name: 'round-jobs', ok: false, text: `round Jobs: this identity may not ${denied.join(', ')} in namespace ${namespace}; install the chart with tenant.roundJobs.enabled (its Role), and run the check as the agent's ServiceAccount` },
      );
    } catch (err) {
      lines.push({ name: 'round-jobs', ok: false, text: `round Jobs: cannot be checked (${reason(err)}); check DERMAGAN_TENANT_ROUND_JOB_TEMPLATE and KUBECONFIG, or run the check in the agent's pod` });
    }
  }
  return lines;
}
