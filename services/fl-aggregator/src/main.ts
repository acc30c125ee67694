/**
 * The fl-aggregator service: `federation.requested` → rounds (`federation.round.started` → tenants'
 * `federation.update.submitted` → validate, aggregate on quorum or deadline →
 * `federation.round.completed`) → `federation.completed`. Its state is persisted in its bucket after
 * every transition; at start-up it resumes every unfinished federation.
 *
 * Settings beyond BaseConfig: DERMAGAN_FL_TENANT_KEYS — a JSON object { tenant: SPKI PEM } of
 * tenants allowed to join mid-run (the request's tenants bring their own keys).
 */
import { BaseConfig, loadConfig, startService } from '@dermagan/runtime';
import { initialGlobalModel } from '@dermagan/service-gan-trainer';
import { z } from 'zod';
import { aggregatorSubscriptions, FlAggregator } from './handlers.ts';
import { aggregatorMetrics } from './metrics.ts';

const AggregatorConfig = BaseConfig.extend({
  /** Public keys (SPKI PEM) by tenant id of tenants that may join a federation mid-run. */
  tenantKeys: z.record(z.string(), z.string().includes('PUBLIC KEY')).default({}),
});

const config = loadConfig(AggregatorConfig, {
  defaults: { service: 'fl-aggregator' },
  bindings: { DERMAGAN_FL_TENANT_KEYS: { key: 'tenantKeys', parse: (raw) => JSON.parse(raw) as unknown } },
});
let aggregator: FlAggregator | undefined;
const service = await startService({
  config,
  subscriptions: ({ store, registry, logger }) => {
    aggregator = new FlAggregator({
      store,
      bucket: config.bucket,
      logger,
      metrics: aggregatorMetrics(registry),
      tenantKeys: config.tenantKeys,
      initialModel: (training, policy) => initialGlobalModel(training, policy),
    });
    return aggregatorSubscriptions(aggregator);
  },
});
const resumed = await aggregator!.resumeAll((e) => service.ctx.bus.publish(e));
if (resumed.length > 0) service.ctx.logger.info({ federations: resumed }, 'resumed unfinished federations');
