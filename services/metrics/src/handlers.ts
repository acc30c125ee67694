/**
 * The metrics service's work: `evaluation.requested` → features of the real and the synthetic
 * images in the requested space → FID/KID/PR/DC/authenticity with provenance →
 * `evaluation.completed`. Bad requests (unknown extractor, too few images) are not retriable and
 * end in the dead-letter topic with the reason.
 */
import type { Subscription } from '@dermagan/bus';
import { EvaluationCompleted, EvaluationRequested, type DermaganEvent } from '@dermagan/contracts';
import { pixelChunks, readManifest, selectImages, type SelectOptions } from '@dermagan/dataset';
import {
  createExtractor, evaluateFeatures, evaluateOptionsFrom, extractFeaturesFrom, extractorProvenance, METRIC_NAMES, MetricInputError, sampleInOrder, type MetricName,
} from '@dermagan/metrics';
import type { FolderCache } from '@dermagan/runtime';
import type { TfBackend } from '@dermagan/tf';
import type { z } from 'zod';

export type EvaluationRequestedData = z.output<typeof EvaluationRequested.schema>;

export interface MetricsDeps {
  folders: FolderCache;
  /** The tfjs backend the network-backed feature extractors run on (the service's DERMAGAN_TF_BACKEND setting). */
  backend: TfBackend;
  /** Model URIs of the weight-backed extractors (e.g. inception-v3-pool3 → file:///models/inception/model.json). */
  modelUris?: Record<string, string>;
  /** Scores as they are made (Prometheus gauges). */
  onScores?: (name: string, scores: Record<string, number>) => void;
}

export const METRICS_SOURCE = '/dermagan/metrics';

export async function handleEvaluationRequested(event: DermaganEvent<EvaluationRequestedData>, deps: MetricsDeps) {
  const request = event.data;
  const metrics = request.metrics.map((m) => {
    if (!(METRIC_NAMES as readonly string[]).includes(m)) throw new MetricInputError(`unknown metric "${m}"; known: ${METRIC_NAMES.join(', ')}`);
    return m as MetricName;
  });

  // The real images (split and class as asked) and the synthetic ones, at most maxImages of each:
  // read a chunk at a time while their features are extracted (only features are held).
  const { maxImages, sampleSeed = 0 } = request.options;
  const real = await openSample(await deps.folders.fetch(request.real), {
    ...(request.realSplit === null ? {} : { split: request.realSplit }),
    ...(request.realClass === null ? {} : { labels: [request.realClass] }),
  }, maxImages, sampleSeed);
  const fake = await openSample(await deps.folders.fetch(request.fake), {}, maxImages, sampleSeed);
  if (real.size !== fake.size) {
    throw new MetricInputError(`real images are ${real.size}² but synthetic ones ${fake.size}²: generate at the dataset's size`);
  }

  // Features in the requested space.
  const modelUri = deps.modelUris?.[request.extractor];
  const extractor = await createExtractor(request.extractor, {
    tf: deps.backend.tf,
    ...(modelUri === undefined ? {} : { modelUri }),
    ...(request.options.preprocessing === undefined ? {} : { preprocessing: request.options.preprocessing }),
  });
  try {
    const realFeatures = await extractFeaturesFrom(extractor, real.pixels(), real.entries.length, real.size);
    const fakeFeatures = await extractFeaturesFrom(extractor, fake.pixels(), fake.entries.length, fake.size);

    // Scores with provenance.
    const report = evaluateFeatures(realFeatures, fakeFeatures, {
      metrics,
      ...evaluateOptionsFrom(request.options),
      extractor: extractorProvenance(extractor),
      imageSize: real.size,
      inputs: {
        real: { source: `${request.real.bucket}/${request.real.prefix}`, sha256: real.manifest.fingerprint, kind: 'dataset' },
        fake: { source: `${request.fake.bucket}/${request.fake.prefix}`, sha256: fake.manifest.fingerprint, kind: 'dataset' },
      },
    });
    const scores = Object.fromEntries(Object.entries(report.scores).filter((e): e is [string, number] => typeof e[1] === 'number'));
    deps.onScores?.(request.name, scores);
    return EvaluationCompleted.create(
      {
        name: request.name,
        scores,
        provenance: {
          ...report.provenance,
          realSelection: { split: request.realSplit, class: request.realClass, n: real.entries.length },
          fakeN: fake.entries.length,
          ...(maxImages === undefined ? {} : { sample: { maxImages, seed: sampleSeed, realAvailable: real.available, fakeAvailable: fake.available } }),
        } as Record<string, unknown>,
      },
      { source: METRICS_SOURCE, causedBy: event },
    );
  } finally {
    extractor.dispose?.();
  }
}

/** The images of a dataset a selection keeps, or a seeded sample of `max` of them; their pixels read a chunk at a time. */
async function openSample(dir: string, select: SelectOptions, max: number | undefined, seed: number) {
  const manifest = await readManifest(dir);
  const selected = selectImages(manifest, select);
  const entries = sampleInOrder(selected, max, seed);
  return { entries, size: manifest.size, manifest, available: selected.length, pixels: () => pixelChunks(dir, manifest, entries) };
}

export function metricsSubscription(deps: MetricsDeps): Subscription<EvaluationRequestedData> {
  return {
    group: 'metrics',
    types: [EvaluationRequested.type],
    parse: (raw) => EvaluationRequested.parse(raw),
    handler: async (event, context) => context.publish(await handleEvaluationRequested(event, deps)),
  };
}
