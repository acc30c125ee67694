/**
 * @dermagan/projector — real images into a generator's latent space (NVlabs projector.py, batched
 * and resumable), and the privacy audit built on it: can the generator give a patient's image away?
 */
export * from './errors.ts';
export * from './options.ts';
export * from './schedule.ts';
export * from './w-stats.ts';
export * from './noise-regulariser.ts';
export * from './perceptual.ts';
export * from './per-image-adam.ts';
export * from './state.ts';
export * from './state-store.ts';
export * from './step.ts';
export * from './batch.ts';
export * from './project.ts';
export * from './selection.ts';
export * from './compatibility.ts';
export * from './spaces.ts';
export * from './csv.ts';
export * from './claim-folder.ts';
export * from './job-file.ts';
export * from './outputs.ts';
export * from './latent-files.ts';
export * from './synthesize-projection.ts';
export * from './regenerate-dataset.ts';
export * from './project-dataset.ts';
export * from './lpips-features.ts';
export * from './perceptual-registry.ts';
export * from './testing.ts';
export * from './audit/index.ts';
export * from './project-to-w.ts';
