/**
 * Find one direction in a directions artifact by name: its label (`SeFa 2`, `frame present`) or
 * `kind:index` (`ganspace:0`). An unknown name is an error that lists the names there are.
 */
import type { DirectionSet, LatentDirections } from '@dermagan/contracts';
import { ExplainInputError } from '../errors.ts';

export interface PickedDirection {
  set: DirectionSet;
  index: number;
  direction: number[];
  label: string;
  scale: number;
}

/** Every name a direction answers to, in artifact order. */
export function directionNames(artifact: LatentDirections): string[] {
  return artifact.sets.flatMap((s) => s.labels.map((label, i) => `${label} (${s.kind}:${i})`));
}

export function pickDirection(artifact: LatentDirections, name: string): PickedDirection {
  const key = name.trim();
  for (const set of artifact.sets) {
    for (let i = 0; i < set.directions.length; i++) {
      if (set.labels[i] === key || `${set.kind}:${i}` === key) {
        return { set, index: i, direction: set.directions[i]!, label: set.labels[i]!, scale: set.scales[i]! };
      }
    }
  }
  throw new ExplainInputError(`unknown direction "${name}"; this file has: ${directionNames(artifact).join(', ') || 'none'}`);
}
