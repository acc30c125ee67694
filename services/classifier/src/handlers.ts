/**
 * The classifier service's work: `utility.requested` → train the melanoma classifier on real,
 * synthetic or real + synthetic images → test it on the real held-out images → the model folder in
 * the store → `utility.completed` with the measures (AUC, PR-AUC, balanced accuracy, sensitivity,
 * specificity, prevalence, CIs). A redelivered request resumes from the last epoch's checkpoint.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Subscription } from '@dermagan/bus';
import { DERMAGAN_VERSION, UtilityCompleted, UtilityRequested, type DermaganEvent } from '@dermagan/contracts';
import { DEFAULT_TRAIN_OPTIONS, experimentOptionsFrom, runExperiment } from '@dermagan/classifier';
import { mergeDatasets, readManifest } from '@dermagan/dataset';
import { publishFolder, type FolderCache } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import type { TfBackend } from '@dermagan/tf';
import type { z } from 'zod';

export type UtilityRequestedData = z.output<typeof UtilityRequested.schema>;

export interface ClassifierDeps {
  store: ObjectStore;
  folders: FolderCache;
  /** Local work folder (one sub-folder per request id, kept until the request succeeds, for resume). */
  workDir: string;
  /** The tfjs backend the wiring loaded (the service's DERMAGAN_TF_BACKEND setting). */
  backend: TfBackend;
  onEpoch?: (name: string, epoch: number, validationAuc: number) => void;
}

export const CLASSIFIER_SOURCE = '/dermagan/classifier';

/** `signal`: aborted when the service shuts down; training stops after its epoch in progress and the request is handed back (it resumes there). */
export async function handleUtilityRequested(event: DermaganEvent<UtilityRequestedData>, deps: ClassifierDeps, signal?: AbortSignal) {
  const request = event.data;
  const { train, synthRatio, synthClasses, resamples } = experimentOptionsFrom(request.config);
  const work = join(deps.workDir, `utility-${event.id}`);
  await mkdir(work, { recursive: true });

  // Fetch the real data and the synthetic set(s) (several are merged into one).
  const real = await deps.folders.fetch(request.real);
  let synthetic: string | undefined;
  if (request.synth.length === 1) synthetic = await deps.folders.fetch(request.synth[0]!);
  if (request.synth.length > 1) {
    synthetic = join(work, 'synthetic');
    await rm(synthetic, { recursive: true, force: true });
    await mergeDatasets(await Promise.all(request.synth.map((s) => deps.folders.fetch(s))), synthetic, `${request.name}-synthetic`);
  }
  if (request.scenario !== 'real' && !synthetic) throw new Error(`utility ${request.name}: scenario ${request.scenario} needs a synthetic dataset`);
  const synthPerClass = synthClasses && synthetic ? await perClass(synthetic, synthClasses) : undefined;

  // Train (resuming from this request's last epoch when it was interrupted) and test on real images.
  const { tf, info } = deps.backend;
  const out = join(work, 'model');
  const { json } = await runExperiment(tf, info, {
    data: {
      scenario: request.scenario,
      real,
      ...(synthetic ? { synthetic } : {}),
      ...(synthRatio === undefined ? {} : { synthRatio }),
      ...(synthPerClass ? { synthPerClass } : {}),
    },
    train,
    out,
    resume: true,
    ...(signal ? { signal } : {}),
    ...(resamples === undefined ? {} : { resamples }),
    onProgress: (p) => {
      if (p.kind === 'epoch') deps.onEpoch?.(request.name, p.record.epoch, p.record.validationAuc);
    },
  });

  // Publish the model and the test report.
  const model = await publishFolder(deps.store, out, request.output, 'classifier.json');
  const card = JSON.parse(await readFile(join(out, 'classifier.json'), 'utf8')) as { provenance?: Record<string, unknown> };
  await rm(work, { recursive: true, force: true });
  return UtilityCompleted.create(
    {
      name: request.name,
      scenario: request.scenario,
      measures: flattenCis(json),
      model,
      provenance: { ...card.provenance, backend: info, dermaganVersion: DERMAGAN_VERSION, defaults: DEFAULT_TRAIN_OPTIONS },
    },
    { source: CLASSIFIER_SOURCE, causedBy: event },
  );
}

/** [negatives, positives] synthetic images to draw: all of the chosen classes, none of the others. */
async function perClass(dir: string, classes: number[]): Promise<[number, number]> {
  const manifest = await readManifest(dir);
  const count = (c: number) => (classes.includes(c) ? manifest.images.filter((e) => e.label === c).length : 0);
  return [count(0), count(1)];
}

/** `ci: {auc: {low, high}}` → `auc_ci: [low, high]`, the report's flat form. */
function flattenCis(json: Record<string, unknown>): Record<string, unknown> {
  const { ci, ...rest } = json as { ci: Record<string, { low: number | null; high: number | null }> | null };
  const flat: Record<string, unknown> = { ...rest };
  for (const [key, value] of Object.entries(ci ?? {})) flat[`${key}_ci`] = [value.low, value.high];
  return flat;
}

export function classifierSubscription(deps: ClassifierDeps): Subscription<UtilityRequestedData> {
  return {
    group: 'classifier',
    types: [UtilityRequested.type],
    parse: (raw) => UtilityRequested.parse(raw),
    handler: async (event, context) => context.publish(await handleUtilityRequested(event, deps, context.signal)),
  };
}
