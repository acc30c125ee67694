import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.ts';
import { patientGroupedValidation, type Grouped } from './split.ts';

function population(seed: number): Grouped[] {
  const rng = new Rng(seed);
  const items: Grouped[] = [];
  for (let p = 0; p < 120; p++) {
    const positive = rng.next() < 0.1;
    const images = 1 + rng.int(4);
    for (let k = 0; k < images; k++) items.push({ patient: `p${p}`, label: positive && k === 0 ? 1 : 0 });
  }
  return items;
}

describe('patientGroupedValidation', () => {
  it.each([1, 2, 3, 4, 5])('seed %i: no patient on both sides, both classes in validation, about the fraction of each stratum', (seed) => {
    const items = population(seed);
    const { train, validation } = patientGroupedValidation(items, 0.2, seed);
    expect(train.length + validation.length).toBe(items.length);
    const trainPatients = new Set(train.map((i) => items[i]!.patient));
    for (const i of validation) expect(trainPatients.has(items[i]!.patient)).toBe(false);
    expect(validation.some((i) => items[i]!.label === 1)).toBe(true);
    expect(validation.some((i) => items[i]!.label === 0)).toBe(true);
    expect(validation.length / items.length).toBeGreaterThan(0.15);
    expect(validation.length / items.length).toBeLessThan(0.3);
  });
  it('is a function of the seed', () => {
    const items = population(1);
    expect(patientGroupedValidation(items, 0.2, 9)).toEqual(patientGroupedValidation(items, 0.2, 9));
    expect(patientGroupedValidation(items, 0.2, 9)).not.toEqual(patientGroupedValidation(items, 0.2, 10));
  });
  it('throws when one class has fewer than two patients', () => {
    const items: Grouped[] = [
      { patient: 'a', label: 1 },
      { patient: 'a', label: 0 },
      { patient: 'b', label: 0 },
      { patient: 'c', label: 0 },
    ];
    expect(() => patientGroupedValidation(items, 0.2, 1)).toThrow(/1 patient\(s\) with a positive image/);
  });
});
