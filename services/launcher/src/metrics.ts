/**
 * The launcher's Prometheus series: Jobs created (first attempts and successors), Jobs failed per
 * run (alert: a Job failing repeatedly), runs that cannot be scheduled, runs given up.
 */
import { Counter, Gauge, type Registry } from '@dermagan/runtime';

export interface LauncherMetrics {
  jobsCreated: Counter<'kind'>;
  jobFailures: Counter<'run'>;
  unschedulable: Gauge<'run'>;
  runsFailed: Counter<'reason'>;
}

export function launcherMetrics(registry: Registry): LauncherMetrics {
  const registers = [registry];
  return {
    jobsCreated: new Counter({ name: 'dermagan_training_jobs_created_total', help: 'Training Jobs created (kind: first, successor)', labelNames: ['kind'], registers }),
    jobFailures: new Counter({ name: 'dermagan_training_job_failures_total', help: 'Training Jobs that failed (pod failures beyond backoffLimit, or an invalid request)', labelNames: ['run'], registers }),
    unschedulable: new Gauge({ name: 'dermagan_training_unschedulable', help: '1 while the run’s Job cannot be scheduled (e.g. more GPUs than any node has)', labelNames: ['run'], registers }),
    runsFailed: new Counter({ name: 'dermagan_training_runs_failed_total', help: 'Runs given up, by reason', labelNames: ['reason'], registers }),
  };
}
