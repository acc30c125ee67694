/**
 * The fl-aggregator service: `federation.requested` → rounds (`federation.round.started` → tenants'
 * `federation.update.submitted` → validate, aggregate on quorum or deadline →
 * `federation.round.completed`) → `federation.completed`. Its state is persisted in its bucket after
 * every transition; at start-up it resumes every unfinished federation.
 *
 * Settings beyond BaseConfig: DERMAGAN_FL_OPERATOR_KEY (or DERMAGAN_FL_OPERATOR_KEY_FILE) — the
 * federation operator's Ed25519 public key (SPKI PEM): a `federation.requested` it did not sign is
 * ignored, with the reason logged; DERMAGAN_FL_TENANT_KEYS — a JSON object { tenant: SPKI PEM } of
 * tenants allowed to join mid-run (the request's tenants bring their own keys).
 */
import { BaseConfig, envWithFiles, loadConfig, startService, type ServiceContext } from '@dermagan/runtime';
import { FlAggregator } from '@dermagan/federation';
import { initialGlobalModel } from '@dermagan/gan';
import { loadTf } from '@dermagan/tf';
import { z } from 'zod';
import { aggregatorSubscriptions } from './handlers.ts';
import { aggregatorMetrics } from './metrics.ts';

const AggregatorConfig = BaseConfig.extend({
  /** The federation operator's Ed25519 public key (SPKI PEM). */
  operatorKey: z.string().includes('PUBLIC KEY', { message: 'must be the operator’s SPKI PEM public key' }),
  /** Public keys (SPKI PEM) by tenant id of tenants that may join a federation mid-run. */
  tenantKeys: z.record(z.string(), z.string().includes('PUBLIC KEY')).default({}),
});

const config = loadConfig(AggregatorConfig, {
  env: envWithFiles(['DERMAGAN_FL_OPERATOR_KEY']),
  defaults: { service: 'fl-aggregator' },
  bindings: {
    DERMAGAN_FL_OPERATOR_KEY: { key: 'operatorKey' }, DERMAGAN_FL_TENANT_KEYS: { key: 'tenantKeys', parse: (raw) => JSON.parse(raw) as unknown } },
});
// The engine makes the initial global model; its backend is chosen here from the config.
const backend = await loadTf(config.tfBackend);
let aggregator: FlAggregator | undefined;
/** One aggregator per process, built from the service context on first use. */
const aggregatorOf = ({ store, registry, logger }: ServiceContext): FlAggregator =>
  (aggregator ??= new FlAggregator({
    store,
    bucket: config.bucket,
    logger,
    metrics: aggregatorMetrics(registry),
    operatorKey: config.operatorKey,
    tenantKeys: config.tenantKeys,
    initialModel: async (training, policy) => initialGlobalModel(backend.tf, training, policy),
  }));
const service = await startService({
  config,
  // GET /federations/:id — the persisted round state of a federation this process runs.
  routes: (app, ctx) =>
    app.get('/federations/:id', async (req, res) => {
      const state = await aggregatorOf(ctx).state(req.params.id);
      if (state) res.json(state);
      else res.status(404).json({ error: `federation ${req.params.id} is not run by this aggregator` });
    }),
  subscriptions: (ctx) => aggregatorSubscriptions(aggregatorOf(ctx)),
});
const resumed = await aggregatorOf(service.ctx).resumeAll((e) => service.ctx.bus.publish(e));
if (resumed.length > 0) service.ctx.logger.info({ federations: resumed }, 'resumed unfinished federations');
