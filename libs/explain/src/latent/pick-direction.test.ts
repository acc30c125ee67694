import { LATENT_DIRECTIONS_FORMAT, LatentDirections } from '@dermagan/contracts';
import { describe, expect, it } from 'vitest';
import { directionNames, pickDirection } from './pick-direction.ts';

const artifact = LatentDirections.parse({
  format: LATENT_DIRECTIONS_FORMAT,
  generator: { path: '/tmp/gan/checkpoint' },
  wDim: 2,
  numWs: 4,
  sets: [
    { kind: 'sefa', layers: { start: 0, end: 4 }, directions: [[1, 0], [0, 1]], labels: ['SeFa 1', 'SeFa 2'], scales: [1, 1] },
    { kind: 'hyperplane', layers: { start: 0, end: 4 }, directions: [[0.6, 0.8]], labels: ['frame present'], scales: [2.5] },
  ],
});

describe('pickDirection', () => {
  it('finds a direction by label or by kind:index', () => {
    expect(pickDirection(artifact, 'SeFa 2').direction).toEqual([0, 1]);
    expect(pickDirection(artifact, 'hyperplane:0')).toMatchObject({ label: 'frame present', scale: 2.5 });
    expect(directionNames(artifact)).toEqual(['SeFa 1 (sefa:0)', 'SeFa 2 (sefa:1)', 'frame present (hyperplane:0)']);
  });

  it('throws when …', () => {
    expect(() => pickDirection(artifact, 'SeFa 9')).toThrow(/unknown direction "SeFa 9"; this file has: SeFa 1 \(sefa:0\), SeFa 2 \(sefa:1\), frame present \(hyperplane:0\)/);
  });
});

describe('LatentDirections schema', () => {
  it('refuses directions that are not unit vectors, of another width, or labels that do not match', () => {
    const base = { format: LATENT_DIRECTIONS_FORMAT, generator: { path: '/g' }, wDim: 2, numWs: 4 };
    const set = { kind: 'sefa', layers: { start: 0, end: 4 }, directions: [[1, 0]], labels: ['a'], scales: [1] };
    expect(() => LatentDirections.parse({ ...base, sets: [{ ...set, directions: [[2, 0]] }] })).toThrow(/unit vectors/);
    expect(() => LatentDirections.parse({ ...base, sets: [{ ...set, directions: [[1, 0, 0]] }] })).toThrow(/wDim entries/);
    expect(() => LatentDirections.parse({ ...base, sets: [{ ...set, labels: [] }] })).toThrow(/one entry per direction/);
    expect(() => LatentDirections.parse({ ...base, sets: [{ ...set, layers: { start: 0, end: 9 } }] })).toThrow(/\[0, numWs\)/);
  });
});
