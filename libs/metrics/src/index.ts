/**
 * @dermagan/metrics: GAN evaluation metrics as pure functions over feature matrices, the feature
 * extractors that make those matrices, and the provenance every score carries.
 */
export * from './features-matrix.ts';
export * from './defaults.ts';
export * from './keys.ts';
export * from './compute.ts';
export * from './random.ts';
export * from './statistics.ts';
export * from './stats-io.ts';
export * from './fid.ts';
export * from './kid.ts';
export * from './distances.ts';
export * from './neighbourhoods.ts';
export * from './precision-recall.ts';
export * from './density-coverage.ts';
export * from './alpha-beta-authenticity.ts';
export * from './ppl.ts';
export * from './ppl-lpips.ts';
export * from './resize.ts';
export * from './features.ts';
export * from './extractors/pixel-projection.ts';
export * from './extractors/tf-model.ts';
export * from './extractors/registry.ts';
export * from './extractors/inception-2015.ts';
export * from './extractors/efficientnet-lite2.ts';
export * from './networks/preprocess.ts';
export * from './networks/inception-2015.ts';
export * from './networks/lpips-vgg16.ts';
export * from './networks/lpips.ts';
export * from './provenance.ts';
export * from './evaluate.ts';
export * from './request-options.ts';
export * from './snapshot-fid.ts';
export { symmetricEigen, EigenError } from './linalg/symmetric-eigen.ts';
export { pivotedCholesky } from './linalg/pivoted-cholesky.ts';
export { ZipError } from '@dermagan/npy';
