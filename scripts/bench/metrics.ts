/**
 * Benchmark: dermagan's FID and precision/recall against numpy/scipy on the same machine, same run.
 *
 *   node --import tsx scripts/bench/metrics.ts [--n 50000] [--d 2048] [--pr-n 10000] [--pr-d 2048] [--skip-pr] [--skip-fid]
 *
 * 1. Writes two seeded synthetic feature sets (.npy float32; non-negative, correlated like
 *    Inception pool3 features: relu(z B + noise), z 64-d) to a temp folder.
 * 2. FID: dermagan streams each file from disk in 1000-row chunks into the moment accumulator
 *    (compute `tf`: float32 block products, float64 merges), then the pivoted-Cholesky / eigen trace
 *    term; the baseline is np.cov + scipy.linalg.sqrtm (scripts/bench/metrics_ref.py).
 * 3. Precision/recall (k = 3) on pr-n × pr-n, compute `tf`, vs a blocked float32 numpy reference.
 * Prints one JSON line: times, ratios (dermagan / numpy: < 1 is faster), values and peak memory.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { npyHeader, parseNpyHeader } from '@dermagan/npy';
import { loadTf } from '@dermagan/tf';
import { createCompute, frechetDistance, MomentAccumulator, precisionRecall, type FeatureStatistics } from '@dermagan/metrics';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '50000' },
    d: { type: 'string', default: '2048' },
    'pr-n': { type: 'string', default: '10000' },
    'pr-d': { type: 'string', default: '2048' },
    'skip-pr': { type: 'boolean', default: false },
    'skip-fid': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const n = Number(args.n);
const d = Number(args.d);
const prN = Number(args['pr-n']);
const prD = Number(args['pr-d']);

const { tf, info } = await loadTf();
const dir = mkdtempSync(join(tmpdir(), 'dermagan-bench-metrics-'));

/** Write an [rows, cols] float32 feature file, generated in chunks (never whole in memory). */
async function writeFeatures(path: string, rows: number, cols: number, seed: number, shift: number): Promise<void> {
  const fh = await open(path, 'w');
  await fh.write(npyHeader('float32', [rows, cols]));
  const basis = tf.randomNormal([64, cols], 0, 1 / 8, 'float32', 12345); // one basis: both sets share a feature space
  const chunk = 2000;
  for (let start = 0; start < rows; start += chunk) {
    const r = Math.min(chunk, rows - start);
    const x = tf.tidy(() => tf.relu(tf.add(tf.matMul(tf.randomNormal([r, 64], shift, 1, 'float32', seed + 1 + start), basis), tf.randomNormal([r, cols], 0.2, 0.3, 'float32', seed + 7 + start))));
    const data = x.dataSync() as Float32Array;
    x.dispose();
    await fh.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  basis.dispose();
  await fh.close();
}

/** Stream a float32 feature file into the accumulator in 1000-row reads. */
async function streamStatistics(path: string, compute: Awaited<ReturnType<typeof createCompute>>): Promise<FeatureStatistics> {
  const fh = await open(path, 'r');
  const head = Buffer.alloc(4096);
  await fh.read(head, 0, 4096, 0);
  const { shape, offset } = parseNpyHeader(head, path);
  const [rows, cols] = shape as [number, number];
  const acc = new MomentAccumulator(cols, { compute });
  const chunkRows = 1000;
  const buf = Buffer.alloc(chunkRows * cols * 4);
  for (let start = 0; start < rows; start += chunkRows) {
    const r = Math.min(chunkRows, rows - start);
    await fh.read(buf, 0, r * cols * 4, offset + start * cols * 4);
    acc.add({ data: new Float32Array(buf.buffer, buf.byteOffset, r * cols), rows: r, cols });
  }
  await fh.close();
  return acc.finish();
}

async function readAll(path: string) {
  const { readNpy } = await import('@dermagan/npy');
  const a = await readNpy(path);
  return { data: a.data as Float32Array, rows: a.shape[0]!, cols: a.shape[1]! };
}

function runRef(argv: string[]): Record<string, unknown> {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE; // a fair baseline: numpy's own best kernel (see the env README)
  delete env.OPENBLAS_L2_SIZE;
  const res = spawnSync('python3', [join(import.meta.dirname, 'metrics_ref.py'), ...argv], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) throw new Error(`metrics_ref.py failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop()!);
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const result: Record<string, unknown> = { bench: 'metrics', backend: info, machine: { cores: (await import('node:os')).cpus().length } };
const compute = await createCompute('tf');

try {
  if (!args['skip-fid']) {
    const real = join(dir, 'real.npy');
    const fake = join(dir, 'fake.npy');
    await writeFeatures(real, n, d, 1, 0);
    await writeFeatures(fake, n, d, 101, 0.05);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    peakRss = rssBefore;
    const t0 = performance.now();
    const s1 = await streamStatistics(real, compute);
    const s2 = await streamStatistics(fake, compute);
    const t1 = performance.now();
    const fd = frechetDistance(s1, s2);
    const t2 = performance.now();
    const ref = runRef(['fid', real, fake]);
    const ours = { seconds: (t2 - t0) / 1000, seconds_stats: (t1 - t0) / 1000, seconds_trace: (t2 - t1) / 1000, fid: fd.value };
    result.fid = {
      n,
      d,
      dermagan: ours,
      numpy: ref,
      ratio_time: ours.seconds / (ref.seconds as number),
      relative_difference: Math.abs(fd.value - (ref.fid as number)) / Math.abs(ref.fid as number),
      memory: {
        rss_before_mb: rssBefore / 2 ** 20,
        peak_rss_mb: peakRss / 2 ** 20,
        growth_mb: (peakRss - rssBefore) / 2 ** 20,
        input_bytes_mb: (2 * n * d * 4) / 2 ** 20,
        d2_float64_mb: (d * d * 8) / 2 ** 20,
      },
    };
    rmSync(real);
    rmSync(fake);
  }
  if (!args['skip-pr']) {
    const real = join(dir, 'pr-real.npy');
    const fake = join(dir, 'pr-fake.npy');
    await writeFeatures(real, prN, prD, 2, 0);
    await writeFeatures(fake, prN, prD, 202, 0.1);
    const x = await readAll(real);
    const y = await readAll(fake);
    const t0 = performance.now();
    const pr = precisionRecall(x, y, { k: 3, compute });
    const t1 = performance.now();
    const ref = runRef(['pr', real, fake, '3']);
    const ours = { seconds: (t1 - t0) / 1000, precision: pr.precision, recall: pr.recall };
    result.pr = { n: prN, d: prD, k: 3, dermagan: ours, numpy: ref, ratio_time: ours.seconds / (ref.seconds as number) };
  }
} finally {
  clearInterval(sampler);
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(result)}\n`);
await writeFile(join(tmpdir(), 'dermagan-bench-metrics.json'), JSON.stringify(result));
