/**
 * The per-sample transformation matrices of the augment pipe, composed on the CPU in float64.
 *
 * Geometric: one 3×3 homogeneous matrix G⁻¹ that maps an output pixel to the input pixel it reads
 * (`G_inv @ pixel_out ⇒ pixel_in`), in pixel units with the origin at the image centre.
 * Colour: one 4×4 homogeneous matrix C acting on [r, g, b, 1] (`C @ colour_in ⇒ colour_out`).
 * Both follow the composition order of NVlabs `training/augment.py`.
 */
import type { AugmentSampleParams } from './params.ts';

/** Row-major 3×3 matrix. */
export type Mat3 = Float64Array;
/** Row-major 4×4 matrix. */
export type Mat4 = Float64Array;

export function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * b[k * n + j]!;
      out[i * n + j] = s;
    }
  }
  return out;
}

const mat3 = (...rows: number[][]): Mat3 => Float64Array.from(rows.flat());
export const identity3 = (): Mat3 => mat3([1, 0, 0], [0, 1, 0], [0, 0, 1]);
export const translate2d = (tx: number, ty: number): Mat3 => mat3([1, 0, tx], [0, 1, ty], [0, 0, 1]);
export const scale2d = (sx: number, sy: number): Mat3 => mat3([sx, 0, 0], [0, sy, 0], [0, 0, 1]);
export const rotate2d = (t: number): Mat3 => mat3([Math.cos(t), -Math.sin(t), 0], [Math.sin(t), Math.cos(t), 0], [0, 0, 1]);

/** Product of 3×3 matrices, left to right. */
export function chain3(...ms: Mat3[]): Mat3 {
  return ms.reduce((acc, m) => matmul(acc, m, 3), identity3());
}

/**
 * G⁻¹ for one sample: each transform contributes its inverse, right-multiplied in the order
 * xflip, rotate90, xint, scale, rotatePre, aniso, rotatePost, xfrac.
 */
export function geometricInverse(q: AugmentSampleParams, width: number, height: number): Mat3 {
  return chain3(
    scale2d(1 / (1 - 2 * q.xflip), 1),
    rotate2d((Math.PI / 2) * q.rotate90),
    translate2d(-Math.round(q.xint[0] * width), -Math.round(q.xint[1] * height)),
    scale2d(1 / q.scale, 1 / q.scale),
    rotate2d(q.rotatePre),
    scale2d(1 / q.aniso, q.aniso),
    rotate2d(q.rotatePost),
    translate2d(-q.xfrac[0] * width, -q.xfrac[1] * height),
  );
}

const mat4 = (...rows: number[][]): Mat4 => Float64Array.from(rows.flat());
export const identity4 = (): Mat4 => mat4([1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]);

/** Unit luma axis v = (1, 1, 1, 0)/√3. */
const V = [1 / Math.sqrt(3), 1 / Math.sqrt(3), 1 / Math.sqrt(3), 0];
/** v vᵀ. */
const VV = mat4(...V.map((a) => V.map((b) => a * b)));

function rotateAboutLuma(t: number): Mat4 {
  const [vx, vy, vz] = V as [number, number, number, number];
  const s = Math.sin(t);
  const c = Math.cos(t);
  const cc = 1 - c;
  return mat4(
    [vx * vx * cc + c, vx * vy * cc - vz * s, vx * vz * cc + vy * s, 0],
    [vy * vx * cc + vz * s, vy * vy * cc + c, vy * vz * cc - vx * s, 0],
    [vz * vx * cc - vy * s, vz * vy * cc + vx * s, vz * vz * cc + c, 0],
    [0, 0, 0, 1],
  );
}

/**
 * C for one sample: brightness, contrast, luma flip, hue, saturation, each left-multiplied in
 * that order.
 */
export function colorMatrix(q: AugmentSampleParams): Mat4 {
  const I = identity4();
  const b = q.brightness;
  const c = q.contrast;
  // A step at its identity value is left out, so that an identity record gives exactly I.
  const steps: Mat4[] = [];
  if (b !== 0) steps.push(mat4([1, 0, 0, b], [0, 1, 0, b], [0, 0, 1, b], [0, 0, 0, 1]));
  if (c !== 1) steps.push(mat4([c, 0, 0, 0], [0, c, 0, 0], [0, 0, c, 0], [0, 0, 0, 1]));
  if (q.lumaflip !== 0) steps.push(I.map((x, i) => x - 2 * VV[i]! * q.lumaflip));
  if (q.hue !== 0) steps.push(rotateAboutLuma(q.hue));
  if (q.saturation !== 1) steps.push(VV.map((x, i) => x + (I[i]! - x) * q.saturation));
  return steps.reduce((acc, m) => matmul(m, acc, 4), identity4());
}

/** True when m equals the identity exactly (so the pass can be skipped without changing a bit). */
export function isIdentity(m: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (m[i * n + j] !== (i === j ? 1 : 0)) return false;
  return true;
}
