/**
 * What every explanation step reads and writes: the loaded classifier, the real and synthetic
 * images, the generator (when given), the options, and the summary being filled.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ClassifierCard, ImageSet } from '@dermagan/classifier';
import type { LatentDirections, ProjectionOptions } from '@dermagan/contracts';
import type { DatasetManifest } from '@dermagan/dataset';
import type { LoadedGenerator } from '@dermagan/gan';
import type { BackendInfo, Tf } from '@dermagan/tf';
import type { ExplainOptions } from '../defaults.ts';
import type { EdgeCase } from '../edge-cases.ts';
import type { Hyperplane } from '../latent/hyperplane.ts';

type LayersModel = import('@tensorflow/tfjs').LayersModel;

/**
 * Real images → their W codes by latent optimisation (libs/projector's `wProjector`), [n, wDim].
 * `labels` are the images' classes (a conditional generator projects with its class); `options`
 * the request's projection options.
 */
export type Projector = (generator: LoadedGenerator, images: Uint8Array, n: number, size: number, labels: Int32Array, options: ProjectionOptions) => Promise<Float32Array>;

/** Which images (uint8 [n, size, size, 3]) show the attribute the frame experiment removes. */
export type AttributeDetector = (pixels: Uint8Array, n: number, size: number) => Promise<boolean[]>;

export interface ExplainContext {
  tf: Tf;
  backend: BackendInfo;
  /** Output folder (summary.json and everything it names, relative to it). */
  out: string;
  options: ExplainOptions;
  classifier: { dir: string; model: LayersModel; card: ClassifierCard };
  real: { dir: string; manifest: DatasetManifest; train: ImageSet; test: ImageSet };
  synthetic: Array<{ name: string; set: ImageSet }>;
  generator: LoadedGenerator | null;
  /** How directions.json names the generator. */
  generatorRef: LatentDirections['generator'] | null;
  projector: Projector | null;
  /** The attribute of the frame direction and experiment (default: the dermoscope-frame detector). */
  frames: AttributeDetector;
  progress: (step: string, done: number, total: number, status?: string) => void;
  /** Headline numbers, flat (explanation.completed carries them). */
  numbers: Record<string, number | null>;
  /** Part or sub-part → why it did not run. */
  skipped: Record<string, string>;
  /** Filled by the steps, in order. */
  edgeCases: Array<EdgeCase & { id: string }>;
  /** Projections of the edge cases (W), when a projector ran. */
  projections: { w: Float32Array; images: Uint8Array; cosineDistance: number[] } | null;
  framePlane: Hyperplane | null;
  /** The summary sections each step wrote. */
  sections: Record<string, unknown>;
}

/** Write a file under the output folder (creating folders); returns its path relative to out. */
export async function writeOut(ctx: Pick<ExplainContext, 'out'>, file: string, data: string | Uint8Array): Promise<string> {
  const path = join(ctx.out, file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
  return file;
}

/** A number for the summary (NaN and infinities become null: JSON and events carry no NaN). */
export function num(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
