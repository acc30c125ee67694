import { z } from 'zod';
import { FolderRef, OutputLocation } from '../artifact.ts';
import { defineEvent } from '../event.ts';

/** Explanations of a classifier and a generator (services/explainer, libs/explain). */

/** The parts an explanation can run (libs/explain EXPLAIN_PARTS). */
export const ExplainPart = z.enum(['embeddings', 'edge-cases', 'xrai', 'directions', 'frame-removal']);
export type ExplainPart = z.infer<typeof ExplainPart>;

export const ExplanationRequested = defineEvent(
  'org.dermagan.explanation.requested.v1',
  z.object({
    /** Name of the explanation (e.g. the study run). */
    name: z.string().min(1),
    /** The classifier explained: a model folder written by the classifier service (classifier.json + model/). */
    classifier: FolderRef,
    /** The real dataset (its train split gives edge cases; its test split tests retrained classifiers). */
    real: FolderRef,
    /** Synthetic datasets to embed beside the real images, by name. */
    synthetic: z.array(z.object({ name: z.string().min(1), dataset: FolderRef })).default([]),
    /** Generator checkpoint (G_ema) for directions, latent neighbours and frame removal; null = those parts are skipped. */
    generator: FolderRef.nullable().default(null),
    parts: z.array(ExplainPart).min(1).default(['embeddings', 'edge-cases', 'xrai', 'directions', 'frame-removal']),
    /** libs/explain options (sizes, seeds, counts), validated by the library. */
    options: z.record(z.string(), z.unknown()).default({}),
    output: OutputLocation,
  }),
);

export const ExplanationCompleted = defineEvent(
  'org.dermagan.explanation.completed.v1',
  z.object({
    name: z.string(),
    /** The explanation folder: summary.json (its manifest), embeddings, heat maps, edit strips, directions.json, view-3d.html. */
    explanation: FolderRef,
    /** Headline numbers (edge cases, AUC changes with CIs, frame shares), flat. */
    numbers: z.record(z.string(), z.number().nullable()),
    /** Parts that ran and parts skipped, with the reason. */
    skipped: z.record(z.string(), z.string()).default({}),
    provenance: z.record(z.string(), z.unknown()),
  }),
);
