/**
 * The portal's view of the platform: it listens to the bus (consumer group `portal`) and writes
 * what happened into its database — trainings with their ticks and snapshots, federations with
 * their rounds, datasets — then tells the browsers (LiveHub). Writes are idempotent, so a
 * redelivered event changes nothing twice. Each snapshot gets a sample grid (16 fixed seeds),
 * rendered in the background while its checkpoint still exists (the trainer keeps only the last).
 */
import type { Subscription } from '@dermagan/bus';
import {
  ArtifactPrefix, CheckpointSaved, DatasetGenerated, DatasetIngested, EvaluationCompleted, ExplanationCompleted, FederationCompleted, FederationFailed,
  FederationRequested, FederationRoundCompleted, FederationRoundStarted, TrainingCompleted, TrainingProgress, TrainingRequested,
  type DermaganEvent, type EventDefinition, type FolderRef,
} from '@dermagan/contracts';
import type { Database } from '@dermagan/db';
import type { ObjectStore } from '@dermagan/store';
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { generatorInfo } from '../explorer/directions.ts';
import type { Renderer } from '../render/renderer.ts';
import { federationId, studyId, trainingId } from './ids.ts';
import type { LiveHub } from './live.ts';
import { addRound, addSnapshot, addTick, setGrid, upsertDataset, upsertRun } from './repository.ts';

/** The seeds of every snapshot's sample grid: the same images at every snapshot, so progress shows. */
export const GRID_SEEDS = Array.from({ length: 16 }, (_, i) => i);
/** Side in pixels each grid image is shown at, at least. */
export const GRID_MIN_SIDE = 64;

export interface IndexerDeps {
  db: Database;
  store: ObjectStore;
  /** Bucket for the grids. */
  bucket: string;
  live: LiveHub;
  renderer: Renderer;
  /** An explanation was announced (its latent directions are now in the store). */
  onAnalysis: () => void;
  onError: (err: unknown, what: string) => void;
}

const DEFINITIONS = [
  TrainingRequested, TrainingProgress, CheckpointSaved, TrainingCompleted, EvaluationCompleted, DatasetIngested, DatasetGenerated,
  FederationRequested, FederationRoundStarted, FederationRoundCompleted, FederationCompleted, FederationFailed, ExplanationCompleted,
] as const;

type AnyEvent = DermaganEvent<Record<string, unknown>>;

export class RunIndexer {
  private grids: Promise<void> = Promise.resolve();

  constructor(private readonly deps: IndexerDeps) {}

  subscription(): Subscription<Record<string, unknown>> {
    const byType = new Map<string, EventDefinition<z.ZodType>>(DEFINITIONS.map((d) => [d.type, d as unknown as EventDefinition<z.ZodType>]));
    return {
      group: 'portal',
      types: [...byType.keys()],
      parse: (raw) => byType.get(String((raw as { type?: unknown }).type))!.parse(raw) as AnyEvent,
      handler: async (event) => this.handle(event),
    };
  }

  /** Wait for the grids queued so far (tests, shutdown). */
  idle(): Promise<void> {
    return this.grids;
  }

