/**
 * The explainer's work: `explanation.requested` (a classifier, the real and synthetic datasets, a
 * generator checkpoint) → libs/explain runExplanation over the fetched folders → the explanation
 * folder in the store (summary.json last) → `explanation.completed` with the headline numbers.
 * Bad requests (a dataset of another size, an unknown part or option) are ExplainInputErrors or
 * classifier/dataset input errors: not retriable, so they go to the dead-letter topic with the reason.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Subscription } from '@dermagan/bus';
import { DERMAGAN_VERSION, ExplanationCompleted, ExplanationRequested, type DermaganEvent } from '@dermagan/contracts';
import { runExplanation, SUMMARY_FILE, type Projector } from '@dermagan/explain';
import { publishFolder, type FolderCache } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import type { TfBackend } from '@dermagan/tf';
import type { z } from 'zod';

export type ExplanationRequestedData = z.output<typeof ExplanationRequested.schema>;

export interface ExplainerDeps {
  store: ObjectStore;
  folders: FolderCache;
  /** Local work folder (one sub-folder per request, removed when it is done). */
  workDir: string;
  /** The tfjs backend the wiring loaded (the service's DERMAGAN_TF_BACKEND setting). */
  backend: TfBackend;
  /** Real images → W (libs/projector); absent = latent neighbours are skipped with the reason. */
  projector?: Projector;
  /** Progress of a step (Prometheus, logs). */
  onProgress?: (name: string, step: string, done: number, total: number) => void;
  /** Headline numbers when an explanation completes. */
  onCompleted?: (name: string, numbers: Record<string, number | null>, seconds: number) => void;
}

export const EXPLAINER_SOURCE = '/dermagan/explainer';

export async function handleExplanationRequested(event: DermaganEvent<ExplanationRequestedData>, deps: ExplainerDeps) {
  const request = event.data;
  const work = join(deps.workDir, `explain-${event.id}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    // Fetch the classifier, the datasets and the generator.
    const classifier = await deps.folders.fetch(request.classifier);
    const real = await deps.folders.fetch(request.real);
    const synthetic = [];
    for (const s of request.synthetic) synthetic.push({ name: s.name, dir: await deps.folders.fetch(s.dataset) });
    const generator = request.generator ? { dir: await deps.folders.fetch(request.generator), ref: request.generator } : null;

    // Explain.
    const { tf, info } = deps.backend;
    const out = join(work, 'explanation');
    const summary = await runExplanation(tf, info, {
      name: request.name,
      classifier,
      real,
      synthetic,
      generator,
      parts: request.parts,
      options: request.options,
      out,
      projector: deps.projector ?? null,
      onProgress: (step, done, total) => deps.onProgress?.(request.name, step, done, total),
    });

    // Publish the folder (summary.json last) and announce it.
    const explanation = await publishFolder(deps.store, out, request.output, SUMMARY_FILE);
    deps.onCompleted?.(request.name, summary.numbers, Number(summary.provenance.wallSeconds));
    return ExplanationCompleted.create(
      { name: request.name, explanation, numbers: summary.numbers, skipped: summary.skipped, provenance: { ...summary.provenance, dermaganVersion: DERMAGAN_VERSION } },
      { source: EXPLAINER_SOURCE, causedBy: event },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export function explainerSubscription(deps: ExplainerDeps): Subscription<ExplanationRequestedData> {
  return {
    group: 'explainer',
    types: [ExplanationRequested.type],
    parse: (raw) => ExplanationRequested.parse(raw),
    handler: async (event, context) => context.publish(await handleExplanationRequested(event, deps)),
  };
}
