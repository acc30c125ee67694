/**
 * Benchmark and reference check of the paper's feature networks in tfjs (libs/metrics/src/networks)
 * against their original executors in torch, same machine, same run:
 *
 *   node --import tsx scripts/bench/feature-nets.ts [--rounds 3] [--images 32] [--batch 16]
 *        [--fid-n 10000] [--fid-size 256] [--lpips-pairs 32] [--skip-verify] [--skip-fid]
 *
 * Needs the reference venv (torch, numpy, scipy: see COMMON.md) at $REF_PYTHON (default
 * /work/ref-venv/bin/python) and the models of `npm run setup`.
 * 1. verify: 200 + 200 demo images at 64²: pool3 features of both implementations (max abs diff),
 *    FID by dermagan (its features, float64) vs torch features + np.cov + scipy.linalg.sqrtm.
 * 2. inception: images/s at 256² → 299 (sg2ada), dermagan vs torch running the TorchScript file,
 *    interleaved round by round (the machine is shared: alternating spreads the noise over both).
 * 3. lpips: pairs/s at 256², dermagan vs the lpips algorithm in torch, interleaved.
 * 4. fid: `dermagan metrics` on two dataset folders of --fid-n images at --fid-size² (wall time,
 *    peak RSS of the process).
 * Prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createLpips, frechetDistanceOfFeatures, inception2015Extractor } from '@dermagan/metrics';
import { decodeNpy, writeNpy } from '@dermagan/npy';
import { dermaganCache, pypiDir } from '@dermagan/pretrained';
import { loadTf } from '@dermagan/tf';
import { demoImages, timeCliFid, writeFidDatasets } from './fid-datasets.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    images: { type: 'string', default: '32' },
    batch: { type: 'string', default: '16' },
    'fid-n': { type: 'string', default: '10000' },
    'fid-size': { type: 'string', default: '256' },
    'lpips-pairs': { type: 'string', default: '32' },
    'skip-verify': { type: 'boolean', default: false },
    'skip-fid': { type: 'boolean', default: false },
    threads: { type: 'string', default: '2' },
  },
});
const rounds = Number(args.rounds);
const perRound = Number(args.images);
const batch = Number(args.batch);
const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'dermagan-bench-featnets-'));
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

// The torch side: one long-lived process answering one JSON line per command.
const py = spawn(process.env.REF_PYTHON ?? '/work/ref-venv/bin/python', [join(ROOT, 'scripts/bench/feature_nets_torch.py'), pypiDir(dermaganCache()), args.threads!], {
  stdio: ['pipe', 'pipe', 'inherit'],
  env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'OPENBLAS_CORETYPE' && k !== 'OPENBLAS_L2_SIZE')),
});
const answers = createInterface({ input: py.stdout! })[Symbol.asyncIterator]();
async function torch(command?: string): Promise<Record<string, number | string | boolean>> {
  if (command) py.stdin!.write(`${command}\n`);
  const { value, done } = await answers.next();
  if (done) throw new Error('the torch process ended');
  const answer = JSON.parse(value as string);
  if (answer.error) throw new Error(answer.error);
  return answer;
}
const torchInfo = await torch();

const { tf, info } = await loadTf();
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);

async function saveImages(name: string, pixels: Uint8Array, n: number, size: number): Promise<string> {
  const path = join(dir, name);
  await writeNpy(path, { dtype: 'uint8', shape: [n, size, size, 3], data: pixels });
  return path;
}

const result: Record<string, unknown> = { backend: info, torch: torchInfo, machine: 'shared 2-core machine (other helpers running)' };
const extractor = await inception2015Extractor(tf, { batch });

// 1. Verify against the reference on 200 + 200 images.
if (!args['skip-verify']) {
  log('verify: features and FID of 200 + 200 demo images at 64²');
  const a = await demoImages(200, 64, 0);
  const b = await demoImages(200, 64, 100);
  const paths = [await saveImages('va.npy', a, 200, 64), await saveImages('vb.npy', b, 200, 64)];
  const ours = [await extractor.extract(a, 200, 64), await extractor.extract(b, 200, 64)];
  let maxDiff = 0;
  for (let s = 0; s < 2; s++) {
    await torch(`features ${paths[s]} ${join(dir, `tf${s}.npy`)}`);
    const ref = decodeNpy(await readFile(join(dir, `tf${s}.npy`))).data as Float32Array;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i]! - ours[s]![i]!));
  }
  const fidOurs = frechetDistanceOfFeatures({ data: ours[0]!, rows: 200, cols: 2048 }, { data: ours[1]!, rows: 200, cols: 2048 }).value;
  const fidTorch = Number((await torch(`fid ${join(dir, 'tf0.npy')} ${join(dir, 'tf1.npy')}`)).fid);
  result.verify = { images: '200 vs 200 demo images at 64² (sg2ada)', featuresMaxAbsDiff: maxDiff, fidDermagan: fidOurs, fidTorchScipy: fidTorch, fidRelativeDiff: Math.abs(fidOurs - fidTorch) / fidTorch };
  log(JSON.stringify(result.verify));
}

// 2. Inception images/s at 256² → 299, interleaved.
{
  const pixels = await demoImages(perRound, 256);
  const path = await saveImages('inc.npy', pixels, perRound, 256);
  await extractor.extract(pixels.subarray(0, batch * 256 * 256 * 3), batch, 256); // warm-up
  await torch(`inception ${path} ${batch}`);
  let ours = 0;
  let theirs = 0;
  for (let r = 0; r < rounds; r++) {
    const runOurs = async () => {
      const t0 = performance.now();
      await extractor.extract(pixels, perRound, 256);
      ours += (performance.now() - t0) / 1000;
    };
    const runTheirs = async () => (theirs += Number((await torch(`inception ${path} ${batch}`)).seconds));
    if (r % 2 === 0) {
      await runOurs();
      await runTheirs();
    } else {
      await runTheirs();
      await runOurs();
    }
    log(`inception round ${r + 1}/${rounds}: dermagan ${((perRound * (r + 1)) / ours).toFixed(2)} img/s, torch ${((perRound * (r + 1)) / theirs).toFixed(2)} img/s`);
  }
  const n = rounds * perRound;
  result.inception = { size: '256² → 299 (sg2ada)', batch, images: n, dermaganImgPerSec: n / ours, torchImgPerSec: n / theirs, ratio: theirs / ours, interleaved: true };
}

// 3. LPIPS pairs/s at 256², interleaved.
{
  const pairs = Number(args['lpips-pairs']);
  const pixels = await demoImages(2 * pairs, 256);
  const path = await saveImages('lp.npy', pixels, 2 * pairs, 256);
  const lpips = await createLpips(tf);
  const per = 256 * 256 * 3;
  const ours = async () => {
    const t0 = performance.now();
    await lpips.pairs(pixels.subarray(0, pairs * per), pixels.subarray(pairs * per), pairs, 256);
    return (performance.now() - t0) / 1000;
  };
  await ours(); // warm-up
  let a = 0;
  let b = 0;
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      a += await ours();
      b += Number((await torch(`lpips ${path} 8`)).seconds);
    } else {
      b += Number((await torch(`lpips ${path} 8`)).seconds);
      a += await ours();
    }
  }
  lpips.dispose();
  result.lpips = { size: '256²', pairs: rounds * pairs, dermaganPairsPerSec: (rounds * pairs) / a, torchPairsPerSec: (rounds * pairs) / b, ratio: b / a, interleaved: true };
  log(JSON.stringify(result.lpips));
}
extractor.dispose?.();
py.stdin!.end();

// 4. FID of two dataset folders, end to end through the CLI.
if (!args['skip-fid']) {
  const n = Number(args['fid-n']);
  const size = Number(args['fid-size']);
  log(`fid: writing two datasets of ${n} images at ${size}²`);
  await writeFidDatasets(dir, n, size);
  log(`fid: dermagan metrics --metrics fid on ${n} vs ${n}`);
  const r = timeCliFid(dir);
  result.fid = { n, size: `${size}²`, ...r, imagesPerSecond: (2 * n) / r.wallSeconds };
}

clearInterval(sampler);
result.benchPeakRssBytes = peakRss;
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
