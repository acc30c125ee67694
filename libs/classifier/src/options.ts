/**
 * From a utility request's options (@dermagan/contracts ClassifierOptions) to an experiment: the
 * training options (absent ones take DEFAULT_TRAIN_OPTIONS in runExperiment) and the synthetic-set
 * selection. The one mapping the classifier service uses.
 */
import type { ClassifierOptions } from '@dermagan/contracts';
import type { TrainOptions } from './defaults.ts';

export interface ExperimentOptionsFrom {
  train: Partial<TrainOptions>;
  /** real+synth: synthetic images per real training image (undefined = the scenario's default). */
  synthRatio: number | undefined;
  /** real+synth: only these synthetic classes are added (undefined = all). */
  synthClasses: number[] | undefined;
  /** Bootstrap resamples of the test intervals (undefined = the report's default). */
  resamples: number | undefined;
}

export function experimentOptionsFrom(options: ClassifierOptions): ExperimentOptionsFrom {
  const { synthRatio, synthClasses, resamples, ...rest } = options;
  const train = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<TrainOptions>;
  return { train, synthRatio, synthClasses, resamples };
}
