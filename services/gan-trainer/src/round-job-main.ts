/**
 * Entry point of a hospital's round Job container (SERVICE=gan-trainer DERMAGAN_ENTRY=round-job-main):
 * trains the round in DERMAGAN_TENANT_ROUND (round-job-worker.ts) with the site's settings
 * (tenant-config.ts), serving /metrics meanwhile, and exits as job-process.ts says: 0 when its
 * result is in the bucket, 2 when the round cannot be trained here (the Job's podFailurePolicy
 * fails the Job without retries), 75 when SIGTERM interrupted it (a replacement pod trains the
 * round again from the previous round's local state), 1 otherwise (counted against backoffLimit).
 */
import { loadTf } from '@dermagan/tf';
import { runJobProcess } from './job-process.ts';
import { ROUND_JOB } from './round-job-spec.ts';
import { runRoundJob } from './round-job-worker.ts';
import { loadTenantConfig, tenantDepsFrom } from './tenant-config.ts';
import { TenantAgent } from './tenant.ts';

const config = loadTenantConfig('gan-trainer-round');
const backend = await loadTf(config.tfBackend);
await runJobProcess(
  config,
  {
    done: (o) => (o.status === 'submitted' ? 'round trained; its signed update is in the bucket' : 'round not trained'),
    invalid: 'round cannot be trained here: not retried',
    interrupted: 'round interrupted',
    failed: 'round training failed',
  },
  async ({ store, logger }, signal) => {
    const agent = new TenantAgent(tenantDepsFrom(config, { store, logger, backend }));
    try {
      return await runRoundJob(process.env[ROUND_JOB.roundEnv], agent, signal);
    } finally {
      await agent.dispose();
    }
  },
);
