/**
 * Concatenate datasets of the same size and labels into one (e.g. the ben-GAN and mal-GAN synthetic
 * sets into one "synth-GAN" set). Ids are prefixed with their dataset's name so they stay unique.
 */
import { DatasetWriter } from './writer.ts';
import { DatasetError, loadImages, readManifest } from './reader.ts';
import type { DatasetManifest } from './manifest.ts';

export async function mergeDatasets(dirs: string[], out: string, name: string): Promise<DatasetManifest> {
  if (dirs.length === 0) throw new DatasetError('mergeDatasets: no datasets given');
  const manifests = await Promise.all(dirs.map((d) => readManifest(d)));
  const first = manifests[0]!;
  for (const [i, m] of manifests.entries()) {
    if (m.size !== first.size) throw new DatasetError(`mergeDatasets: ${dirs[i]} has ${m.size}² images, ${dirs[0]} has ${first.size}²`);
    if (m.labels.join('\u0000') !== first.labels.join('\u0000')) {
      throw new DatasetError(`mergeDatasets: ${dirs[i]} has labels [${m.labels}], ${dirs[0]} has [${first.labels}]`);
    }
  }
  const writer = await DatasetWriter.create({ dir: out, size: first.size });
  const per = first.size * first.size * 3;
  for (const [i, m] of manifests.entries()) {
    const batch = await loadImages(dirs[i]!, m, m.images);
    for (const [j, e] of m.images.entries()) {
      await writer.append(batch.pixels.subarray(j * per, (j + 1) * per), {
        id: `${m.name}/${e.id}`,
        patient: `${m.name}/${e.patient}`,
        label: e.label,
        sha256: e.sha256,
        split: e.split,
        tenant: e.tenant,
      });
    }
  }
  const kinds = new Set(manifests.map((m) => m.source.kind));
  return writer.finish({
    name,
    labels: first.labels,
    source: {
      kind: kinds.size === 1 ? first.source.kind : 'generated',
      generator: { mergedFrom: manifests.map((m) => ({ name: m.name, fingerprint: m.fingerprint, source: m.source })) },
    },
    split: manifests.every((m) => m.split.kind === 'none') ? { kind: 'none' } : first.split,
    tenants: null,
  });
}
