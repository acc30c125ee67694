/**
 * The aggregator's Prometheus series. Every rejected update is counted by reason; the round,
 * participants, drop-outs, update norms and ε are gauges per federation.
 */
import { REJECTION_REASONS, type RunMetrics } from '@dermagan/federation';
import { Counter, Gauge, type Registry } from '@dermagan/runtime';

export function aggregatorMetrics(registry: Registry): RunMetrics {
  const registers = [registry];
  const metrics: RunMetrics = {
    round: new Gauge({ name: 'dermagan_federation_round', help: 'Round the federation is in (the last one once completed)', labelNames: ['federation'], registers }),
    participants: new Gauge({ name: 'dermagan_federation_participants', help: 'Tenants averaged into the last round', labelNames: ['federation'], registers }),
    accepted: new Counter({ name: 'dermagan_federation_updates_accepted_total', help: 'Updates averaged in', labelNames: ['federation'], registers }),
    dropped: new Counter({ name: 'dermagan_federation_dropped_total', help: 'Participants dropped from a round (deadline, drop-out)', labelNames: ['federation'], registers }),
    rejected: new Counter({ name: 'dermagan_federation_updates_rejected_total', help: 'Updates rejected, by reason (never averaged in)', labelNames: ['reason'], registers }),
    updateNorm: new Gauge({ name: 'dermagan_federation_update_norm', help: '‖update − global‖ of the tenant’s last validated update', labelNames: ['federation', 'tenant'], registers }),
    tenantLastRound: new Gauge({ name: 'dermagan_federation_tenant_last_round', help: 'Last round the tenant’s update was averaged into (alerts: a tenant missing rounds)', labelNames: ['federation', 'tenant'], registers }),
    globalDeltaNorm: new Gauge({ name: 'dermagan_federation_global_delta_norm', help: '‖new global − old global‖ of the last aggregation', labelNames: ['federation'], registers }),
    epsilon: new Gauge({ name: 'dermagan_federation_epsilon', help: 'Differential-privacy ε spent so far (DP on)', labelNames: ['federation'], registers }),
  };
  // Every rejection reason is a series from the start (0 until it happens).
  for (const reason of REJECTION_REASONS) metrics.rejected.inc({ reason }, 0);
  return metrics;
}
