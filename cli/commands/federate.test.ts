/**
 * `dermagan federate` end to end on the embedded bus: an ingested dataset with 3 tenants, 2 rounds
 * of K = 2 at 16² with tiny channels; the `--json` object's `rounds` list, the files in --out, and
 * the user errors.
 */
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '@dermagan/ingest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { federate } from './federate.ts';

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const DEMO = fileURLToPath(new URL('../../data/demo/metadata.csv', import.meta.url));
let root: string;
const base = {
  rounds: 2, k: 2, strategy: 'fedavg' as const, dpDelta: 1e-5, roundTimeout: 300, cfg: 'test' as const, aug: 'noaug' as const,
  seed: 0, bus: 'memory' as const, store: 'local' as const,
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-federate-'));
  await ingest({ data: DEMO, out: join(root, 'tenants3'), size: 16, split: null, tenants: 3 });
  await ingest({ data: DEMO, out: join(root, 'central'), size: 16, split: null });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('dermagan federate', () => {
  it('runs the rounds with every tenant and reports each round, its FID, ε under DP, and the model files; Prometheus scrapes it meanwhile', async () => {
    const out = join(root, 'out');
    const port = await freePort();
    const running = federate({ ...base, data: join(root, 'tenants3'), out, id: 'cli-test', dpClip: 5, dpNoise: 0.5, fid: 32, metricsPort: port });
    // Scrape /metrics while the federation runs, until the first round's FD is in it.
    let scraped = '';
    let finished = false;
    void running.finally(() => (finished = true));
    while (!finished && !/dermagan_federation_round_fid\{federation="cli-test"\} \d/.test(scraped)) {
      scraped = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => scraped);
      await new Promise((r) => setTimeout(r, 100));
    }
    // By default only this machine can scrape it: another interface's address is refused.
    const other = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (other) await expect(fetch(`http://${other.address}:${port}/metrics`)).rejects.toThrow();
    const result = await running;
    expect(scraped).toMatch(/dermagan_federation_round_fid\{federation="cli-test"\} \d/);
    expect(scraped).toMatch(/dermagan_federation_participants\{federation="cli-test"\} 3/);
    expect(scraped).toMatch(/dermagan_federation_epsilon\{federation="cli-test"\} \d/);
    expect(result.status).toBe('completed');
    expect(result.tenants).toEqual(['tenant-0', 'tenant-1', 'tenant-2']);
    expect(result.rounds.map((r) => ({ round: r.round, participants: r.participants, dropped: r.dropped, rejected: r.rejected }))).toEqual([
      { round: 1, participants: ['tenant-0', 'tenant-1', 'tenant-2'], dropped: [], rejected: [] },
      { round: 2, participants: ['tenant-0', 'tenant-1', 'tenant-2'], dropped: [], rejected: [] },
    ]);
    for (const r of result.rounds) {
      expect(Object.keys(r.updateNorms).sort()).toEqual(['tenant-0', 'tenant-1', 'tenant-2']);
      expect(Object.values(r.updateNorms).every((n) => n > 0 && Number.isFinite(n))).toBe(true);
      expect(r.samples).toEqual({ 'tenant-0': 100, 'tenant-1': 100, 'tenant-2': 100 });
      expect(r.fid).toBeGreaterThan(0);
    }
    // ε grows with the rounds and the final one is the last round's.
    expect(result.rounds[0]!.epsilon!).toBeGreaterThan(0);
    expect(result.rounds[1]!.epsilon!).toBeGreaterThan(result.rounds[0]!.epsilon!);
    expect(result.epsilon).toBe(result.rounds[1]!.epsilon);
    await access(join(out, 'global.dgw'));
    await access(join(out, 'checkpoint'));
    const lines = (await readFile(join(out, 'rounds.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { round: number }).round)).toEqual([1, 2]);
  }, 600_000); // the first --fid extracts the 300 reals' Inception-2015 features

  it('--secagg with --strategy fedavgm: masked updates, no per-tenant norms, the sample counts from the manifest', async () => {
    const out = join(root, 'secagg');
    const result = await federate({ ...base, data: join(root, 'tenants3'), out, id: 'cli-secagg', secagg: true, strategy: 'fedavgm', serverLr: 1.5, serverMomentum: 0.5 });
    expect(result).toMatchObject({ status: 'completed', secagg: true, strategy: 'fedavgm', strategyOptions: { serverLr: 1.5, serverMomentum: 0.5 } });
    expect(result.rounds.map((r) => [r.round, r.accepted, r.aggregated, r.updateNorms, r.samples])).toEqual([1, 2].map((round) => [
      round, ['tenant-0', 'tenant-1', 'tenant-2'], true, {}, { 'tenant-0': 100, 'tenant-1': 100, 'tenant-2': 100 },
    ]));
    expect(result.rounds.every((r) => r.globalDeltaNorm! > 0)).toBe(true);
    // The honest rounds' masked mean stays within the bound the tenants' signed norms allow.
    expect(result.rounds.every((r) => r.secaggMeanNorm! > 0 && r.secaggMeanNorm! <= r.secaggBound!)).toBe(true);
  });

  it('refuses a dataset without tenants, what secure aggregation cannot do, and half a DP setting, as user errors', async () => {
    const out = join(root, 'bad');
    await expect(federate({ ...base, data: join(root, 'central'), out })).rejects.toThrow(/has no tenants; ingest it with 'dermagan ingest --tenants N'/);
    await expect(federate({ ...base, data: join(root, 'tenants3'), out, secagg: true, strategy: 'median' })).rejects.toThrow(/--secagg: strategy 'fedmedian' needs each tenant's update/);
    await expect(federate({ ...base, data: join(root, 'tenants3'), out, secagg: true, dpClip: 1, dpNoise: 1 })).rejects.toThrow(/--secagg: DP-FedAvg clips each update/);
    await expect(federate({ ...base, data: join(root, 'tenants3'), out, serverLr: 2 })).rejects.toThrow(/--server-lr and --server-momentum apply to --strategy fedavgm only/);
    await expect(federate({ ...base, data: join(root, 'tenants3'), out, dpClip: 1 })).rejects.toThrow(/--dp-clip and --dp-noise go together/);
    await expect(federate({ ...base, data: join(root, 'tenants3'), out, quorum: 4 })).rejects.toThrow(/--quorum 4 exceeds the dataset's 3 tenants/);
  });
});
