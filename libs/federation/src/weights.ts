/**
 * A GAN's weights as plain data: an ordered list of named float32 tensors plus the scalar training
 * state that is not a tensor (ADA p, the path-length mean). This is what a federation exchanges;
 * it knows nothing about the engine that produced it.
 *
 * Tensor names are '/'-separated and their first segment is the group the GAN-state policy acts on:
 *   `G/...`      generator weights, e.g. `G/mapping/fc0/weight`
 *   `D/...`      discriminator weights, e.g. `D/b256/conv0/weight`
 *   `G_ema/...`  the generator's exponential moving average, same suffixes as `G/...`
 *   `G_opt/...`, `D_opt/...`  optimiser moments, e.g. `G_opt/m/mapping/fc0/weight` (Adam m and v)
 * Buffers (noise constants, w_avg) live in their module's group like weights.
 */

/** The groups a tensor name can belong to (its first path segment). */
export const TENSOR_GROUPS = ['G', 'D', 'G_ema', 'G_opt', 'D_opt'] as const;
export type TensorGroup = (typeof TENSOR_GROUPS)[number];

/** One tensor's name and shape, without data. */
export interface TensorSpec {
  /** '/'-separated name whose first segment is a TensorGroup. */
  name: string;
  /** Dimensions, outermost first (C order); [] for a scalar tensor. */
  shape: number[];
}

/** One tensor with its values (C order, float32). */
export interface NamedTensor extends TensorSpec {
  data: Float32Array;
}

/**
 * The scalar GAN state carried beside the tensors. Each field is optional: absent means "the
 * sender does not say" (for example the global model under a 'keep-local' policy).
 */
export interface GanScalars {
  /** ADA augmentation probability p in [0, 1]. */
  adaP?: number;
  /** Path-length regulariser's running mean of ‖J_w^T y‖ (StyleGAN2 `pl_mean`), >= 0. */
  plMean?: number;
}

/** A whole weight set in memory (tests, small models). Large sets are streamed (weight-file.ts). */
export interface WeightSet {
  /** Tensors in their canonical order (the order of the global model). */
  tensors: NamedTensor[];
  /** Scalar training state. */
  scalars: GanScalars;
}

/** The schema of a weight set: names and shapes in order, plus its scalars. */
export interface WeightHeader {
  tensors: TensorSpec[];
  scalars: GanScalars;
}

/** Raised when weights are malformed (bad names, shapes, sizes). Never retriable. */
export class WeightsError extends Error {
  override readonly name = 'WeightsError';
  readonly retriable = false;
}

/** Number of values a shape holds. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The group of a tensor name; throws WeightsError for a name outside every group. */
export function groupOf(name: string): TensorGroup {
  const head = name.split('/', 1)[0] as TensorGroup;
  if (!(TENSOR_GROUPS as readonly string[]).includes(head) || name.length <= head.length + 1) {
    throw new WeightsError(
      `groupOf: tensor name "${name}" must start with one of ${TENSOR_GROUPS.map((g) => `${g}/`).join(', ')} followed by a path`,
    );
  }
  return head;
}

/** True for the optimiser-moment groups. */
export function isMomentGroup(group: TensorGroup): boolean {
  return group === 'G_opt' || group === 'D_opt';
}

/** Check a header: valid names, non-negative integer dimensions, no duplicate names. */
export function assertValidHeader(header: WeightHeader, what = 'weights'): void {
  const seen = new Set<string>();
  for (const t of header.tensors) {
    groupOf(t.name);
    if (seen.has(t.name)) throw new WeightsError(`${what}: tensor "${t.name}" appears twice`);
    seen.add(t.name);
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new WeightsError(`${what}: tensor "${t.name}" has a bad shape [${String(t.shape)}]; expected non-negative integers`);
    }
  }
  const { adaP, plMean } = header.scalars;
  if (adaP !== undefined && !(adaP >= 0 && adaP <= 1)) throw new WeightsError(`${what}: scalars.adaP must be in [0, 1], got ${adaP}`);
  if (plMean !== undefined && !(plMean >= 0 && Number.isFinite(plMean))) {
    throw new WeightsError(`${what}: scalars.plMean must be a finite number >= 0, got ${plMean}`);
  }
}

/** The header of an in-memory set (checks every tensor's data length against its shape). */
export function headerOf(set: WeightSet): WeightHeader {
  for (const t of set.tensors) {
    if (!(t.data instanceof Float32Array)) throw new WeightsError(`headerOf: tensor "${t.name}" data must be a Float32Array`);
    if (t.data.length !== sizeOf(t.shape)) {
      throw new WeightsError(`headerOf: tensor "${t.name}" shape [${t.shape}] holds ${sizeOf(t.shape)} values but data has ${t.data.length}`);
    }
  }
  const header = { tensors: set.tensors.map((t) => ({ name: t.name, shape: [...t.shape] })), scalars: { ...set.scalars } };
  assertValidHeader(header, 'headerOf');
  return header;
}

/**
 * Differences between two schemas (names, order and shapes), as human-readable lines; empty when
 * they agree. Scalars are not compared.
 */
export function schemaDifferences(expected: readonly TensorSpec[], got: readonly TensorSpec[]): string[] {
  const out: string[] = [];
  const gotByName = new Map(got.map((t, i) => [t.name, { t, i }]));
  const expectedNames = new Set(expected.map((t) => t.name));
  expected.forEach((e, i) => {
    const g = gotByName.get(e.name);
    if (!g) out.push(`missing tensor ${e.name}`);
    else if (g.t.shape.join(',') !== e.shape.join(',')) out.push(`${e.name}: shape [${g.t.shape}] != expected [${e.shape}]`);
    else if (g.i !== i) out.push(`${e.name}: at position ${g.i}, expected ${i}`);
  });
  for (const g of got) if (!expectedNames.has(g.name)) out.push(`unexpected tensor ${g.name}`);
  return out;
}

/** Total number of float32 values in a schema. */
export function parameterCount(tensors: readonly TensorSpec[]): number {
  return tensors.reduce((n, t) => n + sizeOf(t.shape), 0);
}
