/**
 * From an evaluation request's options (@dermagan/contracts EvaluationOptions) to
 * `evaluateFeatures`' options: the one mapping (the request says `k`, the library `prK`). Absent
 * options stay absent, so DEFAULTS applies.
 */
import type { EvaluationOptions } from '@dermagan/contracts';
import type { EvaluateOptions } from './evaluate.ts';

export function evaluateOptionsFrom(o: EvaluationOptions): Pick<EvaluateOptions, 'kidSubsets' | 'kidSubsetSize' | 'kidSeed' | 'prK' | 'dcK' | 'alphaSteps'> {
  return {
    ...(o.kidSubsets === undefined ? {} : { kidSubsets: o.kidSubsets }),
    ...(o.kidSubsetSize === undefined ? {} : { kidSubsetSize: o.kidSubsetSize }),
    ...(o.kidSeed === undefined ? {} : { kidSeed: o.kidSeed }),
    ...(o.k === undefined ? {} : { prK: o.k }),
    ...(o.dcK === undefined ? {} : { dcK: o.dcK }),
    ...(o.alphaSteps === undefined ? {} : { alphaSteps: o.alphaSteps }),
  };
}
