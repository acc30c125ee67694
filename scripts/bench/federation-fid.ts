/**
 * Benchmark: federated vs central StyleGAN2-ADA at the same total iterations (issue 8's goal: the
 * federated GAN's FID within 20 % of the central one). Runs the CLI end to end:
 *   ingest (--tenants T) → federate (R rounds × K iterations × T tenants)
 *                        → train on the union for R·K·T steps (kimg = R·K·T·batch / 1000)
 *                        → and on the union for R·K steps (what each tenant trained: equal wall time
 *                          on parallel hospitals)
 *   → generate N images from each G_ema → metrics (pixels-rp64 Fréchet distance, KID).
 *
 *   node --import tsx scripts/bench/federation-fid.ts [--data data/demo/metadata.csv] [--res 32] [--cfg quick]
 *     [--batch 16] [--tenants 3] [--rounds 10] [--k 20] [--n 300] [--strategy fedavg] [--server-lr η]
 *     [--server-momentum β] [--seed 0] [--dir DIR] [--central DIR]
 *
 * `--central DIR` reuses the central runs of an earlier invocation with the same settings (their
 * checkpoints under DIR), so strategies are compared against one central baseline.
 * Prints one JSON line (the scores, the ratios, wall times, the settings).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg } from './federation-common.ts';

const CLI = fileURLToPath(new URL('../../bin/dermagan.js', import.meta.url));

/** Run a CLI command with --json; its last stdout line, parsed. */
function dermagan(args: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, [CLI, ...args, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

const data = arg('data', fileURLToPath(new URL('../../data/demo/metadata.csv', import.meta.url)));
const res = Number(arg('res', '32'));
const cfg = arg('cfg', 'quick');
const batch = Number(arg('batch', '16'));
const tenants = Number(arg('tenants', '3'));
const rounds = Number(arg('rounds', '10'));
const k = Number(arg('k', '20'));
const n = Number(arg('n', '300'));
const strategy = arg('strategy', 'fedavg');
const serverLr = arg('server-lr', '');
const serverMomentum = arg('server-momentum', '');
const seed = arg('seed', '0');
const dir = arg('dir', '') || mkdtempSync(join(tmpdir(), 'dermagan-bench-fl-fid-'));
const centralDir = arg('central', '') || dir;

const dataset = join(centralDir, 'dataset');
if (!existsSync(join(dataset, 'manifest.json'))) {
  dermagan(['ingest', '--data', data, '--out', dataset, '--size', String(res), '--split', 'none', '--tenants', String(tenants)]);
}
const common = ['--data', dataset, '--res', String(res), '--cfg', cfg, '--batch', String(batch), '--seed', seed];

const strategyFlags = [
  '--strategy', strategy,
  ...(serverLr ? ['--server-lr', serverLr] : []),
  ...(serverMomentum ? ['--server-momentum', serverMomentum] : []),
];
let t = Date.now();
dermagan(['federate', ...common, ...strategyFlags, '--rounds', String(rounds), '--k', String(k), '--out', join(dir, 'federated')]);
const federatedSeconds = (Date.now() - t) / 1000;

/** Train on the union for `steps` iterations, unless an earlier invocation did. */
function central(name: string, steps: number): string {
  const out = join(centralDir, name);
  if (!existsSync(join(out, 'checkpoint'))) dermagan(['train', ...common, '--kimg', String((steps * batch) / 1000), '--out', out]);
  return out;
}
const totalSteps = rounds * k * tenants;
const perTenantSteps = rounds * k;
t = Date.now();
const centralTotal = central(`central-${totalSteps}`, totalSteps);
const centralSeconds = (Date.now() - t) / 1000;
const centralPerTenant = central(`central-${perTenantSteps}`, perTenantSteps);

const score = (run: string) => {
  const generated = `${run}-generated`;
  if (!existsSync(generated)) dermagan(['generate', '--ckpt', join(run, 'checkpoint'), '--n', String(n), '--out', generated]);
  const m = dermagan(['metrics', '--real', dataset, '--fake', generated, '--extractor', 'pixels-rp64', '--metrics', 'fid,kid', '--kid-subset-size', String(Math.min(100, n))]);
  return { fd: m.fd_pixels_rp64 as number, kid: m.kid as number, kidStd: m.kid_std as number };
};
const federated = score(join(dir, 'federated'));
const centralAtTotal = score(centralTotal);
const centralAtPerTenant = score(centralPerTenant);
process.stdout.write(
  `${JSON.stringify({
    bench: 'federation-fid', featureSpace: 'pixels-rp64', federated,
    central: { [`${totalSteps} steps (R·K·T)`]: centralAtTotal, [`${perTenantSteps} steps (R·K)`]: centralAtPerTenant },
    fdRatio: federated.fd / centralAtTotal.fd, fdRatioPerTenantSteps: federated.fd / centralAtPerTenant.fd, goal: 'fdRatio ≤ 1.2',
    federatedSeconds, centralSeconds,
    settings: { data, res, cfg, batch, tenants, rounds, k, n, strategy, serverLr: serverLr || null, serverMomentum: serverMomentum || null, seed }, dir,
  })}\n`,
);
