/**
 * Helpers for this library's tests: tiny hand-made weight sets. Not exported from index.ts.
 */
import type { GanScalars, NamedTensor, WeightSet } from './weights.ts';

/** A weight set from `{ name: values }` (1-d tensors) or `{ name: [values, shape] }`. */
export function ws(tensors: Record<string, number[] | [number[], number[]]>, scalars: GanScalars = {}): WeightSet {
  const list: NamedTensor[] = Object.entries(tensors).map(([name, spec]) => {
    const [values, shape] = Array.isArray(spec[0]) ? (spec as [number[], number[]]) : [spec as number[], [(spec as number[]).length]];
    return { name, shape, data: Float32Array.from(values) };
  });
  return { tensors: list, scalars };
}

/** A tensor's values as a plain array. */
export function values(set: WeightSet, name: string): number[] {
  const t = set.tensors.find((x) => x.name === name);
  if (!t) throw new Error(`values: no tensor ${name} in [${set.tensors.map((x) => x.name).join(', ')}]`);
  return [...t.data];
}
