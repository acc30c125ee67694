import { ClassifierInputError } from '../errors.ts';
import { Rng } from '../rng.ts';

/** What a split needs of an image. */
export interface Grouped {
  patient: string;
  /** 0 = negative, 1 = positive. */
  label: number;
}

export interface IndexSplit {
  train: number[];
  validation: number[];
}

/**
 * Carve a validation set out of the training side, by patient: no patient has images on both
 * sides. Patients are stratified by whether they have any positive image; within each stratum
 * (patients sorted by id, then shuffled with the seed) whole patients go to validation until it
 * holds `fraction` of that stratum's images (at least one patient per stratum, so validation
 * has both classes). Indices come back in input order.
 */
export function patientGroupedValidation(items: readonly Grouped[], fraction: number, seed: number): IndexSplit {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`patientGroupedValidation: fraction must be in (0, 1), got ${fraction}`);
  const byPatient = new Map<string, number[]>();
  items.forEach((it, i) => {
    const list = byPatient.get(it.patient);
    if (list) list.push(i);
    else byPatient.set(it.patient, [i]);
  });
  const strata: [string[], string[]] = [[], []];
  for (const [patient, idx] of [...byPatient].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    strata[idx.some((i) => items[i]!.label === 1) ? 1 : 0].push(patient);
  }
  const rng = new Rng(seed);
  const inValidation = new Set<string>();
  strata.forEach((patients, stratum) => {
    if (patients.length < 2) {
      throw new ClassifierInputError(
        `patientGroupedValidation: the training side has ${patients.length} patient(s) with ${stratum === 1 ? 'a positive' : 'only negative'} image(s); ` +
          `at least 2 are needed to carve a patient-grouped validation set with both classes`,
      );
    }
    rng.shuffle(patients);
    const images = patients.reduce((n, p) => n + byPatient.get(p)!.length, 0);
    const target = fraction * images;
    let taken = 0;
    for (const p of patients.slice(0, patients.length - 1)) {
      if (taken > 0 && taken >= target) break;
      inValidation.add(p);
      taken += byPatient.get(p)!.length;
    }
  });
  const split: IndexSplit = { train: [], validation: [] };
  items.forEach((it, i) => (inValidation.has(it.patient) ? split.validation : split.train).push(i));
  return split;
}
