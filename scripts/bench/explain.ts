/**
 * Explainability benchmark (one JSON line on stdout; progress on stderr), ours beside the
 * reference tools timed in the same run on the same inputs:
 *   1. t-SNE 3-D on 5,000 × 512 embeddings (10 Gaussian clusters): ours (Barnes–Hut, θ 0.5,
 *      1,000 iterations, PCA to 50 first as bhtsne) vs scikit-learn TSNE (Barnes–Hut, same
 *      perplexity, iterations and PCA init, on the 512 columns);
 *   2. UMAP 3-D on the same matrix: umap-js vs umap-learn (its numba JIT warmed up first);
 *   3. XRAI at 128²: the region search alone (6 Felzenszwalb scales, dilation, greedy ranking)
 *      over the same image and attribution, ours vs the PAIR saliency library; and our full
 *      XRAI per image (integrated gradients, black + white baselines, 100 steps each, on the
 *      small CNN classifier at 128²).
 *
 *   node --import tsx scripts/bench/explain.ts [--rows 5000] [--cols 512] [--skip tsne,umap,xrai]
 *     [--python /work/ref-venv/bin/python]   (the reference side needs scikit-learn, umap-learn, saliency)
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { buildSmallCnn, IMAGENET_NORMALIZATION } from '@dermagan/classifier';
import { classifierScore, rankRegions, tsne, umap, xrai, xraiSegments } from '@dermagan/explain';
import { Rng } from '@dermagan/gan';
import { writeNpy } from '@dermagan/npy';
import { loadTf } from '@dermagan/tf';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '5000' },
    cols: { type: 'string', default: '512' },
    skip: { type: 'string', default: '' },
    python: { type: 'string', default: '/work/ref-venv/bin/python' },
    image: { type: 'string', default: new URL('../../data/demo/ISIC_0024350.jpg', import.meta.url).pathname },
  },
});
const skip = new Set(args.skip.split(',').filter(Boolean));
const log = (s: string) => process.stderr.write(`${s}\n`);
const rows = Number(args.rows);
const cols = Number(args.cols);
const { tf, info } = await loadTf();
const dir = await mkdtemp(join(tmpdir(), 'bench-explain-'));
const result: Record<string, unknown> = { bench: 'explain', backend: info, machine: { cores: (await import('node:os')).cpus().length }, rows, cols };
const seconds = (start: number) => (performance.now() - start) / 1000;

function reference(what: string[]): Record<string, number> {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const res = spawnSync(args.python, [join(import.meta.dirname, 'explain_ref.py'), dir, ...what], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) {
    log(`reference side failed (${args.python}): ${res.stderr?.slice(-400) ?? res.error}`);
    return {};
  }
  return JSON.parse(res.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

try {
  // Embeddings: 10 Gaussian clusters in 512 dimensions.
  const rng = new Rng(1);
  const data = new Float32Array(rows * cols);
  const centres = Array.from({ length: 10 }, () => rng.normal(cols, 3));
  for (let i = 0; i < rows; i++) {
    const noise = rng.normal(cols);
    const c = centres[i % 10]!;
    for (let j = 0; j < cols; j++) data[i * cols + j] = c[j]! + noise[j]!;
  }
  await writeNpy(join(dir, 'embeddings.npy'), { data, shape: [rows, cols], dtype: 'float32' });
  const x = { data, rows, cols };

  if (!skip.has('tsne')) {
    log(`t-SNE 3-D on ${rows} × ${cols} (ours)`);
    let t = performance.now();
    tsne(x, { dims: 3, seed: 0, onProgress: (i, n) => i % 250 === 0 && log(`  iteration ${i}/${n}`) });
    result.ours_tsne_3d_s = seconds(t);
    log(`t-SNE 3-D (scikit-learn)`);
    Object.assign(result, reference(['tsne']));
    t = performance.now();
  }
  if (!skip.has('umap')) {
    log(`UMAP 3-D on ${rows} × ${cols} (umap-js)`);
    const t = performance.now();
    umap(x, { dims: 3, seed: 0 });
    result.umap_js_3d_s = seconds(t);
    log('UMAP 3-D (umap-learn)');
    Object.assign(result, reference(['umap']));
  }
  if (!skip.has('xrai')) {
    // One demo image at 128², an untrained small CNN at 128² (the cost does not depend on training).
    const size = 128;
    const pixels = new Uint8Array(await sharp(args.image).resize(size, size).raw().toBuffer());
    const unit = Float32Array.from(pixels, (v) => v / 255);
    const model = buildSmallCnn(tf, { size, seed: 0 });
    const score = classifierScore(tf, model, { inputSize: size, normalization: IMAGENET_NORMALIZATION }, 1);
    log('XRAI at 128² (ours, full: IG black + white × 100 steps, segments, ranking)');
    xrai(tf, score, unit, size, { steps: 10 }); // warm-up
    const runs: number[] = [];
    let attribution: Float32Array = new Float32Array(0);
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      attribution = xrai(tf, score, unit, size).attribution;
      runs.push(seconds(t));
    }
    result.ours_xrai_full_s_per_image = runs.sort((a, b) => a - b)[1];
    const regionRuns: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      rankRegions(attribution, xraiSegments(unit, size), size);
      regionRuns.push(seconds(t));
    }
    result.ours_xrai_regions_s_per_image = regionRuns.sort((a, b) => a - b)[1];
    await writeNpy(join(dir, 'image.npy'), { data: Float64Array.from(unit), shape: [size, size, 3], dtype: 'float64' });
    await writeNpy(join(dir, 'attribution.npy'), { data: Float64Array.from(attribution), shape: [size, size], dtype: 'float64' });
    log('XRAI region search at 128² (PAIR saliency)');
    Object.assign(result, reference(['xrai']));
    model.dispose();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
