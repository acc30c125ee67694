/**
 * @dermagan/gan — StyleGAN2-ADA (Karras et al. 2020) on tfjs: networks, losses, ADA, the
 * resumable training loop, checkpoints and sampling. Get `tf` from `loadTf()` (@dermagan/tf).
 */
export * from './config.ts';
export { Generator } from './generator.ts';
export { Discriminator } from './discriminator.ts';
export { MappingNetwork } from './mapping.ts';
export { SynthesisNetwork, type NoiseMode, type NoiseInput, type SynthesisCall } from './synthesis.ts';
export { StyleGAN2Loss, NonFiniteLossError, PHASES, type Phase, type PhaseInputs, type PhaseResult, type AugmentFn } from './loss.ts';
export { Adam, lazyRegAdam } from './adam.ts';
export { emaBeta } from './ema.ts';
export { Rng, type RngState } from './rng.ts';
export { ParamSet } from './params.ts';
export { Trainer, DEFAULT_AUGMENT, type AugmentConfig, type TrainerOptions, type TickStats, type RunOptions } from './training-loop.ts';
export { loadTrainingData, inMemoryData, resizeImages, TrainingDataError, type TrainingData, type LoadDataOptions } from './training-data.ts';
export {
  FolderCheckpointSink,
  GAN_CHECKPOINT_FOLDER,
  MemoryCheckpointSink,
  CheckpointError,
  encodeCheckpoint,
  decodeCheckpoint,
  readCheckpoint,
  loadCheckpoint,
  CHECKPOINT_FORMAT,
  META_FILE,
  type CheckpointSink,
  type CheckpointFiles,
} from './checkpoint.ts';
export { loadGenerator, generateImages, generateDataset, GenerateError, type GenerateOptions, type LoadedGenerator, type GeneratedImage } from './generate.ts';
export { registerEngineGradients } from './ops/register-gradients.ts';
export { createAugmentPipe, type AugmentPipe, type AugmentPipeName } from './augment.ts';
export { AdaController } from './ada.ts';
export { runTraining, TRAINING_RUN_FOLDER, type TrainRunOptions, type TrainRunResult } from './run-training.ts';
export { GAN_TRAINING_DEFAULTS } from './defaults.ts';
export { ganConfigFrom, trainerOptionsFrom, withGanDefaults } from './options.ts';
export { benchGan, type BenchOptions, type BenchResult } from './bench.ts';
export { generatorPath, type GeneratorPath, type PathRng } from './path-generator.ts';
export { renderImages, CheckpointRenderer, type RenderSpec, type CheckpointRendererOptions } from './render.ts';
export * from './snapshot-metrics.ts';
export { CheckpointMeta, TrainerOptionsSchema, type CheckpointMetaInput } from './checkpoint-meta.ts';
export { StoreCheckpointSink } from './store-checkpoint-sink.ts';
export { freshModel, type FreshModelOptions } from './fresh-model.ts';
export { trainerToWeightSet, loadWeightSet, resetMoments, proximalStep, snapshotParams } from './weight-set.ts';
export { initialGlobalModel, saveGlobalModel, sampleGlobalModel } from './global-model.ts';
