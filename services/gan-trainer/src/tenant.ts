/**
 * The gan-trainer in tenant mode: one hospital's side of a federation.
 *   `federation.requested` signed by the operator → keep the request (training options), join when
 *   not listed; anything else is ignored with the reason logged. The dataset trained on is the
 *   tenant's own configuration, never the request's;
 *   `federation.round.started` (a participant) → fetch the global weights → train K iterations on
 *   this tenant's images only → upload the weights (never images) to the tenant's bucket → sign →
 *   `federation.update.submitted`.
 * Local state that the GAN-state policy keeps local (ADA p, pl_mean, Adam moments) lives in the
 * tenant's trainer between rounds and is checkpointed to the tenant's bucket after each round, so a
 * restarted tenant continues with it. A round whose deadline has passed is not trained (its update
 * would be rejected as a straggler's). Under secure aggregation the upload is the masked, weighted
 * delta (tenant-secagg.ts), never the weights themselves. Where the hospital runs Kubernetes, each
 * round is trained by a Job on its GPU pool running this same code (round-jobs.ts), and the agent
 * publishes the update the Job leaves.
 */
import { createHash } from 'node:crypto';
import type { Subscription } from '@dermagan/bus';
import {
  FederationCompleted, FederationFailed, FederationRequested, FederationRoundCompleted, FederationRoundStarted, FederationTenantJoined, FederationTenantLeft, FederationUpdateSubmitted, FolderRef,
  type DermaganEvent,
} from '@dermagan/contracts';
import {
  decodeWeightSet, encodeWeightSet, federationRequestRefusal, resolveGanStatePolicy, resolveTenantRoundState, signUpdate, tensorsToExchange,
  type GanStatePolicy, type WeightSet,
} from '@dermagan/federation';
import {
  loadTrainingData, loadWeightSet, proximalStep, resetMoments, snapshotParams, StoreCheckpointSink, Trainer, trainerOptionsFrom, trainerToWeightSet,
  withGanDefaults, type TrainingData,
} from '@dermagan/gan';
import { readManifest, tenantImages } from '@dermagan/dataset';
import type { FolderCache } from '@dermagan/runtime';
import { getRefBytes, type ObjectStore } from '@dermagan/store';
import type { TfBackend } from '@dermagan/tf';
import { z } from 'zod';
import { TenantError } from './tenant-error.ts';
import { maskUpdate } from './tenant-secagg.ts';
import { foldEnd, foldRound, readStatus, writeStatus, type FederationEnd } from './tenant-status.ts';

export type FederationRequestedData = z.output<typeof FederationRequested.schema>;
export type RoundStartedData = z.output<typeof FederationRoundStarted.schema>;
export type RoundCompletedData = z.output<typeof FederationRoundCompleted.schema>;
export type UpdateSubmittedData = z.output<typeof FederationUpdateSubmitted.schema>;

/** Trains a round elsewhere (a Kubernetes Job: round-jobs.ts) and returns the signed update to publish, or null. */
export interface RoundRunner {
  run(event: DermaganEvent<RoundStartedData>, signal?: AbortSignal): Promise<DermaganEvent<UpdateSubmittedData> | null>;
}

export const TENANT_SOURCE = '/dermagan/gan-trainer/tenant';

/** What one round of local training reports (logs, CLI progress). */
export interface TenantRoundReport {
  federation: string;
  tenant: string;
  round: number;
  attempt: number;
  iterations: number;
  seconds: number;
  adaP: number;
  plMean: number;
}

