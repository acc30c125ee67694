/**
 * A finished projection's images regenerated from the checkpoint and the projection's latents
 * (w.npy, noise/) into a dataset folder with the projected images' ids, patients, labels, splits
 * and tenants (`dermagan generate --from-projection DIR`), and how many came out byte-identical to
 * the projection's own `projected/` images. Refused first: another generator than the one the
 * projection was made with (projection.json's generatorFingerprint), and latent files that do not
 * hash to the sha256 projection.json records.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError, loadImages, readManifest, type DatasetManifest } from '@dermagan/dataset';
import type { LoadedGenerator } from '@dermagan/gan';
import type { Tf } from '@dermagan/tf';
import { ProjectorError } from './errors.ts';
import { generatorFingerprint } from './job-file.ts';
import { OUTPUT_FILES, writeImagesOf } from './outputs.ts';
import { regenerateProjection, type SynthesizeOptions } from './synthesize-projection.ts';

export interface RegeneratedProjection {
  manifest: DatasetManifest;
  images: number;
  /** Images equal, byte for byte, to the projection's `projected/` image of the same row. */
  identical: number;
}

export async function regenerateProjectionDataset(tf: Tf, loaded: LoadedGenerator, dir: string, out: string, options: SynthesizeOptions = {}): Promise<RegeneratedProjection> {
  const { G } = loaded;
  const projectedDir = join(dir, OUTPUT_FILES.projected);
  let projected: DatasetManifest;
  try {
    projected = await readManifest(projectedDir);
  } catch (err) {
    if (err instanceof DatasetError) throw new ProjectorError(`${dir} is not a finished projection (${err.message}): give the --out folder of a dermagan project run that ended`, { cause: err });
    throw err;
  }
  await checkProjection(dir, G);
  if (projected.size !== G.cfg.resolution) throw new ProjectorError(`${dir} holds ${projected.size}×${projected.size} projections but the generator makes ${G.cfg.resolution}×${G.cfg.resolution}: give the checkpoint the projection was made with`);
  const images = await regenerateProjection(tf, G, dir, options);
  const per = G.cfg.resolution * G.cfg.resolution * 3;
  const n = images.length / per;
  if (n !== projected.images.length) throw new ProjectorError(`${dir}: w.npy holds ${n} images but projected/ ${projected.images.length}: the folder is not one projection's`);
  const saved = await loadImages(projectedDir, projected, projected.images);
  let identical = 0;
  for (let i = 0; i < n; i++) if (Buffer.compare(Buffer.from(images.buffer, i * per, per), Buffer.from(saved.pixels.buffer, saved.pixels.byteOffset + i * per, per)) === 0) identical++;
  const manifest = await writeImagesOf(out, projected, projected.images, (i) => images.subarray(i * per, (i + 1) * per), `regenerated-${projected.name}`, {
    regeneratedFrom: { projection: dir, generator: loaded.provenance },
  });
  return { manifest, images: n, identical };
}

interface ProjectionManifest {
  files?: Record<string, string>;
  provenance?: { projection?: { generatorFingerprint?: string } };
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The generator is the projection's, and its latent files are the ones projection.json hashed. */
async function checkProjection(dir: string, G: LoadedGenerator['G']): Promise<void> {
  const path = join(dir, OUTPUT_FILES.summary);
  let manifest: ProjectionManifest;
  try {
    manifest = JSON.parse(await readFile(path, 'utf8')) as ProjectionManifest;
  } catch (err) {
    throw new ProjectorError(`${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give the --out folder of a dermagan project run that ended`, { cause: err });
  }
  const made = manifest.provenance?.projection?.generatorFingerprint;
  if (made !== undefined && made !== generatorFingerprint(G)) throw new ProjectorError(`${dir} was projected with another generator (its weights differ): give the checkpoint the projection was made with`);
  const files = Object.entries(manifest.files ?? {});
  if (files.length === 0) throw new ProjectorError(`${path} records no latent files: the projection was saved without its noise maps, so its images cannot be reproduced; project again`);
  for (const [file, sha256] of files) {
    const actual = await sha256Of(join(dir, file)).catch((err: NodeJS.ErrnoException) => {
      throw new ProjectorError(`${join(dir, file)} cannot be read (${err.code ?? err.message}); projection.json records it`, { cause: err });
    });
    if (actual !== sha256) throw new ProjectorError(`${join(dir, file)} does not hash to the sha256 projection.json records: it changed after the projection`);
  }
}
