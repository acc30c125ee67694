/**
 * The gan-trainer in tenant mode (a hospital's site): `federation.round.started` → K local
 * iterations on this tenant's images → a signed `federation.update.submitted`. On SIGTERM it
 * leaves its federations (`federation.tenant.left`: rounds stop waiting for it); at start it
 * rejoins those whose request it kept in its bucket. Its settings: tenant-config.ts. With a round
 * Job template (DERMAGAN_TENANT_ROUND_JOB_TEMPLATE) each round is trained by a Kubernetes Job on
 * the site's GPU pool (round-jobs.ts) and this agent needs no GPU.
 */
import { KubeJobs, readJobTemplate } from '@dermagan/kube';
import { startService } from '@dermagan/runtime';
import { loadTf } from '@dermagan/tf';
import { ROUND_JOB_MANAGER } from './round-job-spec.ts';
import { RoundJobs } from './round-jobs.ts';
import { loadTenantConfig, ROUND_JOB_TEMPLATE_SETTING, tenantDepsFrom } from './tenant-config.ts';
import { TenantAgent, tenantSubscriptions } from './tenant.ts';

const config = loadTenantConfig('gan-trainer-tenant');
const template = config.roundJobTemplate ? readJobTemplate(config.roundJobTemplate, ROUND_JOB_TEMPLATE_SETTING) : null;
const backend = await loadTf(config.tfBackend);
let agent: TenantAgent | null = null;
await startService({
  config,
  subscriptions: ({ store, logger }) => {
    const roundRunner = template
      ? new RoundJobs({ jobs: KubeJobs.fromEnvironment(template.namespace, ROUND_JOB_MANAGER), template, tenant: config.tenant, bucket: config.bucket, store, logger })
      : undefined;
    agent = new TenantAgent({
      ...tenantDepsFrom(config, { store, logger, backend }),
      onRound: (r) => logger.info(r, 'round trained and submitted'),
      ...(roundRunner ? { roundRunner } : {}),
    });
    return tenantSubscriptions(agent);
  },
  started: async ({ bus, logger }) => {
    const federations = await agent!.rejoin((e) => bus.publish(e));
    if (federations.length > 0) logger.info({ federations }, 'rejoined');
  },
  stopping: async ({ bus, logger }) => {
    const federations = await agent!.leave('shutting down', (e) => bus.publish(e));
    if (federations.length > 0) logger.info({ federations }, 'left');
  },
});
