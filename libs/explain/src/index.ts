/**
 * @dermagan/explain: why the classifier decides and where real and synthetic images differ —
 * embeddings (t-SNE, UMAP, the 3-D page), edge cases and their latent neighbours, attributions
 * (integrated gradients, XRAI, Grad-CAM), latent directions (SeFa, GANSpace, hyperplanes), the
 * dermoscope-frame detector and the frame-removal experiment.
 */
export * from './errors.ts';
export * from './defaults.ts';
export * from './embedding/matrix.ts';
export * from './embedding/pca.ts';
export * from './embedding/affinities.ts';
export * from './embedding/tsne.ts';
export * from './embedding/umap.ts';
export * from './embedding/view-3d.ts';
export * from './embedding/scatter-svg.ts';
export * from './attribution/felzenszwalb.ts';
export * from './attribution/integrated-gradients.ts';
export * from './attribution/xrai.ts';
export * from './attribution/grad-cam.ts';
export * from './attribution/classifier-score.ts';
export * from './attribution/heatmap.ts';
export * from './latent/generator-ops.ts';
export * from './latent/sefa.ts';
export * from './latent/ganspace.ts';
export * from './latent/hyperplane.ts';
export * from './latent/neighbours.ts';
export * from './latent/edit.ts';
export * from './frame-detector.ts';
export * from './edge-cases.ts';
export * from './auc-change.ts';
export type { AttributeDetector, Projector } from './steps/context.ts';
export * from './explain.ts';
export * from './latent/pick-direction.ts';
