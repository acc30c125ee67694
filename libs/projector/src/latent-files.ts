/**
 * A projection's latents: the files that, with the checkpoint, reproduce its projected images.
 *
 *   w.npy                    float32 [n, numWs, wDim]: each image's final w for every layer (in W
 *                            space the one w repeated), projector.py's `projected_w`;
 *   noise/<buffer>.npy       per noise input of the synthesis network, float32 [n, r, r]: each
 *                            image's optimised noise map for that layer, the file named by the
 *                            layer's noise buffer (`b8.conv0.noise_const`; NVlabs'
 *                            `synthesis.b8.conv0.noise_const`).
 *
 * Row i of every file is image i of `projections.csv` and `projected/`. The files are written a
 * row at a time (no single buffer of the whole array: noise at 256² is ~0.7 MB an image), and each
 * one's sha256 is returned for the projection's manifest. Reading checks every shape against the
 * generator and names the layer and the shape it needs.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Generator, NoiseInput } from '@dermagan/gan';
import { npyHeader, NpyError, readNpyHeader, type NpyHeaderInfo } from '@dermagan/npy';
import { ProjectorError } from './errors.ts';

export const LATENT_FILES = { w: 'w.npy', noise: 'noise' } as const;

/** The file of a noise input's maps, relative to the projection folder. */
export function noiseFile(name: string): string {
  return `${LATENT_FILES.noise}/${name}.npy`;
}

/** One image's final latents: w [k·wDim] (k = 1 in W, numWs in W+) and its noise maps [r·r] in synthesis order. */
export interface ImageLatents {
  w: Float32Array;
  noise: Float32Array[];
}

/** n images' latents as the files hold them: w [n·numWs·wDim] and, per noise input, [n·r·r]. */
export interface ProjectionLatents {
  n: number;
  w: Float32Array;
  noise: Float32Array[];
}

/** Write a float32 .npy a row at a time (temp file, then renamed); returns its sha256. */
async function writeRows(path: string, shape: number[], rows: Iterable<Float32Array>): Promise<string> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const hash = createHash('sha256');
  const fh = await open(tmp, 'w');
  try {
    const write = async (bytes: Uint8Array) => {
      hash.update(bytes);
      await fh.write(bytes);
    };
    await write(npyHeader('float32', shape));
    for (const row of rows) await write(new Uint8Array(row.buffer, row.byteOffset, row.byteLength));
    await fh.close();
    await rename(tmp, path);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  return hash.digest('hex');
}

/** `w` broadcast to numWs layers when it holds one w. */
function everyLayer(w: Float32Array, numWs: number, wDim: number): Float32Array {
  if (w.length === numWs * wDim) return w;
  const out = new Float32Array(numWs * wDim);
  for (let l = 0; l < numWs; l++) out.set(w.subarray(0, wDim), l * wDim);
  return out;
}

/** Write w.npy and noise/ for `images` (in order); returns each file's sha256 by its path in `dir`. */
export async function writeLatents(dir: string, G: Generator, images: readonly ImageLatents[]): Promise<Record<string, string>> {
  const { numWs } = G;
  const { wDim } = G.cfg;
  const n = images.length;
  const files: Record<string, string> = {};
  files[LATENT_FILES.w] = await writeRows(join(dir, LATENT_FILES.w), [n, numWs, wDim], images.map((im) => everyLayer(im.w, numWs, wDim)));
  await mkdir(join(dir, LATENT_FILES.noise), { recursive: true });
  for (const [i, input] of G.synthesis.noiseInputs().entries()) {
    const r = input.resolution;
    for (const im of images) {
      if (im.noise[i]?.length !== r * r) throw new ProjectorError(`an image's noise map ${i} has ${im.noise[i]?.length ?? 0} values; layer ${input.name} needs ${r}×${r}`);
    }
    files[noiseFile(input.name)] = await writeRows(join(dir, noiseFile(input.name)), [n, r, r], images.map((im) => im.noise[i]!));
  }
  return files;
}

