/**
 * Benchmark: the fl-aggregator's own I/O path on a ~30M-parameter StyleGAN2-shaped model — three
 * tenant updates in an object store (LocalStore), each validated as the service does (streamed
 * `inspectUpdate` against the global model, through `storeSource`), then FedAvg'd with the new
 * global model streamed back into the store (`storeSink`). Goal (issue 8): peak RSS of the
 * aggregating process below 2× one model's bytes.
 *
 *   node --import tsx scripts/bench/federation-store.ts [--params 30000000] [--updates 3] [--dir DIR]
 *
 * The objects are written by a child process and aggregated by another, so the peak RSS
 * (process.resourceUsage().maxRSS) is the aggregation's alone. Prints one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStrategy, inspectUpdate, parameterCount, storeSink, storeSource } from '../../libs/federation/src/index.ts';
import { LocalStore } from '../../libs/store/src/index.ts';
import { arg, syntheticSchema, writeSyntheticWeights } from './federation-common.ts';

const SELF = fileURLToPath(import.meta.url);

/** Child: put one weight object (uniform ±0.01 around `offset`) into the store. */
async function generate(dir: string, key: string, params: number, seed: number, offset: number): Promise<void> {
  const tmp = join(dir, `${key}.tmp`);
  await writeSyntheticWeights(tmp, params, seed, offset, { plMean: 1 });
  const store = new LocalStore({ root: join(dir, 'store') });
  await store.ensureBucket('bench');
  const ref = await store.put('bench', key, createReadStream(tmp));
  rmSync(tmp);
  process.stdout.write(`${JSON.stringify(ref)}\n`);
}

/** Child: validate every update and aggregate, as the service does; report memory and time. */
async function aggregate(dir: string, refsJson: string): Promise<void> {
  const baselineRss = process.memoryUsage().rss;
  const store = new LocalStore({ root: join(dir, 'store') });
  const [global, ...updates] = JSON.parse(refsJson) as Parameters<typeof storeSource>[1][];
  const started = process.hrtime.bigint();
  const norms: number[] = [];
  for (const u of updates) norms.push((await inspectUpdate(storeSource(store, global!), storeSource(store, u))).deltaNorm);
  const validated = Number(process.hrtime.bigint() - started) / 1e9;
  let sink: ReturnType<typeof storeSink> | null = null;
  const outcome = await createStrategy('fedavg').aggregate(
    1,
    updates.map((u, j) => ({ tenant: `t${j}`, samples: [2000, 12000, 20000][j % 3]!, source: storeSource(store, u), deltaNorm: norms[j]! })),
    [],
    { global: storeSource(store, global!), createOutput: (h) => (sink = storeSink(store, 'bench', 'global-1.dgw', h)) },
  );
  const ref = await (sink as unknown as ReturnType<typeof storeSink>).ref();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (outcome.status !== 'aggregated' || ref.sha256 !== outcome.global.sha256) throw new Error('aggregation did not produce the stored model');
  process.stdout.write(`${JSON.stringify({ baselineRss, peakRss: process.resourceUsage().maxRSS * 1024, seconds, validateSeconds: validated, norms })}\n`);
}

async function main(): Promise<void> {
  const role = arg('role', 'driver');
  if (role === 'generate') return generate(arg('dir', ''), arg('key', ''), Number(arg('params', '')), Number(arg('seed', '0')), Number(arg('offset', '0')));
  if (role === 'aggregate') return aggregate(arg('dir', ''), arg('refs', ''));
  const params = Number(arg('params', '30000000'));
  const updates = Number(arg('updates', '3'));
  const dir = arg('dir', '') || mkdtempSync(join(tmpdir(), 'dermagan-bench-fl-store-'));
  const child = (args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', SELF, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').at(-1)!;
  try {
    const refs = [child(['--role', 'generate', '--dir', dir, '--key', 'global.dgw', '--params', String(params), '--seed', '0', '--offset', '0'])];
    for (let j = 0; j < updates; j++) refs.push(child(['--role', 'generate', '--dir', dir, '--key', `update-${j}.dgw`, '--params', String(params), '--seed', String(j + 1), '--offset', String(0.001 * (j + 1))]));
    const r = JSON.parse(child(['--role', 'aggregate', '--dir', dir, '--refs', `[${refs.join(',')}]`])) as { baselineRss: number; peakRss: number; seconds: number; validateSeconds: number };
    const actual = parameterCount(syntheticSchema(params));
    const modelBytes = actual * 4;
    process.stdout.write(
      `${JSON.stringify({ bench: 'federation-store', store: 'local', params: actual, updates, modelBytes, peakRss: r.peakRss, baselineRss: r.baselineRss, peakOverModel: r.peakRss / modelBytes, peakAboveBaselineOverModel: (r.peakRss - r.baselineRss) / modelBytes, seconds: r.seconds, validateSeconds: r.validateSeconds, goal: 'peakRss < 2 × modelBytes' })}\n`,
    );
  } finally {
    if (!arg('dir', '')) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
