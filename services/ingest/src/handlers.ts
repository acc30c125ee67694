/**
 * The ingest service's work: `ingest.requested` → ingest() into a temporary folder → upload to the
 * store → `dataset.ingested`. main.ts only wires this to the bus and the store.
 *
 * Failure policy (the bus acts on `retriable`):
 * - a source that cannot be read (missing/malformed CSV, bad options) is an IngestError, not
 *   retriable: the event goes to the dead-letter topic with the message;
 * - a store outage (StoreUnavailableError) is retriable: the bus tries the event again later, and
 *   the re-run writes the same objects (ingest is deterministic, puts are atomic);
 * - bad images are not failures: they are in the manifest's quarantine list.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import type { HandlerContext, Subscription } from '@dermagan/bus';
import { DatasetIngested, IngestRequested, type DermaganEvent } from '@dermagan/contracts';
import { ingest, type IngestProgress } from '@dermagan/ingest';
import { publishFolder } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';

export type IngestRequestedData = z.output<typeof IngestRequested.schema>;
export type DatasetIngestedData = z.output<typeof DatasetIngested.schema>;

export interface IngestHandlerDeps {
  /** Where datasets are uploaded. */
  store: ObjectStore;
  /** Parent of the temporary dataset folders (default the OS temp folder). */
  workDir?: string;
  /** Progress of the current ingest (logs, metrics); default none. */
  onProgress?: (event: DermaganEvent<IngestRequestedData>, progress: IngestProgress) => void;
}

/** The CloudEvents `source` of the events this service emits. */
export const INGEST_SOURCE = '/dermagan/ingest';

/**
 * Handle one `ingest.requested`: returns the `dataset.ingested` event to publish (caused by the
 * request: same runid and tenant, causationid = its id). Aborting `signal` stops between images.
 */
export async function handleIngestRequested(
  event: DermaganEvent<IngestRequestedData>,
  deps: IngestHandlerDeps,
  signal?: AbortSignal,
): Promise<DermaganEvent<DatasetIngestedData>> {
  const request = event.data;
  const work = await mkdtemp(join(deps.workDir ?? tmpdir(), 'dermagan-ingest-'));
  try {
    // Ingest into a local folder.
    const result = await ingest(
      {
        data: request.source.path,
        images: request.source.images,
        source: request.source.kind,
        out: join(work, 'dataset'),
        size: request.size,
        split: request.split,
        seed: request.seed,
        tenants: request.tenants,
        minSide: request.minSide,
        name: request.output.prefix.replace(/\/+$/, '').split('/').pop(),
        signal,
      },
      deps.onProgress && ((p) => deps.onProgress!(event, p)),
    );

    // Upload shards, then the manifest (each shard checked against the manifest's hash).
    const dataset = await publishFolder(deps.store, result.outDir, request.output, 'manifest.json', new Map(result.manifest.shards.map((s) => [s.file, s.sha256])));

    // Announce the dataset.
    return DatasetIngested.create(
      {
        dataset,
        accepted: result.accepted,
        quarantined: result.quarantined.length,
        fingerprint: result.manifest.fingerprint,
      },
      { source: INGEST_SOURCE, causedBy: event },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The bus subscription of the ingest service (consumer group `ingest`). */
export function ingestSubscription(deps: IngestHandlerDeps): Subscription<IngestRequestedData> {
  return {
    group: 'ingest',
    types: [IngestRequested.type],
    parse: (raw) => IngestRequested.parse(raw),
    handler: async (event, context: HandlerContext) => {
      await context.publish(await handleIngestRequested(event, deps, context.signal));
    },
  };
}