export interface TenantDeps {
  /** This tenant's id (as in the federation request). */
  tenant: string;
  /** Ed25519 private key (PKCS#8 PEM) the tenant signs its updates with. */
  signingKey: string;
  /** The federation operator's Ed25519 public key (SPKI PEM): a `federation.requested` it did not sign is ignored. */
  operatorKey: string;
  /** The store as this tenant's credentials see it. */
  store: ObjectStore;
  /** The tenant's own bucket: updates and local state go here. */
  bucket: string;
  /** Local copies of the tenant's dataset. */
  folders: FolderCache;
  /** The tfjs backend the wiring loaded (the service's DERMAGAN_TF_BACKEND setting). */
  backend: TfBackend;
  /**
   * The tenant's dataset (its own configuration, DERMAGAN_TENANT_DATASET): what it trains on in
   * every federation. A request's `dataset` is never used (a request must not point a hospital at
   * other data). Absent: set later with `useDataset` (the embedded study, which ingests first).
   */
  dataset?: FolderRef;
  /** Where an ignored request is reported (default: nowhere). */
  logger?: { warn: (obj: object, msg: string) => void };
  /** Publish `federation.tenant.joined` for federations whose request does not list this tenant (default true). */
  join?: boolean;
  /** Called after each trained round. */
  onRound?: (report: TenantRoundReport) => void;
  /** Rounds trained elsewhere (a Job per round) instead of in this process (default). */
  roundRunner?: RoundRunner;
  /** Clock (epoch ms); default Date.now. */
  now?: () => number;
}

export { TenantError };

interface LocalRun {
  trainer: Trainer;
  data: TrainingData;
  /** Images of this tenant (the FedAvg weight it claims, as the reference's Flower client does). */
  samples: number;
}

/** One tenant agent: its requests and trainers per federation. */
export class TenantAgent {
  private readonly runs = new Map<string, Promise<LocalRun>>();
  /** Federations whose rounds this agent has had trained by its round runner. */
  private readonly delegated = new Set<string>();
  private readonly now: () => number;
  private dataset: FolderRef | undefined;

  constructor(readonly deps: TenantDeps) {
    this.now = deps.now ?? Date.now;
    this.dataset = deps.dataset;
  }

  /** Configure the dataset this tenant trains on (for federations not yet trained in). */
  useDataset(dataset: FolderRef): void {
    this.dataset = dataset;
  }

  /** Why a request must be ignored (not the operator's), or null. */
  private refusal(federation: string, data: FederationRequestedData, id: string): string | null {
    return federationRequestRefusal(this.deps.operatorKey, { data, runid: federation, id });
  }

  private requestKey(federation: string): string {
    return `federations/${federation}/request.json`;
  }

  /** Keep the request where this tenant can find it again after a restart; join when not listed. */
  async onRequested(event: DermaganEvent<FederationRequestedData>, publish: (e: DermaganEvent<unknown>) => Promise<void>): Promise<void> {
    const federation = federationOf(event);
    const { store, bucket, tenant } = this.deps;
    const refused = this.refusal(federation, event.data, event.id);
    if (refused) {
      this.deps.logger?.warn({ federation, tenant, event: event.id, reason: refused }, 'federation.requested ignored');
      return;
    }
    await store.ensureBucket(bucket);
    await store.put(bucket, this.requestKey(federation), JSON.stringify(event.data), { contentType: 'application/json' });
    const listed = event.data.tenants.some((t) => t.tenant === tenant);
    if (!listed && this.deps.join !== false) await publish(await this.joinedEvent(federation, event.data, `${federation}:joined:${tenant}`));
  }

  /**
   * `federation.tenant.joined` for this tenant. A tenant the request does not list says how many
   * images it has when the federation aggregates securely (the aggregator weights it before it trains).
   */
  private async joinedEvent(federation: string, request: FederationRequestedData, id: string): Promise<DermaganEvent<unknown>> {
    const { tenant } = this.deps;
    const listed = request.tenants.some((t) => t.tenant === tenant);
    const samples = request.secagg && !listed ? (await this.localRun(federation, request)).samples : undefined;
    return FederationTenantJoined.create({ tenant, ...(samples ? { samples } : {}) }, { source: TENANT_SOURCE, id, runid: federation, tenant });
  }

