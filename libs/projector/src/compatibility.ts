/**
 * Can this generator project these images? The image side must be the generator's resolution (no
 * silent resizing: the distances would measure the resize), and the classes must be the ones it
 * was trained with; a conditional generator projects each image with the image's own class.
 * Returns the conditioning class of each image (null for an unconditional generator).
 */
import type { DatasetManifest, ImageEntry } from '@dermagan/dataset';
import type { LoadedGenerator } from '@dermagan/gan';
import { ProjectorError } from './errors.ts';

export function conditioningLabels(loaded: LoadedGenerator, manifest: DatasetManifest, entries: readonly ImageEntry[], what: string): Array<number | null> {
  const cfg = loaded.G.cfg;
  if (manifest.size !== cfg.resolution) {
    throw new ProjectorError(
      `${what} holds ${manifest.size}×${manifest.size} images but the generator makes ${cfg.resolution}×${cfg.resolution}: ` +
        `ingest the images with --size ${cfg.resolution}, or use a ${manifest.size}² generator`,
    );
  }
  const names = loaded.labelNames;
  const sameNames = names.length === manifest.labels.length && names.every((n, i) => n === manifest.labels[i]);
  if (cfg.cDim > 0) {
    if (!sameNames || cfg.cDim !== names.length) {
      throw new ProjectorError(
        `the conditional generator knows the classes [${names.join(', ')}] but ${what} has [${manifest.labels.join(', ')}]: ` +
          `project images ingested with the generator's classes`,
      );
    }
    return entries.map((e) => e.label);
  }
  if (loaded.trainedClass !== null) {
    const trained = loaded.trainedClass;
    const trainedName = names[trained] ?? String(trained);
    if (manifest.labels[trained] !== trainedName) {
      throw new ProjectorError(`the generator was trained on class "${trainedName}" but class ${trained} of ${what} is "${manifest.labels[trained] ?? 'missing'}"`);
    }
    const others = entries.filter((e) => e.label !== trained).length;
    if (others > 0) {
      throw new ProjectorError(
        `the generator was trained on class ${trained} ("${trainedName}") only, but ${others} selected images of ${what} are of other classes: select --class ${trained}`,
      );
    }
  }
  return entries.map(() => null);
}
