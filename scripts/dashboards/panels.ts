/**
 * The few panel shapes dermagan's dashboards use, over @grafana/grafana-foundation-sdk's typed
 * builders: a time series of one or more PromQL queries, on the dashboard's Prometheus data source
 * variable. Every query carries a legend; units are Grafana's unit ids.
 */
import { LegendDisplayMode, LegendPlacement, VizLegendOptionsBuilder, type DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** The dashboard's `datasource` variable (a Prometheus picked at import). */
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  expr: string;
  legend: string;
}

export const q = (expr: string, legend: string): Query => ({ expr, legend });

/** A time-series panel, 12 columns wide and 8 high (two per row). */
export function timeseries(title: string, unit: string, ...queries: Query[]): PanelBuilder {
  const panel = new PanelBuilder()
    .title(title)
    .unit(unit)
    .datasource(PROMETHEUS)
    .height(8)
    .span(12)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom));
  queries.forEach((query, i) => panel.withTarget(new DataqueryBuilder().expr(query.expr).legendFormat(query.legend).refId(String.fromCharCode(65 + i))));
  return panel;
}
