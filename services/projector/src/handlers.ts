/**
 * The projector's work, in event order:
 *   `projection.requested` → fetch the checkpoint and the dataset → project the selected images
 *   (batched; every image's state saved in the store) → publish the folder (w.npy, noise/,
 *   projected/, projections.csv, projection.json) → `projection.completed`;
 *   `audit.requested` → fetch checkpoint, members and non-members → the privacy audit (its two
 *   projections' states in the store) → publish its folder and `privacy-audit.json` (the portal's
 *   view) → `audit.completed`.
 * Progress goes out as `projection.progress`. A request handed again after a crash or a shutdown
 * continues every image from its last saved step (the states are keyed by the request's content,
 * so a different request never picks them up). Inputs the generator cannot take are not retriable:
 * the request goes to the dead-letter topic with the reason.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Subscription } from '@dermagan/bus';
import {
  AuditCompleted, AuditRequested, PRIVACY_AUDIT_FILE, ProjectionCompleted, ProjectionProgress, ProjectionRequested,
  type DermaganEvent, type FolderRef, type OutputLocation,
} from '@dermagan/contracts';
import { loadClassifier } from '@dermagan/classifier';
import { FolderCheckpointSink, loadGenerator } from '@dermagan/gan';
import { createExtractor, type FeatureExtractor } from '@dermagan/metrics';
import {
  AUDIT_FILES, auditGenerator, classifierExtractor, createPerceptual, OUTPUT_FILES, privacyAuditView, projectDataset, ProjectorError,
  projectorOptionsFrom, type AuditResult, type ProjectionProgress as Progress,
} from '@dermagan/projector';
import { publishFolder, type AnySubscription, type FolderCache } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import type { Tf, TfBackend } from '@dermagan/tf';
import type { z } from 'zod';
import { ObjectStoreStateStore } from './store-state-store.ts';

export type ProjectionRequestedData = z.output<typeof ProjectionRequested.schema>;
export type AuditRequestedData = z.output<typeof AuditRequested.schema>;
type Publish = (event: DermaganEvent<unknown>) => Promise<void>;

export interface ProjectorDeps {
  store: ObjectStore;
  folders: FolderCache;
  /** Local work folder. */
  workDir: string;
  /** The tfjs backend the wiring loaded (the service's DERMAGAN_TF_BACKEND setting). */
  backend: TfBackend;
  /** Image-steps taken (Prometheus). */
  onImageSteps?: (count: number) => void;
  /** An audit's headline numbers (Prometheus). */
  onAudit?: (name: string, numbers: { auc: number; copies: number }) => void;
}

export const PROJECTOR_SOURCE = '/dermagan/projector';

/** A stored folder as messages name it. */
const refName = (ref: FolderRef) => `${ref.bucket}/${ref.prefix}`;

/** `<prefix>/<name>/` */
function folderOf(output: OutputLocation, name: string): OutputLocation {
  return { bucket: output.bucket, prefix: `${output.prefix.replace(/\/+$/, '')}/${name}/` };
}

/** Where a request's per-image states live: keyed by its content, so a redelivery finds them and another request does not. */
function statesOf(output: OutputLocation, name: string, data: unknown): OutputLocation {
  const key = createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 16);
  return { bucket: output.bucket, prefix: `${folderOf(output, name).prefix}state/${key}/` };
}

async function generatorFrom(tf: Tf, deps: ProjectorDeps, checkpoint: FolderRef) {
  if (!(await deps.store.stat(checkpoint.manifest.bucket, checkpoint.manifest.key))) {
    throw new ProjectorError(`checkpoint ${checkpoint.bucket}/${checkpoint.prefix} does not exist (no ${checkpoint.manifest.key}); train first or fix the reference`);
  }
  return loadGenerator(tf, new FolderCheckpointSink(await deps.folders.fetch(checkpoint)));
}

async function classifierFrom(tf: Tf, deps: ProjectorDeps, ref: FolderRef | null): Promise<FeatureExtractor | undefined> {
  if (!ref) return undefined;
  const dir = await deps.folders.fetch(ref);
  const { card, model } = await loadClassifier(tf, dir);
  return classifierExtractor(tf, model, card, `${ref.bucket}/${ref.prefix}`);
}

