/**
 * The launcher service: training requests become Kubernetes Jobs on the GPU pool (handlers.ts), and
 * what those Jobs do becomes events (watcher.ts). Runs in the cluster with its own ServiceAccount.
 *
 * Settings beyond BaseConfig:
 *   DERMAGAN_LAUNCHER_JOB_TEMPLATE   JSON of the Job template (libs/kube's JobTemplate; the chart renders it)
 *                                    or a path to a file holding it
 *   DERMAGAN_LAUNCHER_RESYNC_S       seconds between looks at every Job besides watch events (default 10)
 * The Kubernetes API: the pod's ServiceAccount in a cluster, else KUBECONFIG / ~/.kube/config.
 */
import { BaseConfig, loadConfig, startService } from '@dermagan/runtime';
import { z } from 'zod';
import { launcherSubscriptions } from './handlers.ts';
import { KubeJobs, readJobTemplate } from '@dermagan/kube';
import { MANAGED_BY } from './job-spec.ts';
import { launcherMetrics, type LauncherMetrics } from './metrics.ts';
import { JobWatcher } from './watcher.ts';

const LauncherConfig = BaseConfig.extend({
  jobTemplate: z.string().min(1, 'the Job template (JSON, or a file path) is required'),
  resyncS: z.number().positive().default(10),
});
const config = loadConfig(LauncherConfig, {
  defaults: { service: 'launcher' },
  bindings: { DERMAGAN_LAUNCHER_JOB_TEMPLATE: { key: 'jobTemplate' }, DERMAGAN_LAUNCHER_RESYNC_S: { key: 'resyncS', parse: Number } },
});
const template = readJobTemplate(config.jobTemplate, 'DERMAGAN_LAUNCHER_JOB_TEMPLATE');
const jobs = KubeJobs.fromEnvironment(template.namespace, MANAGED_BY);
let watcher: JobWatcher | undefined;
let metrics: LauncherMetrics;
await startService({
  config,
  subscriptions: ({ registry }) => {
    metrics = launcherMetrics(registry);
    for (const kind of ['first', 'successor']) metrics.jobsCreated.inc({ kind }, 0);
    return launcherSubscriptions({ jobs, template }, (run, { created }) => {
      if (!created) return;
      metrics.jobsCreated.inc({ kind: 'first' });
      // The run's series exist from its first Job on (0 failures, schedulable so far).
      metrics.jobFailures.inc({ run }, 0);
      metrics.unschedulable.set({ run }, 0);
    });
  },
  started: async ({ bus, store, logger }) => {
    watcher = new JobWatcher({ jobs, template, store, publish: (e) => bus.publish(e), logger, metrics, resyncMs: config.resyncS * 1000 });
    await watcher.start();
  },
  stopping: async () => watcher?.stop(),
});