async function header(path: string, fix: string): Promise<NpyHeaderInfo> {
  try {
    return await readNpyHeader(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ProjectorError(`${path} is missing: ${fix}`, { cause: err });
    if (err instanceof NpyError) throw new ProjectorError(err.message, { cause: err });
    throw err;
  }
}

const shapeText = (shape: readonly (number | string)[]) => `[${shape.join(', ')}]`;

/** Rows of a float32 .npy whose rows hold `per` values: the given ones in their order, or all. */
async function readRows(path: string, info: NpyHeaderInfo, per: number, rows: readonly number[]): Promise<Float32Array> {
  const out = new Float32Array(rows.length * per);
  const bytes = new Uint8Array(out.buffer);
  const fh = await open(path, 'r');
  try {
    for (const [j, row] of rows.entries()) {
      const { bytesRead } = await fh.read(bytes, j * per * 4, per * 4, info.offset + row * per * 4);
      if (bytesRead !== per * 4) throw new ProjectorError(`${path} is truncated (row ${row} of ${shapeText(info.shape)})`);
    }
  } finally {
    await fh.close();
  }
  return out;
}

/**
 * Read a projection folder's latents for generator G: every image's, or the given rows (image
 * positions, in the order given). Shapes are checked against G: a file of another generator is
 * refused with the layer and the shape it needs.
 */
export async function readLatents(dir: string, G: Generator, rows?: readonly number[]): Promise<ProjectionLatents> {
  const { numWs } = G;
  const { wDim } = G.cfg;
  const wPath = join(dir, LATENT_FILES.w);
  const w = await header(wPath, `${dir} is not a finished projection (dermagan project writes w.npy when every image is done)`);
  const n = w.shape[0] ?? 0;
  if (w.dtype !== 'float32' || w.shape.length !== 3 || w.shape[1] !== numWs || w.shape[2] !== wDim) {
    throw new ProjectorError(`${wPath} is ${w.dtype} ${shapeText(w.shape)}; this generator needs float32 [n, ${numWs}, ${wDim}] (n images, ${numWs} layers, w of ${wDim}): it is another generator's projection`);
  }
  const picked = rows ?? Array.from({ length: n }, (_, i) => i);
  for (const row of picked) if (!Number.isInteger(row) || row < 0 || row >= n) throw new ProjectorError(`image ${row} is not in ${dir} (it holds ${n} images, 0 to ${n - 1})`);

  const inputs = G.synthesis.noiseInputs();
  const noiseDir = join(dir, LATENT_FILES.noise);
  const present = await readdir(noiseDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new ProjectorError(`${noiseDir} is missing: the projection was saved without its noise maps, so its images cannot be reproduced; project again with this dermagan`, { cause: err });
    throw err;
  });
  const expected = new Set(inputs.map((i) => `${i.name}.npy`));
  const foreign = present.filter((f) => f.endsWith('.npy') && !expected.has(f));
  if (foreign.length > 0) {
    throw new ProjectorError(`${noiseDir} holds noise maps for layers this generator does not have (${foreign.join(', ')}; it has ${inputs.map((i) => i.name).join(', ')}): it is another generator's projection`);
  }
  const noise: Float32Array[] = [];
  for (const input of inputs) noise.push(await readNoise(dir, input, n, picked));
  return { n: picked.length, w: await readRows(wPath, w, numWs * wDim, picked), noise };
}

async function readNoise(dir: string, input: NoiseInput, n: number, rows: readonly number[]): Promise<Float32Array> {
  const r = input.resolution;
  const path = join(dir, noiseFile(input.name));
  const needs = `layer ${input.name} needs float32 [${n}, ${r}, ${r}] (its ${r}×${r} noise map for each of the ${n} images of w.npy)`;
  const info = await header(path, `${needs}; the projection was saved without it, so its images cannot be reproduced`);
  if (info.dtype !== 'float32' || info.shape.length !== 3 || info.shape[0] !== n || info.shape[1] !== r || info.shape[2] !== r) {
    throw new ProjectorError(`${path} is ${info.dtype} ${shapeText(info.shape)}, but ${needs}: the noise maps are another generator's or another projection's`);
  }
  return readRows(path, info, r * r, rows);
}