  private async request(federation: string): Promise<FederationRequestedData> {
    const { store, bucket } = this.deps;
    const key = this.requestKey(federation);
    if (!(await store.stat(bucket, key))) {
      throw new TenantError(`tenant ${this.deps.tenant}: round of federation ${federation} arrived before its request; retrying`, true);
    }
    const request = FederationRequested.schema.parse(JSON.parse((await store.getBytes(bucket, key)).toString('utf8')));
    // Kept only once verified; verified again, as anyone with write access to the bucket could replace it.
    const refused = this.refusal(federation, request, key);
    if (refused) throw new TenantError(`tenant ${this.deps.tenant}: the kept ${key} is not the operator's: ${refused}`, false);
    return request;
  }

  private async localRun(federation: string, request: FederationRequestedData): Promise<LocalRun> {
    let run = this.runs.get(federation);
    if (!run) {
      run = this.createRun(federation, request);
      this.runs.set(federation, run);
      run.catch(() => this.runs.delete(federation));
    }
    return run;
  }

  /** Where the tenant's own training state (moments, ADA p, pl_mean, RNG) is kept between rounds. */
  private localSink(federation: string): StoreCheckpointSink {
    return new StoreCheckpointSink(this.deps.store, { bucket: this.deps.bucket, prefix: `federations/${federation}/local/` });
  }

  private async createRun(federation: string, request: FederationRequestedData): Promise<LocalRun> {
    const { tenant } = this.deps;
    const training = request.training;
    const dataset = this.dataset;
    if (!dataset) throw new TenantError(`tenant ${tenant}: no dataset is configured to train on (DERMAGAN_TENANT_DATASET, or the chart's tenant.dataset)`, false);
    const dir = await this.deps.folders.fetch(dataset);
    const { tf, info } = this.deps.backend;
    const backend = info as unknown as Record<string, unknown>;
    // The hospital's own dataset whole, or this tenant's rows of a dataset partitioned into tenants.
    const data = await loadTrainingData(tf, dir, { resolution: training.res, ...tenantImages(await readManifest(dir), tenant) });
    // A restarted tenant continues its own state from its last round.
    const sink = this.localSink(federation);
    if (await sink.latest()) return { trainer: await Trainer.resume(tf, data, sink, backend), data, samples: data.count };
    const trainer = new Trainer(tf, data, trainerOptionsFrom(training, data.labelNames.length, tenantSeed(withGanDefaults(training).seed, tenant)), backend);
    return { trainer, data, samples: data.count };
  }

