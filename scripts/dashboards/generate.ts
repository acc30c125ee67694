/**
 * Writes the Grafana dashboards built in code (scripts/dashboards/*.ts) into the chart, where the
 * grafana-dashboard ConfigMap ships them:
 *   npm run dashboards            write charts/dermagan/dashboards/<uid>.json
 *   npm run dashboards -- --check exit 1 when a file differs from what the code builds
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dermaganDashboard } from './dermagan.ts';

export const DASHBOARD_DIR = fileURLToPath(new URL('../../charts/dermagan/dashboards/', import.meta.url));

/** The dashboards and the JSON each one is written as. */
export function renderDashboards(): Array<{ file: string; json: string }> {
  return [dermaganDashboard()].map((d) => ({ file: join(DASHBOARD_DIR, `${d.uid}.json`), json: `${JSON.stringify(d, null, 2)}\n` }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const { file, json } of renderDashboards()) {
    const current = await readFile(file, 'utf8').catch(() => '');
    if (current === json) continue;
    if (check) {
      process.stderr.write(`${file} is out of date: run 'npm run dashboards'\n`);
      stale++;
    } else {
      await writeFile(file, json);
      process.stderr.write(`wrote ${file}\n`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}
