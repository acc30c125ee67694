/**
 * Ingest throughput: images/s for read + sha256 + decode + sRGB + centre crop + Lanczos-3 resize to
 * 256² (libs/ingest preprocessFile, the per-image work of `dermagan ingest`), beside PIL doing the
 * same centre crop + LANCZOS resize on the same files in the same run (scripts/bench/ingest_pil.py,
 * one Python process). Two sets:
 *   sample128  — the first 1000 JPEGs of ../shared/data/derm-sample (128², upscaled to 256);
 *   large1024  — 200 JPEGs of 1024² (derm-sample images upscaled once with sharp, quality 90,
 *                cached in ${DERMAGAN_CACHE:-~/.cache/dermagan}/bench/ingest-1024).
 * ours is swept over images in flight (1, 2, 4, 8) × libvips threads per image (1, cores); then
 * ours at the best setting and PIL run alternately three times and the medians are compared (the
 * machine's load changes between runs). Goal: ≥ 3× PIL.
 *
 *   node --import tsx scripts/bench/ingest.ts [--sample DIR] [--n 1000] [--large 200]
 * Prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { availableParallelism, homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { orderedPool, preprocessFile } from '@dermagan/ingest';

const { values } = parseArgs({
  options: {
    sample: { type: 'string', default: '/work/shared/data/derm-sample' },
    n: { type: 'string', default: '1000' },
    large: { type: 'string', default: '200' },
  },
});
const SIZE = 256;
const here = new URL('.', import.meta.url).pathname;
const sampleDir = existsSync(values.sample!) ? values.sample! : join(here, '../../data/demo');
const cacheRoot = process.env.DERMAGAN_CACHE ?? join(homedir(), '.cache', 'dermagan');

async function jpegsIn(dir: string, n: number): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort().slice(0, n).map((f) => join(dir, f));
}

/** 1024² JPEGs made once by upscaling sample images (Lanczos-3, quality 90). */
async function largeSet(from: string[], n: number): Promise<string[]> {
  const dir = join(cacheRoot, 'bench', 'ingest-1024');
  await mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = join(dir, `large-${String(i).padStart(4, '0')}.jpg`);
    if (!existsSync(file)) await sharp(from[i % from.length]!).resize(1024, 1024, { kernel: 'lanczos3' }).jpeg({ quality: 90 }).toFile(file);
    out.push(file);
  }
  return out;
}

async function ours(files: string[], inFlight: number, vipsThreads: number): Promise<number> {
  sharp.concurrency(vipsThreads);
  let accepted = 0;
  const start = performance.now();
  await orderedPool(files, (f) => preprocessFile(f, { size: SIZE, minSide: 32 }), (r) => void (r.ok && accepted++), { concurrency: inFlight });
  const seconds = (performance.now() - start) / 1000;
  if (accepted !== files.length) throw new Error(`bench: only ${accepted} of ${files.length} images were accepted`);
  return files.length / seconds;
}

async function pil(files: string[]): Promise<{ imagesPerSecond: number; pil: string }> {
  const list = join(tmpdir(), `dermagan-bench-ingest-${process.pid}.txt`);
  await writeFile(list, files.join('\n'));
  const run = spawnSync('python3', [join(here, 'ingest_pil.py'), String(SIZE), list], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`PIL baseline failed (pip install --user pillow): ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!);
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 10) / 10;

/**
 * Sweep our settings once, then alternate (ours at the best setting, PIL) three times and report
 * the medians: on a shared machine the load changes between runs, and alternating exposes both
 * sides to the same changes.
 */
async function measure(files: string[]) {
  await ours(files.slice(0, 50), 2, 1); // warm-up: libvips start, page cache
  const sweep: Array<{ inFlight: number; vipsThreads: number; imagesPerSecond: number }> = [];
  for (const vipsThreads of [1, availableParallelism()]) {
    for (const inFlight of [1, 2, 4, 8]) sweep.push({ inFlight, vipsThreads, imagesPerSecond: await ours(files, inFlight, vipsThreads) });
  }
  const best = sweep.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a));
  const oursRuns: number[] = [];
  const pilRuns: number[] = [];
  let version = '';
  for (let round = 0; round < 3; round++) {
    oursRuns.push(await ours(files, best.inFlight, best.vipsThreads));
    const base = await pil(files);
    pilRuns.push(base.imagesPerSecond);
    version = base.pil;
  }
  return {
    images: files.length,
    sharp: { imagesPerSecond: round(median(oursRuns)), runs: oursRuns.map(round), inFlight: best.inFlight, vipsThreads: best.vipsThreads },
    pil: { imagesPerSecond: round(median(pilRuns)), runs: pilRuns.map(round), version },
    ratio: Math.round((median(oursRuns) / median(pilRuns)) * 100) / 100,
    sweep: sweep.map((s) => ({ ...s, imagesPerSecond: round(s.imagesPerSecond) })),
  };
}

const sample = await jpegsIn(sampleDir, Number(values.n));
const large = await largeSet(sample, Number(values.large));
const result = {
  bench: 'ingest',
  size: SIZE,
  machine: { cores: availableParallelism(), loadavg1: Math.round(loadavg()[0]! * 100) / 100, sharp: sharp.versions.sharp, vips: sharp.versions.vips },
  sample128: await measure(sample),
  large1024: await measure(large),
  goal: 3,
};
console.log(JSON.stringify({ ...result, met: result.sample128.ratio >= 3 && result.large1024.ratio >= 3 }));
