/**
 * Shared by the federation benchmarks (scripts/bench/federation-*.ts): a flag reader, and
 * StyleGAN2-shaped weight files of random values, big enough to measure streaming aggregation
 * (tensors up to 512·512·3·3).
 */
import { fileSink, seededRng, type GanScalars, type TensorSpec } from '../../libs/federation/src/index.ts';

/** The value after `--name` on the command line, or `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** G, D and G_ema of about `params` values: 512×512×3×3 convolutions plus biases and a remainder. */
export function syntheticSchema(params: number): TensorSpec[] {
  const conv = 512 * 512 * 3 * 3;
  const perGroup = Math.floor(params / 3);
  const suffixes: TensorSpec[] = [];
  let used = 0;
  for (let i = 0; used + conv <= perGroup; i++) {
    suffixes.push({ name: `b${i}/conv/weight`, shape: [512, 512, 3, 3] }, { name: `b${i}/conv/bias`, shape: [512] });
    used += conv + 512;
  }
  suffixes.push({ name: 'rest/weight', shape: [Math.max(1, perGroup - used)] });
  return ['G', 'D', 'G_ema'].flatMap((g) => suffixes.map((s) => ({ name: `${g}/${s.name}`, shape: s.shape })));
}

/** Write a weight file of `syntheticSchema(params)` with values uniform in ±0.01 around `offset`. */
export async function writeSyntheticWeights(path: string, params: number, seed: number, offset: number, scalars: GanScalars): Promise<void> {
  const header = { tensors: syntheticSchema(params), scalars };
  const sink = fileSink(path, header);
  const rng = seededRng(seed);
  for (const t of header.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const words = rng.words(n);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = offset + (words[i]! / 4294967296 - 0.5) * 0.02;
    await sink.write({ ...t, data });
  }
  await sink.close();
}
