/**
 * Where the heavy products run. Two modes, recorded in every result's provenance:
 * - `float64`: plain JavaScript in float64, exact to rounding; the mode the reference fixtures check.
 * - `tf`: native TensorFlow (via @dermagan/tf) float32 matMul on blocks, accumulated across blocks
 *   in float64; many times faster at d = 2048, agreeing with `float64` to about 1e-6 relative
 *   (checked in compute.test.ts).
 */
import type { Tf } from '@dermagan/tf';

export type ComputeMode = 'float64' | 'tf';

export interface Compute {
  readonly mode: ComputeMode;
  /** The tfjs instance when mode is `tf`. */
  readonly tf?: Tf;
}

export const FLOAT64: Compute = Object.freeze({ mode: 'float64' as const });

/** The compute for a mode; `tf` loads the native backend once per process. */
export async function createCompute(mode: ComputeMode): Promise<Compute> {
  if (mode === 'float64') return FLOAT64;
  const { loadTf } = await import('@dermagan/tf');
  const { tf } = await loadTf();
  return Object.freeze({ mode, tf });
}