  /** Train one round and submit the update; does nothing when not a participant or too late. */
  async onRoundStarted(
    event: DermaganEvent<RoundStartedData>,
    publish: (e: DermaganEvent<unknown>) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<TenantRoundReport | null> {
    const { tenant, store, bucket } = this.deps;
    const round = event.data;
    const federation = federationOf(event);
    if (!round.participants.includes(tenant)) return null;
    if (Date.parse(round.deadline) <= this.now()) return null;
    const request = await this.request(federation);
    if (this.deps.roundRunner) return this.delegateRound(event, federation, publish, signal);
    // The global model the aggregator named, and no other bytes (a replaced object is refused).
    const global = await decodeWeightSet(await getRefBytes(store, round.global), `global ${round.global.key}`);
    const local = await this.localRun(federation, request);
    const { trainer } = local;
    const started = this.now();

    // Start from the global model under the GAN-state policy.
    const policy: GanStatePolicy = resolveGanStatePolicy(round.ganStatePolicy, request.dp !== null);
    const own = { adaP: trainer.pipe.p, plMean: trainer.loss.plMean };
    const start = resolveTenantRoundState(policy, own, global.scalars);
    loadWeightSet(trainer, global);
    if (start.moments === 'reset') resetMoments(trainer);
    setAdaP(trainer, start.adaP);
    trainer.loss.plMean = start.plMean;
    const mu = round.proximalMu ?? 0;
    const anchor = mu > 0 ? snapshotParams(trainer) : null;

    // K local iterations.
    try {
      for (let i = 0; i < round.k; i++) {
        if (signal?.aborted) throw new TenantError(`tenant ${tenant}: round ${round.round} interrupted (shutting down)`, true);
        trainer.stepOnce();
        if (anchor) proximalStep(trainer, anchor, trainer.options.config.training.lr, mu);
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      for (const v of anchor?.values() ?? []) v.dispose();
    }

    // Upload only weights, then sign and submit.
    const scalars = { adaP: trainer.pipe.p, plMean: trainer.loss.plMean };
    const all = trainerToWeightSet(trainer, scalars);
    const update: WeightSet = { tensors: tensorsToExchange(policy, all.tensors), scalars };
    // Under secure aggregation the aggregator cannot measure ‖update − global‖: the tenant reports (and signs) it.
    const { masked: upload, deltaNorm } = round.secagg
      ? await maskUpdate({ tenant, federation, signingKey: this.deps.signingKey, request, round, global, update })
      : { masked: update, deltaNorm: undefined };
    await store.ensureBucket(bucket);
    const key = `federations/${federation}/updates/${tenant}/round-${round.round}-attempt-${round.attempt}.dgw`;
    const ref = await store.put(bucket, key, encodeWeightSet(upload));
    const signature = signUpdate(this.deps.signingKey, { federation, round: round.round, attempt: round.attempt, tenant, weightsSha256: ref.sha256, samples: local.samples, deltaNorm });
    // Keep the local state (what the policy does not send) for the next round, across restarts.
    await trainer.save(this.localSink(federation));
    const seconds = (this.now() - started) / 1000;
    await publish(
      FederationUpdateSubmitted.create(
        {
          tenant,
          round: round.round,
          attempt: round.attempt,
          weights: ref,
          samples: local.samples,
          ...(deltaNorm !== undefined ? { deltaNorm } : {}),
          stats: { iterations: round.k, imagesSeen: round.k * trainer.batch, adaP: scalars.adaP, plMean: scalars.plMean, seconds },
          signature,
        },
        { source: TENANT_SOURCE, id: `${federation}:${round.round}:${round.attempt}:${tenant}`, runid: federation, tenant, causedBy: event },
      ),
    );
    const report = { federation, tenant, round: round.round, attempt: round.attempt, iterations: round.k, seconds, adaP: scalars.adaP, plMean: scalars.plMean };
    this.deps.onRound?.(report);
    return report;
  }

  /** The round trained by the round runner (a Job running onRoundStarted), its update published here. */
  private async delegateRound(
    event: DermaganEvent<RoundStartedData>,
    federation: string,
    publish: (e: DermaganEvent<unknown>) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<TenantRoundReport | null> {
    this.delegated.add(federation);
    const update = await this.deps.roundRunner!.run(event, signal);
    if (!update) return null;
    await publish(update);
    const { stats } = update.data;
    const report = {
      federation, tenant: this.deps.tenant, round: event.data.round, attempt: event.data.attempt,
      iterations: stats.iterations ?? event.data.k, seconds: stats.seconds ?? 0, adaP: stats.adaP ?? Number.NaN, plMean: stats.plMean ?? Number.NaN,
    };
    this.deps.onRound?.(report);
    return report;
  }

  /** Record how a completed round went for this tenant (its status: last round, rejections with reasons). */
  async onRoundCompleted(event: DermaganEvent<RoundCompletedData>): Promise<void> {
    const federation = federationOf(event);
    const { store, bucket, tenant } = this.deps;
    // Only federations this tenant accepted a request of.
    if (!(await store.stat(bucket, this.requestKey(federation)))) return;
    const before = await readStatus(store, bucket, federation);
    const after = foldRound(before, tenant, event.data);
    if (after !== before) await writeStatus(store, bucket, after);
  }

  /** Record how a federation this tenant belongs to ended (completed, or failed with the aggregator's reason). */
  async onFederationEnded(event: FederationEnd): Promise<void> {
    const federation = federationOf(event);
    const { store, bucket } = this.deps;
    if (!(await store.stat(bucket, this.requestKey(federation)))) return;
    await writeStatus(store, bucket, foldEnd(await readStatus(store, bucket, federation), event));
  }

  /**
   * Leave every federation this agent takes part in (graceful shutdown): the aggregator drops it at
   * once instead of waiting for the round's deadline. Its local state stays in its bucket.
   */
  async leave(reason: string, publish: (e: DermaganEvent<unknown>) => Promise<void>): Promise<string[]> {
    const { tenant } = this.deps;
    const federations = [...new Set([...this.runs.keys(), ...this.delegated])];
    for (const federation of federations) {
      await publish(FederationTenantLeft.create({ tenant, reason }, { source: TENANT_SOURCE, id: `${federation}:left:${tenant}:${this.now()}`, runid: federation, tenant }));
    }
    return federations;
  }

  /**
   * At start-up: announce this tenant again to every federation whose request it kept (after a
   * leave or a crash). The aggregator ignores it for a tenant still active or a finished federation.
   */
  async rejoin(publish: (e: DermaganEvent<unknown>) => Promise<void>): Promise<string[]> {
    const { store, bucket, tenant } = this.deps;
    await store.ensureBucket(bucket);
    const keys = (await store.list(bucket, 'federations/')).filter((k) => /^federations\/[^/]+\/request\.json$/.test(k));
    const federations: string[] = [];
    for (const key of keys) {
      const federation = key.split('/')[1]!;
      await publish(await this.joinedEvent(federation, await this.request(federation), `${federation}:rejoined:${tenant}:${this.now()}`));
      federations.push(federation);
    }
    return federations;
  }

  /** Free every trainer. */
  async dispose(): Promise<void> {
    for (const run of this.runs.values()) (await run.catch(() => null))?.trainer.dispose();
    this.runs.clear();
  }
}

/** The subscriptions of one tenant agent (its own consumer group, so every tenant sees every round). */
export function tenantSubscriptions(agent: TenantAgent): Subscription<unknown>[] {
  const group = `gan-trainer-tenant-${agent.deps.tenant}`;
  const requested: Subscription<FederationRequestedData> = {
    group,
    types: [FederationRequested.type],
    parse: (raw) => FederationRequested.parse(raw),
    handler: (event, ctx) => agent.onRequested(event, ctx.publish),
  };
  const rounds: Subscription<RoundStartedData> = {
    group,
    types: [FederationRoundStarted.type],
    parse: (raw) => FederationRoundStarted.parse(raw),
    handler: async (event, ctx) => void (await agent.onRoundStarted(event, ctx.publish, ctx.signal)),
  };
  const completed: Subscription<RoundCompletedData> = {
    group,
    types: [FederationRoundCompleted.type],
    parse: (raw) => FederationRoundCompleted.parse(raw),
    handler: (event) => agent.onRoundCompleted(event),
  };
  const ended: Subscription<FederationEnd['data']> = {
    group,
    types: [FederationCompleted.type, FederationFailed.type],
    parse: (raw) => ((raw as { type?: unknown }).type === FederationCompleted.type ? FederationCompleted.parse(raw) : FederationFailed.parse(raw)),
    handler: (event) => agent.onFederationEnded(event as FederationEnd),
  };
  return [requested, rounds, completed, ended] as Subscription<unknown>[];
}

function federationOf(event: { runid?: string | undefined; type: string; id: string }): string {
  if (!event.runid) throw new TenantError(`${event.type} ${event.id} carries no runid (the federation id)`, false);
  return event.runid;
}

/** A seed per tenant (same federation seed, different local draws). */
export function tenantSeed(seed: number, tenant: string): number {
  return seed * 1000 + (createHash('sha256').update(tenant).digest().readUInt32LE(0) % 1000);
}

/** Set the augmentation probability the trainer starts the round with (ADA continues from it). */
function setAdaP(trainer: Trainer, p: number): void {
  if (trainer.ada) {
    if (trainer.ada.fixedP !== undefined) return;
    trainer.ada.setState({ ...trainer.ada.getState(), p });
  }
  trainer.pipe.p = p;
}
