/**
 * dermagan's Grafana dashboard as code: what an operator watches, one row per concern — training
 * (progress, speed, losses, ADA p, snapshot FID), training Jobs (created, failed, unschedulable), evaluation
 * scores and classifier AUC, the event bus (handled, dead letters, handler time), federations
 * (rounds, participants, tenants' last round, update norms, rejections, drop-outs, ε), and the
 * processes. Generated into charts/dermagan/dashboards/dermagan.json by `npm run dashboards`;
 * tests/dashboards-prometheus.test.ts asks every query of a Prometheus that scraped the services.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DashboardBuilder, DatasourceVariableBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { q, timeseries } from './panels.ts';

export function dermaganDashboard(): Dashboard {
  return new DashboardBuilder('dermagan')
    .uid('dermagan')
    .tags(['dermagan'])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'))

    .withRow(new RowBuilder('Training'))
    .withPanel(timeseries('Training progress (kimg)', 'none', q('dermagan_training_kimg', '{{run}}'), q('dermagan_training_kimg_target', '{{run}} target')))
    .withPanel(timeseries('Training speed (kimg/s)', 'none', q('dermagan_training_kimg_per_second', '{{run}}')))
    .withPanel(timeseries('Losses', 'none', q('dermagan_training_loss_g', '{{run}} G'), q('dermagan_training_loss_d', '{{run}} D')))
    .withPanel(timeseries('ADA augmentation probability p', 'percentunit', q('dermagan_training_ada_p', '{{run}}')))
    .withPanel(timeseries('Snapshot FID (Inception-2015)', 'none', q('dermagan_training_fid', '{{run}} {{metric}}')))

    .withRow(new RowBuilder('Training Jobs (launcher)'))
    .withPanel(timeseries('Training Jobs created', 'none', q('sum by (kind) (dermagan_training_jobs_created_total)', '{{kind}}')))
    .withPanel(timeseries('Training Jobs failed, runs unschedulable', 'none', q('sum by (run) (dermagan_training_job_failures_total)', '{{run}} failed Jobs'), q('dermagan_training_unschedulable', '{{run}} unschedulable')))

    .withRow(new RowBuilder('Evaluation'))
    .withPanel(timeseries('Evaluation scores (FID/FD, KID, precision, recall, …)', 'none', q('dermagan_evaluation_score', '{{name}} {{metric}}')))
    .withPanel(timeseries('Classifier validation AUC', 'percentunit', q('dermagan_classifier_validation_auc', '{{name}}')))

    .withRow(new RowBuilder('Events'))
    .withPanel(timeseries('Events handled / s', 'ops', q('sum by (service, type) (rate(dermagan_events_handled_total[5m]))', '{{service}} {{type}}')))
    .withPanel(timeseries('Events dead-lettered (total)', 'none', q('sum by (service, type) (dermagan_events_dead_lettered_total)', '{{service}} {{type}}')))
    .withPanel(timeseries('Handler time p95', 's', q('histogram_quantile(0.95, sum by (le, type) (rate(dermagan_event_handler_duration_seconds_bucket[15m])))', '{{type}}')))
    .withPanel(timeseries('Generated images / s', 'ops', q('sum by (service) (rate(dermagan_generated_images_total[5m]))', '{{service}}')))

    .withRow(new RowBuilder('Federation'))
    .withPanel(timeseries('Federation round and tenants’ last round', 'none', q('dermagan_federation_round', '{{federation}}'), q('dermagan_federation_tenant_last_round', '{{federation}} {{tenant}}')))
    .withPanel(timeseries('Federation participants', 'none', q('dermagan_federation_participants', '{{federation}}')))
    .withPanel(timeseries('Federation update norms ‖update − global‖ by tenant', 'none', q('dermagan_federation_update_norm', '{{federation}} {{tenant}}')))
    .withPanel(timeseries('Federation drop-outs and global step', 'none', q('increase(dermagan_federation_dropped_total[15m])', '{{federation}} dropped'), q('dermagan_federation_global_delta_norm', '{{federation}} ‖new − old global‖')))
    .withPanel(timeseries('Federation updates accepted and rejected by reason', 'none', q('sum by (federation) (dermagan_federation_updates_accepted_total)', '{{federation}} accepted'), q('sum by (reason) (dermagan_federation_updates_rejected_total)', 'rejected: {{reason}}')))
    .withPanel(timeseries('Federation privacy spent (ε)', 'none', q('dermagan_federation_epsilon', '{{federation}}')))

    .withRow(new RowBuilder('Processes'))
    .withPanel(timeseries('Resident memory', 'bytes', q('dermagan_process_resident_memory_bytes', '{{service}}')))
    .withPanel(timeseries('CPU', 'percentunit', q('rate(dermagan_process_cpu_seconds_total[5m])', '{{service}}')))
    .build();
}

/** Every query of a dashboard, with its panel's title (tests ask each of Prometheus). */
export function dashboardQueries(dashboard: Dashboard): Array<{ panel: string; expr: string }> {
  return (dashboard.panels ?? []).flatMap((p) => {
    const panel = p as { title?: string; targets?: Array<{ expr?: string }> };
    return (panel.targets ?? []).filter((t) => t.expr).map((t) => ({ panel: panel.title ?? '', expr: t.expr! }));
  });
}
