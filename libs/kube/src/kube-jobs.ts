/**
 * dermagan's only door to Kubernetes (@kubernetes/client-node 1.4), for the Jobs one manager (the
 * launcher, a hospital's tenant agent) makes: create a Job (an existing one of the same name is
 * the same request, not an error), read a Job's pods, record what has been published in the Job's
 * own annotations (so a restarted manager neither repeats nor forgets an event), delete a run's
 * Jobs with their pods, and watch the manager's Jobs. Needs, in its namespace only: jobs (create,
 * get, list, watch, patch, delete), pods (list).
 */
import {
  ApiException, AuthorizationV1Api, BatchV1Api, CoreV1Api, KubeConfig, makeInformer, PatchStrategy, setHeaderOptions,
  type Informer, type ObjectCache, type V1Job, type V1Pod,
} from '@kubernetes/client-node';
import { ANNOTATIONS, LABELS } from './job-labels.ts';

/** Kubernetes API errors keep their HTTP status; 5xx and 429 are worth retrying. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  readonly retriable: boolean;
  constructor(what: string, readonly status: number, detail: string, options?: { cause?: unknown }) {
    super(`${what}: Kubernetes API answered ${status}: ${detail}`, options);
    this.retriable = status === 0 || status === 429 || status >= 500;
  }
}

function apiError(what: string, err: unknown): Error {
  if (err instanceof ApiException) {
    let detail = String(err.body);
    try {
      detail = (JSON.parse(String(err.body)) as { message?: string }).message ?? detail;
    } catch {}
    return new KubeApiError(what, err.code, detail, { cause: err });
  }
  // Connection refused, TLS, DNS: the API server may come back.
  return new KubeApiError(what, 0, (err as Error).message, { cause: err });
}

export class KubeJobs {
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly authz: AuthorizationV1Api;
  /** `app.kubernetes.io/managed-by=<manager>`: this manager's Jobs, and no one else's. */
  readonly selector: string;

  /** `managedBy`: the manager's name in its Jobs' managed-by label (see jobFromTemplate). */
  constructor(private readonly kc: KubeConfig, readonly namespace: string, readonly managedBy: string) {
    this.batch = kc.makeApiClient(BatchV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.authz = kc.makeApiClient(AuthorizationV1Api);
    this.selector = `${LABELS.managedBy}=${managedBy}`;
  }

  /** Loads the in-cluster ServiceAccount, or KUBECONFIG / ~/.kube/config outside a cluster. */
  static fromEnvironment(namespace: string, managedBy: string): KubeJobs {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return new KubeJobs(kc, namespace, managedBy);
  }

  /** Creates the Job, or returns the existing one of that name (`created: false`). */
  async createOnce(job: V1Job): Promise<{ job: V1Job; created: boolean }> {
    const name = job.metadata!.name!;
    try {
      return { job: await this.batch.createNamespacedJob({ namespace: this.namespace, body: job }), created: true };
    } catch (err) {
      if (err instanceof ApiException && err.code === 409) return { job: await this.get(name), created: false };
      throw apiError(`creating Job ${this.namespace}/${name}`, err);
    }
  }

  async get(name: string): Promise<V1Job> {
    try {
      return await this.batch.readNamespacedJob({ namespace: this.namespace, name });
    } catch (err) {
      throw apiError(`reading Job ${this.namespace}/${name}`, err);
    }
  }

  /** The Jobs of one run (every attempt), by label. */
  async listRun(runLabel: string): Promise<V1Job[]> {
    try {
      return (await this.batch.listNamespacedJob({ namespace: this.namespace, labelSelector: `${this.selector},${LABELS.run}=${runLabel}` })).items;
    } catch (err) {
      throw apiError(`listing the Jobs of run ${runLabel}`, err);
    }
  }

  async pods(jobName: string): Promise<V1Pod[]> {
    try {
      return (await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `batch.kubernetes.io/job-name=${jobName}` })).items;
    } catch (err) {
      throw apiError(`listing the pods of Job ${jobName}`, err);
    }
  }

  /** Adds `event` to the Job's published-events annotation (re-read first: one launcher writes it). */
  async markReported(name: string, event: string): Promise<void> {
    const reported = reportedOf(await this.get(name));
    if (reported.includes(event)) return;
    const body = { metadata: { annotations: { [ANNOTATIONS.reported]: [...reported, event].join(',') } } };
    try {
      await this.batch.patchNamespacedJob({ namespace: this.namespace, name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    } catch (err) {
      throw apiError(`annotating Job ${name}`, err);
    }
  }

  /** Deletes the Job and (foreground) its pods; false when it was already gone. */
  async delete(name: string): Promise<boolean> {
    try {
      await this.batch.deleteNamespacedJob({ namespace: this.namespace, name, propagationPolicy: 'Foreground' });
      return true;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return false;
      throw apiError(`deleting Job ${this.namespace}/${name}`, err);
    }
  }

  /** What this identity is denied of the rights a Job manager needs here (SelfSubjectAccessReview), e.g. `create jobs`. */
  async deniedRights(): Promise<string[]> {
    const needed: Array<[verb: string, resource: string, group: string]> = [
      ['create', 'jobs', 'batch'], ['get', 'jobs', 'batch'], ['delete', 'jobs', 'batch'], ['list', 'pods', ''],
    ];
    const denied: string[] = [];
    for (const [verb, resource, group] of needed) {
      try {
        const review = await this.authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { namespace: this.namespace, verb, resource, group } } } });
        if (!review.status?.allowed) denied.push(`${verb} ${resource}`);
      } catch (err) {
        throw apiError(`asking whether this identity may ${verb} ${resource}`, err);
      }
    }
    return denied;
  }

  /** A watch (list + watch, re-listed on errors by the caller) over this manager's Jobs. */
  informer(): Informer<V1Job> & ObjectCache<V1Job> {
    return makeInformer(
      this.kc,
      `/apis/batch/v1/namespaces/${this.namespace}/jobs`,
      () => this.batch.listNamespacedJob({ namespace: this.namespace, labelSelector: this.selector }),
      this.selector,
    );
  }
}

/** Events already published for a Job (`started`, `unschedulable`, `completed`, …). */
export function reportedOf(job: V1Job): string[] {
  return (job.metadata?.annotations?.[ANNOTATIONS.reported] ?? '').split(',').filter(Boolean);
}
