/**
 * The chart tests' tools, built by setup:test and cached: Helm (scripts/provision-helm.sh),
 * kubeconform and the strict Kubernetes schemas (scripts/provision-kubeconform.sh).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);
export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CHART = join(REPO, 'charts', 'dermagan');
const CACHE = process.env.DERMAGAN_CACHE ?? join(homedir(), '.cache', 'dermagan');
export const HELM = join(CACHE, 'bin', 'helm');
export const KUBECONFORM = join(CACHE, 'bin', 'kubeconform');

function need(file: string, script: string): string {
  if (!existsSync(file)) throw new Error(`${file} is missing: run 'npm run setup:test' (scripts/${script} provides it)`);
  return file;
}

/** Runs Helm; a failure throws with Helm's own message. */
export async function helm(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    return (await run(need(HELM, 'provision-helm.sh'), args, { maxBuffer: 32 << 20, env })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw Object.assign(new Error(`helm ${args.slice(0, 2).join(' ')} failed: ${e.stderr ?? e.message}`), { stderr: e.stderr });
  }
}

/** The folder of strict schemas for the newest Kubernetes minor provisioned. */
export function schemaFolder(): string {
  const root = need(join(CACHE, 'kube-schemas'), 'provision-kubeconform.sh');
  const versions = readdirSync(root).filter((d) => /^v\d+\.\d+-strict$/.test(d)).sort();
  if (versions.length === 0) throw new Error(`${root} holds no schemas: run 'npm run setup:test'`);
  return join(root, versions.at(-1)!);
}

/** The central services the chart's values.yaml lists (services.<name>), with their defaults. */
export function chartServiceDefaults(): Record<string, { enabled: boolean; gpu: boolean }> {
  return (parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as { services: Record<string, { enabled: boolean; gpu: boolean }> }).services;
}

export function chartServices(): string[] {
  return Object.keys(chartServiceDefaults());
}

/** `--set` values that turn every central service off (a hospital site installs only its agent). */
export function servicesOff(): string[] {
  return ['centralServices=false'];
}

/**
 * A Job template JSON exactly as the chart renders it: the launcher's (ConfigMap
 * dermagan-launcher-job-template) by default, or a hospital site's round Jobs' (templates/tenant.yaml).
 */
export async function chartJobTemplateJson(namespace: string, sets: string[] = [], file = 'templates/launcher.yaml'): Promise<string> {
  const rendered = await helm(['template', 'dermagan', CHART, '-n', namespace, '-s', file, ...sets.flatMap((s) => ['--set', s])]);
  const configMap = rendered.split('\n---\n').map((d) => parse(d) as { kind?: string; data?: Record<string, string> }).find((d) => d?.kind === 'ConfigMap');
  if (!configMap?.data?.['job-template.json']) throw new Error(`the chart rendered no Job template in ${file}`);
  return configMap.data['job-template.json'];
}
