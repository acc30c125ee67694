import { loadImages, type DatasetManifest, type ImageEntry } from '@dermagan/dataset';

/** Where a training image came from. */
export type Origin = 'real' | 'synthetic';

/** Images in memory with what the classifier needs of each. */
export interface ImageSet {
  /** uint8 pixels, [n, size, size, 3] NHWC. */
  pixels: Uint8Array;
  /** 0 = negative, 1 = positive (the dataset's label 1). */
  labels: Int32Array;
  ids: string[];
  patients: string[];
  origins: Origin[];
  size: number;
}

export function emptySet(size: number): ImageSet {
  return { pixels: new Uint8Array(0), labels: new Int32Array(0), ids: [], patients: [], origins: [], size };
}

/** Load entries of a dataset, mapping each label through `labelMap` (dataset label → 0/1). */
export async function loadSet(dir: string, manifest: DatasetManifest, entries: ImageEntry[], origin: Origin, labelMap: readonly number[]): Promise<ImageSet> {
  const batch = await loadImages(dir, manifest, entries);
  return {
    pixels: batch.pixels,
    labels: Int32Array.from(batch.labels, (l) => labelMap[l]!),
    ids: entries.map((e) => e.id),
    // Synthetic images are their own group; prefix keeps them apart from real patient ids.
    patients: entries.map((e) => (origin === 'synthetic' ? `synthetic:${e.patient}` : e.patient)),
    origins: entries.map(() => origin),
    size: manifest.size,
  };
}

/** Rows `rows` of a set, in that order. */
export function subset(set: ImageSet, rows: readonly number[]): ImageSet {
  const per = set.size * set.size * 3;
  const pixels = new Uint8Array(rows.length * per);
  rows.forEach((r, i) => pixels.set(set.pixels.subarray(r * per, (r + 1) * per), i * per));
  return {
    pixels,
    labels: Int32Array.from(rows, (r) => set.labels[r]!),
    ids: rows.map((r) => set.ids[r]!),
    patients: rows.map((r) => set.patients[r]!),
    origins: rows.map((r) => set.origins[r]!),
    size: set.size,
  };
}

/** Two sets of the same size, one after the other. */
export function concatSets(a: ImageSet, b: ImageSet): ImageSet {
  const pixels = new Uint8Array(a.pixels.length + b.pixels.length);
  pixels.set(a.pixels, 0);
  pixels.set(b.pixels, a.pixels.length);
  const labels = new Int32Array(a.labels.length + b.labels.length);
  labels.set(a.labels, 0);
  labels.set(b.labels, a.labels.length);
  return { pixels, labels, ids: [...a.ids, ...b.ids], patients: [...a.patients, ...b.patients], origins: [...a.origins, ...b.origins], size: a.size };
}

/** Images per class [negatives, positives]. */
export function classCounts(labels: ArrayLike<number>): [number, number] {
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i] === 1 ? 1 : 0;
  return [labels.length - pos, pos];
}
