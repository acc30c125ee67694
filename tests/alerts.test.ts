/**
 * The chart's alert rules as Prometheus would load them: the PrometheusRule rendered by Helm with
 * the chart's default thresholds, checked by `promtool check rules` and run against the series
 * histories in tests/alerts/dermagan-rules.promtool.yaml by `promtool test rules` (Debian's
 * Prometheus, installed by scripts/provision-prometheus.sh). Every alert must appear in a test.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CHART, helm } from './helpers/chart.ts';

const run = promisify(execFile);
const CASES = new URL('./alerts/dermagan-rules.promtool.yaml', import.meta.url).pathname;

async function promtool(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd });
    return stdout + stderr;
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error("promtool is missing: run 'npm run setup:test' (scripts/provision-prometheus.sh installs Debian's prometheus)");
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('alert rules (charts/dermagan/templates/prometheusrule.yaml)', () => {
  it('load in Prometheus and pass their promtool cases, one or more per alert', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dermagan-rules-'));
    const rendered = parse(await helm(['template', 'dermagan', CHART, '--set', 'prometheus.rules=true', '-s', 'templates/prometheusrule.yaml'])) as { spec: { groups: Array<{ rules: Array<{ alert: string }> }> } };
    await writeFile(join(dir, 'rules.yaml'), stringify(rendered.spec));
    await copyFile(CASES, join(dir, 'cases.yaml'));
    expect(await promtool(['check', 'rules', 'rules.yaml'], dir)).toMatch(/SUCCESS: 7 rules found/);
    expect(await promtool(['test', 'rules', 'cases.yaml'], dir)).toMatch(/SUCCESS/);
    const alerts = rendered.spec.groups.flatMap((g) => g.rules.map((r) => r.alert));
    const tested = new Set([...(await readFile(CASES, 'utf8')).matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    expect(alerts.filter((a) => !tested.has(a)), 'alerts without a promtool case').toEqual([]);
  });
});