/** Progress events at most every tenth of a stage (and at its end); image-steps counted as they happen. */
function progressReporter(deps: ProjectorDeps, publish: Publish, event: DermaganEvent<{ name: string }>) {
  const last = new Map<string, number>();
  let steps = 0;
  const pending: Promise<void>[] = [];
  return {
    report(stage: string, p: Progress | { done: number; total: number }) {
      const projection = 'steps' in p;
      if (projection) {
        deps.onImageSteps?.(Math.max(0, p.steps - steps));
        steps = p.steps;
      }
      const fraction = projection ? p.steps / Math.max(1, p.totalSteps) : p.done / Math.max(1, p.total);
      const tenth = Math.floor(fraction * 10);
      if (last.get(stage) === tenth) return;
      last.set(stage, tenth);
      pending.push(
        publish(
          ProjectionProgress.create(
            {
              name: event.data.name,
              stage,
              done: p.done,
              total: p.total,
              steps: projection ? p.steps : null,
              totalSteps: projection ? p.totalSteps : null,
              imageStepsPerSecond: projection && Number.isFinite(p.imageStepsPerSecond) ? p.imageStepsPerSecond : null,
            },
            { source: PROJECTOR_SOURCE, causedBy: event },
          ),
        ),
      );
    },
    stageStarted(stage: string) {
      if (stage.startsWith('project')) steps = 0;
    },
    flush: () => Promise.all(pending),
  };
}

const interrupted = (what: string) => Object.assign(new Error(`${what} interrupted; every image's state is saved, the request continues from there`), { retriable: true });