  async handle(event: AnyEvent): Promise<void> {
    const { db, live } = this.deps;
    const at = new Date(event.time ?? Date.now());
    const runid = event.runid;
    const tenant = event.tenant ?? null;
    const d = event.data;
    const notify = (kind: 'run' | 'tick' | 'snapshot' | 'round', runId: string, data: Record<string, unknown>, tenants: string[] = []) =>
      live.publish({ kind, runId, tenant, tenants, data });

    switch (event.type) {
      case TrainingRequested.type: {
        const data = d as z.output<typeof TrainingRequested.schema>;
        if (runid) await upsertRun(db, { id: studyId(runid), kind: 'study', name: runid, status: 'running', at, tenant });
        const id = trainingId(runid, data.run);
        const totalKimg = data.config.kimg;
        await upsertRun(db, { id, kind: 'training', name: data.run, study: runid ?? null, tenant, status: 'requested', at, request: data as Record<string, unknown>, summary: { totalKimg, kimg: 0 } });
        notify('run', id, { status: 'requested' });
        return;
      }
      case TrainingProgress.type: {
        const data = d as z.output<typeof TrainingProgress.schema>;
        const id = trainingId(runid, data.run);
        await upsertRun(db, { id, kind: 'training', name: data.run, study: runid ?? null, tenant, status: 'running', at, summary: { kimg: data.kimg, totalKimg: data.totalKimg, ...data.stats } });
        notify('tick', id, { kimg: data.kimg, totalKimg: data.totalKimg, stats: await addTick(db, id, data.kimg, data.stats, at) });
        return;
      }
      case CheckpointSaved.type: {
        const data = d as z.output<typeof CheckpointSaved.schema>;
        const id = trainingId(runid, data.run);
        await upsertRun(db, { id, kind: 'training', name: data.run, study: runid ?? null, tenant, status: 'running', at, summary: { checkpoint: data.checkpoint } });
        if (await addSnapshot(db, id, data.kimg, data.checkpoint as Record<string, unknown>, at)) this.queueGrid(id, data.kimg, data.checkpoint, tenant);
        return;
      }
      case TrainingCompleted.type: {
        const data = d as z.output<typeof TrainingCompleted.schema>;
        const id = trainingId(runid, data.run);
        await upsertRun(db, { id, kind: 'training', name: data.run, study: runid ?? null, tenant, status: 'completed', at, result: data as Record<string, unknown>, summary: { kimg: data.kimg, checkpoint: data.checkpoint, wallSeconds: data.wallSeconds } });
        notify('run', id, { status: 'completed', kimg: data.kimg });
        return;
      }
      case EvaluationCompleted.type: {
        // The study names an evaluation after its run; attach the scores (FID/KID/…) when that run is known.
        const data = d as z.output<typeof EvaluationCompleted.schema>;
        const id = trainingId(runid, data.name);
        const { rowCount } = await db.query('update runs set summary = summary || $2, updated_at = greatest(updated_at, $3) where id = $1', [id, JSON.stringify({ scores: data.scores }), at]);
        if (rowCount > 0) notify('run', id, { scores: data.scores });
        return;
      }
      case DatasetIngested.type:
      case DatasetGenerated.type: {
        const data = d as { dataset: FolderRef; accepted?: number; count?: number; name?: string };
        await upsertDataset(db, {
          bucket: data.dataset.bucket,
          prefix: data.dataset.prefix,
          name: data.name ?? data.dataset.prefix.replace(/\/+$/, '').split('/').pop()!,
          kind: event.type === DatasetGenerated.type ? 'synthetic' : 'real',
          count: data.count ?? data.accepted ?? 0,
          ref: data.dataset as Record<string, unknown>,
          at,
        });
        return;
      }
      case FederationRequested.type: {
        if (!runid) return;
        const data = d as z.output<typeof FederationRequested.schema>;
        const tenants = data.tenants.map((t) => t.tenant);
        // Public keys are not secrets, but nobody reading the portal needs them.
        const request = { ...data, tenants: data.tenants.map(({ publicKey: _k, ...t }) => t) };
        await upsertRun(db, { id: federationId(runid), kind: 'federation', name: runid, tenants, status: 'requested', at, request, summary: { rounds: data.rounds, round: 0, strategy: data.strategy.name, secagg: data.secagg } });
        notify('run', federationId(runid), { status: 'requested' }, tenants);
        return;
      }
      case FederationRoundStarted.type: {
        if (!runid) return;
        const data = d as z.output<typeof FederationRoundStarted.schema>;
        await upsertRun(db, { id: federationId(runid), kind: 'federation', name: runid, status: 'running', at, summary: { startedRound: data.round } });
        return;
      }
      case FederationRoundCompleted.type: {
        if (!runid) return;
        const data = d as z.output<typeof FederationRoundCompleted.schema>;
        const id = federationId(runid);
        await upsertRun(db, { id, kind: 'federation', name: runid, status: 'running', at, summary: { round: data.round, accepted: data.accepted.length, participants: data.participants.length, dropped: data.dropped.length, rejected: data.rejected.length } });
        if (await addRound(db, id, data.round, data.attempt, data as Record<string, unknown>, at)) {
          const { rows } = await db.query<{ tenants: string[] }>('select tenants from runs where id = $1', [id]);
          notify('round', id, data as Record<string, unknown>, rows[0]?.tenants ?? []);
        }
        return;
      }
      case ExplanationCompleted.type: {
        this.deps.onAnalysis();
        return;
      }
      case FederationCompleted.type:
      case FederationFailed.type: {
        if (!runid) return;
        const failed = event.type === FederationFailed.type;
        const id = federationId(runid);
        await upsertRun(db, { id, kind: 'federation', name: runid, status: failed ? 'failed' : 'completed', at, result: d });
        notify('run', id, { status: failed ? 'failed' : 'completed' });
        return;
      }
    }
  }

  private queueGrid(runId: string, kimg: number, checkpoint: FolderRef, tenant: string | null): void {
    const work = async () => {
      const { db, store, bucket, renderer, live } = this.deps;
      try {
        // Small training resolutions are upscaled (nearest neighbour) so each image is at least GRID_MIN_SIDE pixels.
        const { resolution } = await generatorInfo(store, checkpoint);
        const png = await renderer.render({ checkpoint, seeds: GRID_SEEDS, truncation: 1, classIndex: null, edits: [], columns: 8, scale: Math.max(1, Math.ceil(GRID_MIN_SIDE / resolution)) });
        const key = `${ArtifactPrefix.portal}grids/${createHash('sha256').update(runId).digest('hex').slice(0, 16)}/${kimg.toFixed(3).padStart(12, '0')}.png`;
        const ref = await store.put(bucket, key, png, { contentType: 'image/png' });
        await setGrid(db, runId, kimg, ref as Record<string, unknown>, null);
        live.publish({ kind: 'snapshot', runId, tenant, tenants: [], data: { kimg, grid: true } });
      } catch (err) {
        const gone = !(await this.deps.store.stat(checkpoint.manifest.bucket, checkpoint.manifest.key).catch(() => null));
        const reason = gone ? 'the trainer replaced this checkpoint with a newer one before its grid was made' : `the grid could not be rendered: ${(err as Error).message}`;
        await setGrid(db, runId, kimg, null, reason).catch(() => {});
        if (!gone) this.deps.onError(err, `sample grid of ${runId} at ${kimg} kimg`);
        live.publish({ kind: 'snapshot', runId, tenant, tenants: [], data: { kimg, grid: false, reason } });
      }
    };
    this.grids = this.grids.then(work, work);
  }
}
