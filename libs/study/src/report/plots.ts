/**
 * Plots rendered to SVG by Vega-Lite (headless, no browser): training curves over kimg.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { GanResult } from '../results.ts';

/** Render a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Long-form rows {model, kimg, series, value} for the named statistics. */
export function curveRows(gans: GanResult[], series: string[]): Array<{ model: string; kimg: number; series: string; value: number }> {
  const rows: Array<{ model: string; kimg: number; series: string; value: number }> = [];
  for (const gan of gans) {
    for (const tick of gan.history) {
      for (const name of series) {
        const value = tick[name];
        if (typeof value === 'number' && Number.isFinite(value)) rows.push({ model: gan.model, kimg: tick.kimg, series: name, value });
      }
    }
  }
  return rows;
}

/** One line chart per statistic, a line per model. Null when no model reported the statistic. */
export async function curvePlot(gans: GanResult[], series: string[], title: string, yTitle: string): Promise<string | null> {
  const values = curveRows(gans, series);
  if (values.length === 0) return null;
  const multi = series.length > 1;
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 360,
    height: 200,
    data: { values },
    mark: { type: 'line', point: values.length < 60 },
    encoding: {
      x: { field: 'kimg', type: 'quantitative', title: 'kimg (thousands of real images shown)' },
      y: { field: 'value', type: 'quantitative', title: yTitle },
      color: { field: 'model', type: 'nominal', title: 'model' },
      ...(multi ? { strokeDash: { field: 'series', type: 'nominal', title: 'series' } } : {}),
    },
  });
}