export async function handleProjectionRequested(event: DermaganEvent<ProjectionRequestedData>, deps: ProjectorDeps, publish: Publish, signal?: AbortSignal) {
  const request = event.data;
  const { tf } = deps.backend;
  const { options, distance } = projectorOptionsFrom(request.options);
  const loaded = await generatorFrom(tf, deps, request.checkpoint);
  const work = join(deps.workDir, `projection-${event.id}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const perceptual = await createPerceptual(tf, distance);
  try {
    // Project, the states in the store.
    const states = new ObjectStoreStateStore(deps.store, statesOf(request.output, request.name, { ...request, output: null }));
    const progress = progressReporter(deps, publish, event);
    const classifier = await classifierFrom(tf, deps, request.classifier);
    const summary = await projectDataset(tf, {
      loaded,
      data: await deps.folders.fetch(request.dataset),
      dataName: refName(request.dataset),
      selection: request.selection,
      out: join(work, 'out'),
      options,
      perceptual,
      ...(classifier ? { classifier } : {}),
      states,
      onProgress: (p) => progress.report('project', p),
      ...(signal ? { signal } : {}),
    });
    await progress.flush();
    if (summary.stopped === 'aborted') throw interrupted(`projection ${request.name}`);

    // Publish the folder (states are not part of it; the latents must arrive as projection.json hashes them), then forget the states.
    const projection = await publishFolder(deps.store, join(work, 'out'), folderOf(request.output, request.name), OUTPUT_FILES.summary, new Map(Object.entries(summary.files)));
    await states.clear();
    return ProjectionCompleted.create(
      {
        name: request.name,
        projection,
        images: summary.images,
        resumed: summary.resumed,
        space: summary.space,
        distanceSpace: summary.perceptual,
        distance: summary.distance!,
        mse: summary.mse!,
        cosine: summary.cosine,
      },
      { source: PROJECTOR_SOURCE, causedBy: event },
    );
  } finally {
    perceptual.dispose?.();
    loaded.G.ps.dispose();
    await rm(work, { recursive: true, force: true });
  }
}

export async function handleAuditRequested(event: DermaganEvent<AuditRequestedData>, deps: ProjectorDeps, publish: Publish, signal?: AbortSignal) {
  const request = event.data;
  const { tf } = deps.backend;
  const { options, distance } = projectorOptionsFrom(request.options);
  if (request.spaces.includes('classifier') && !request.classifier) throw new ProjectorError(`audit ${request.name}: the classifier space needs a classifier`);
  const loaded = await generatorFrom(tf, deps, request.checkpoint);
  const work = join(deps.workDir, `audit-${event.id}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const perceptual = await createPerceptual(tf, distance);
  const owned: FeatureExtractor[] = [];
  try {
    // Audit, the projections' states in the store.
    const classifier = await classifierFrom(tf, deps, request.classifier);
    for (const id of request.spaces) if (id !== 'classifier') owned.push(await createExtractor(id, { tf }));
    const spaces = [...owned, ...(classifier && request.spaces.includes('classifier') ? [classifier] : [])];
    const stateRoot = statesOf(request.output, request.name, { ...request, output: null });
    const states = { members: new ObjectStoreStateStore(deps.store, { ...stateRoot, prefix: `${stateRoot.prefix}members/` }), 'non-members': new ObjectStoreStateStore(deps.store, { ...stateRoot, prefix: `${stateRoot.prefix}non-members/` }) };
    const progress = progressReporter(deps, publish, event);
    let stage = '';
    const result = await auditGenerator(tf, {
      loaded,
      members: { data: await deps.folders.fetch(request.members.dataset), name: refName(request.members.dataset), selection: request.members.selection },
      nonMembers: { data: await deps.folders.fetch(request.nonMembers.dataset), name: refName(request.nonMembers.dataset), selection: request.nonMembers.selection },
      out: join(work, 'out'),
      projector: options,
      perceptual,
      spaces,
      ...(classifier ? { classifier } : {}),
      generated: request.generated,
      seed: request.seed,
      membership: { resamples: request.resamples, seed: request.seed },
      states: (part) => states[part],
      onProgress: (s, p) => {
        if (s !== stage) progress.stageStarted((stage = s));
        progress.report(s, p);
      },
      ...(signal ? { signal } : {}),
    });
    await progress.flush();
    if (result.stopped === 'aborted') throw interrupted(`audit ${request.name}`);

    // Publish the folder and the portal's view of it.
    const location = folderOf(request.output, request.name);
    const folder = await publishFolder(deps.store, join(work, 'out'), location, AUDIT_FILES.result);
    const view = await privacyAuditView(result, request.name, request.checkpoint, async (path) => {
      const ref = await deps.store.stat(location.bucket, location.prefix + path);
      if (!ref) throw new Error(`audit ${request.name}: ${path} was not published`);
      return ref;
    });
    const privacyAudit = await deps.store.put(location.bucket, location.prefix + PRIVACY_AUDIT_FILE, JSON.stringify(view), { contentType: 'application/json' });
    await states.members.clear();
    await states['non-members'].clear();
    deps.onAudit?.(request.name, { auc: result.membership!.auc, copies: result.copiesFlagged! });
    return AuditCompleted.create({ name: request.name, privacyAudit, report: folder.manifest, ...auditNumbers(result) }, { source: PROJECTOR_SOURCE, causedBy: event });
  } finally {
    for (const e of owned) e.dispose?.();
    perceptual.dispose?.();
    loaded.G.ps.dispose();
    await rm(work, { recursive: true, force: true });
  }
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/** An audit's numbers as `audit.completed` carries them (NaN, which JSON cannot carry, as null where allowed). */
export function auditNumbers(r: AuditResult) {
  const m = r.membership!;
  const attack = (a: typeof m) => ({
    membershipAuc: a.auc,
    membershipAucCi: [finiteOrNull(a.ci.low), finiteOrNull(a.ci.high)] as [number | null, number | null],
    tprAtFpr1pct: a.tprAtFpr[0]!.tpr,
    tprAtFpr01pct: a.tprAtFpr[1]!.tpr,
    members: a.members,
  });
  return {
    ...attack(m),
    nonMembers: m.nonMembers,
    tprResolved: [m.tprAtFpr[0]!.resolved, m.tprAtFpr[1]!.resolved] as [boolean, boolean],
    copiesFlagged: r.copiesFlagged!,
    copyRule: r.copyRule,
    generated: r.generated,
    spaces: Object.fromEntries(r.spaces.map((s) => [s.space, { flagged: s.flagged, threshold: s.threshold, authenticity: s.authenticity }])),
    byTenant: r.byTenant.map((t) => ({ tenant: t.tenant, ...attack(t.membership), copiesFlagged: t.flagged })),
  };
}

export function projectorSubscriptions(deps: ProjectorDeps): AnySubscription[] {
  const projection: Subscription<ProjectionRequestedData> = {
    group: 'projector',
    types: [ProjectionRequested.type],
    parse: (raw) => ProjectionRequested.parse(raw),
    handler: async (event, context) => context.publish(await handleProjectionRequested(event, deps, context.publish, context.signal)),
  };
  const audit: Subscription<AuditRequestedData> = {
    group: 'projector-audit',
    types: [AuditRequested.type],
    parse: (raw) => AuditRequested.parse(raw),
    handler: async (event, context) => context.publish(await handleAuditRequested(event, deps, context.publish, context.signal)),
  };
  return [projection, audit];
}
