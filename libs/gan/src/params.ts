/**
 * A network's named tensors: trainable parameters and buffers (w_avg, const noise), in creation
 * order. The order and names are the network's identity for checkpoints and for G → G_ema.
 */
import type { Rng } from './rng.ts';
import type { Tensor, Tf, Variable } from './tf-types.ts';

export class ParamSet {
  /** Trainable parameters by name, in creation order. */
  readonly params = new Map<string, Variable>();
  /** Non-trainable state by name (copied, not averaged, into G_ema). */
  readonly buffers = new Map<string, Variable>();

  constructor(
    readonly tf: Tf,
    /** Initialisation randomness (consumed at construction only). */
    readonly rng: Rng,
  ) {}

  /** A trainable parameter initialised N(0,1)·scale (`scale` 0 → `fill`). */
  normal(name: string, shape: number[], scale = 1): Variable {
    const n = shape.reduce((a, b) => a * b, 1);
    return this.add(this.params, name, shape, this.rng.normal(n, scale), true);
  }

  /** A trainable parameter filled with a constant. */
  constant(name: string, shape: number[], value: number): Variable {
    const n = shape.reduce((a, b) => a * b, 1);
    return this.add(this.params, name, shape, new Float32Array(n).fill(value), true);
  }

  /** A buffer (not trained) with given values. */
  buffer(name: string, shape: number[], values: Float32Array): Variable {
    return this.add(this.buffers, name, shape, values, false);
  }

  get(name: string): Variable {
    const v = this.params.get(name) ?? this.buffers.get(name);
    if (!v) throw new Error(`ParamSet.get: no tensor named "${name}"`);
    return v;
  }

  /** Parameters then buffers, by name. */
  entries(): Array<[string, Variable]> {
    return [...this.params.entries(), ...this.buffers.entries()];
  }

  /** Number of trainable scalars. */
  count(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Copy every tensor from another set with the same names and shapes. */
  copyFrom(other: ParamSet): void {
    for (const [name, v] of this.entries()) v.assign(other.get(name));
  }

  dispose(): void {
    for (const [, v] of this.entries()) v.dispose();
  }

  private add(map: Map<string, Variable>, name: string, shape: number[], values: Float32Array, trainable: boolean): Variable {
    if (this.params.has(name) || this.buffers.has(name)) throw new Error(`ParamSet: duplicate tensor name "${name}"`);
    const v = this.tf.tidy(() => this.tf.variable(this.tf.tensor(values, shape, 'float32'), trainable));
    map.set(name, v);
    return v;
  }
}

/** Copy a tensor's values (for checks and checkpoints). */
export function readValues(t: Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}
