/**
 * The aggregator: the federations one process runs, by run id. `federation.requested` starts one
 * (initial global model, round 1); `federation.update.submitted`, `federation.tenant.joined` and
 * `.left` are inputs to its round state machine (federation-run.ts). A federation this process has
 * not seen (a restart) is loaded from its persisted state and resumed. The fl-aggregator service
 * subscribes these methods to the bus; `dermagan federate` runs that service's subscriptions.
 */
import type { ArtifactRef, DermaganEvent, FederatedGanTrainingOptions, FederationTenantJoined, FederationTenantLeft, FederationUpdateSubmitted } from '@dermagan/contracts';
import { FederationFailed } from '@dermagan/contracts';
import type { ObjectStore } from '@dermagan/store';
import type { z } from 'zod';
import { AGGREGATOR_SOURCE, AggregatorError, FederationRun, type AggregatorLogger, type FederationLocation, type FederationRequestedData, type RunDeps } from './federation-run.ts';
import { resolveGanStatePolicy, type GanStatePolicy } from './gan-state-policy.ts';
import type { RunMetrics } from './run-metrics.ts';
import { federationRequestRefusal } from './request-signing.ts';
import { encodeWeightSet } from './weight-file.ts';
import type { WeightSet } from './weights.ts';

export type UpdateSubmittedData = z.output<typeof FederationUpdateSubmitted.schema>;
export type TenantJoinedData = z.output<typeof FederationTenantJoined.schema>;
export type TenantLeftData = z.output<typeof FederationTenantLeft.schema>;

export interface AggregatorDeps {
  store: ObjectStore;
  /** The aggregator's bucket: each federation's state lives under `federations/<id>/`. */
  bucket: string;
  logger: AggregatorLogger;
  /** The federation operator's Ed25519 public key (SPKI PEM): a `federation.requested` it did not sign is ignored. */
  operatorKey: string;
  metrics?: RunMetrics;
  /** Public keys (SPKI PEM) of tenants allowed to join mid-run, beyond those a request lists. */
  tenantKeys?: Readonly<Record<string, string>>;
  /** Makes the initial global model when a request has none (the engine's fresh G, D, G_ema). */
  initialModel?: (training: FederatedGanTrainingOptions, policy: GanStatePolicy) => Promise<WeightSet>;
  /** Clock, epoch ms (default Date.now). */
  now?: () => number;
}

export class FlAggregator {
  private readonly runs = new Map<string, Promise<FederationRun | null>>();

  constructor(readonly deps: AggregatorDeps) {}

  /** Where a federation's state lives. */
  location(federation: string): FederationLocation {
    return { bucket: this.deps.bucket, prefix: `federations/${federation}/` };
  }

  private runDeps(publish: RunDeps['publish']): RunDeps {
    const { store, logger, metrics, tenantKeys, now } = this.deps;
    return { store, publish, logger, metrics, tenantKeys, ...(now ? { now } : {}) };
  }

  /** The run of a federation: in memory, or loaded from its persisted state (then resumed). */
  private run(federation: string, publish: RunDeps['publish']): Promise<FederationRun | null> {
    let run = this.runs.get(federation);
    if (!run) {
      run = (async () => {
        const loaded = await FederationRun.load(federation, this.location(federation), this.runDeps(publish));
        if (loaded) {
          this.deps.logger.info({ federation, round: loaded.current.round, phase: loaded.current.phase }, 'federation resumed from its persisted state');
          await loaded.resume();
        }
        return loaded;
      })();
      this.runs.set(federation, run);
      run.catch(() => this.runs.delete(federation));
    }
    return run;
  }

  async onRequested(event: DermaganEvent<FederationRequestedData>, publish: RunDeps['publish']): Promise<void> {
    const federation = runidOf(event);
    // Only the operator starts a federation (it registers the tenants' keys and sets the rules).
    const unsigned = federationRequestRefusal(this.deps.operatorKey, event);
    if (unsigned) {
      this.deps.logger.warn({ federation, event: event.id, reason: unsigned }, 'federation.requested ignored');
      return;
    }
    // A redelivered request (or a restart) continues the federation it started.
    if (await this.run(federation, publish)) return;
    const request = event.data;
    // A request that cannot run fails at once, with the reason, rather than going to the dead letters.
    const refusal = FederationRun.refusal(request);
    if (refusal) {
      this.deps.logger.error({ federation, reason: refusal }, 'federation refused');
      await publish(FederationFailed.create({ round: 0, reason: refusal }, { source: AGGREGATOR_SOURCE, id: `${federation}:failed`, runid: federation }));
      return;
    }
    const policy = resolveGanStatePolicy(request.ganStatePolicy, request.dp !== null);
    const location = this.location(federation);
    await this.deps.store.ensureBucket(location.bucket);
    let initial: ArtifactRef;
    if (request.initialGlobal) initial = request.initialGlobal;
    else {
      if (!this.deps.initialModel) throw new AggregatorError(`federation ${federation}: the request has no initialGlobal and this aggregator cannot make one`);
      const model = await this.deps.initialModel(request.training, policy);
      initial = await this.deps.store.put(location.bucket, `${location.prefix}global/initial.dgw`, encodeWeightSet(model));
    }
    const started = FederationRun.start(federation, request, location, initial, this.runDeps(publish));
    this.runs.set(federation, started);
    await started;
  }

  async onUpdate(event: DermaganEvent<UpdateSubmittedData>, publish: RunDeps['publish']): Promise<void> {
    const federation = runidOf(event);
    const run = await this.run(federation, publish);
    if (!run) throw new AggregatorError(`update from ${event.data.tenant} for unknown federation ${federation}`);
    const u = event.data;
    await run.feed({ type: 'update.submitted', tenant: u.tenant, round: u.round, attempt: u.attempt, ref: u.weights, samples: u.samples, signature: u.signature ?? null, reportedNorm: u.deltaNorm ?? null, at: (this.deps.now ?? Date.now)() });
  }

  async onJoined(event: DermaganEvent<TenantJoinedData>, publish: RunDeps['publish']): Promise<void> {
    const federation = runidOf(event);
    const run = await this.run(federation, publish);
    if (!run) {
      // E.g. a tenant rejoining, at its start-up, a federation whose state is gone: nothing to join.
      this.deps.logger.warn({ federation, tenant: event.data.tenant }, 'join ignored: no such federation here');
      return;
    }
    if (!run.knows(event.data.tenant)) {
      this.deps.logger.warn({ federation, tenant: event.data.tenant }, 'join ignored: no public key registered for this tenant (DERMAGAN_FL_TENANT_KEYS)');
      return;
    }
    if (run.request.secagg && !event.data.samples && !run.current.tenants[event.data.tenant]?.samples) {
      this.deps.logger.warn({ federation, tenant: event.data.tenant }, 'join ignored: under secure aggregation a joining tenant must say how many images it trains on (samples)');
      return;
    }
    this.deps.logger.info({ federation, tenant: event.data.tenant }, 'tenant joined; it takes part from the next round');
    await run.feed({ type: 'tenant.joined', tenant: event.data.tenant, ...(event.data.samples ? { samples: event.data.samples } : {}), at: (this.deps.now ?? Date.now)() });
  }

  /** A tenant left: its round stops waiting for it (the round completes on quorum); it is asked again once it rejoins. */
  async onLeft(event: DermaganEvent<TenantLeftData>, publish: RunDeps['publish']): Promise<void> {
    const federation = runidOf(event);
    const run = await this.run(federation, publish);
    if (!run) return;
    this.deps.logger.warn({ federation, tenant: event.data.tenant, reason: event.data.reason }, 'tenant left; dropped until it rejoins');
    await run.feed({ type: 'tenant.dropped', tenant: event.data.tenant, reason: event.data.reason, at: (this.deps.now ?? Date.now)() });
  }

  /** Resume every unfinished federation persisted in the bucket (call at start-up). */
  async resumeAll(publish: RunDeps['publish']): Promise<string[]> {
    await this.deps.store.ensureBucket(this.deps.bucket);
    const keys = await this.deps.store.list(this.deps.bucket, 'federations/');
    const ids = keys.filter((k) => /^federations\/[^/]+\/state\.json$/.test(k)).map((k) => k.split('/')[1]!);
    const resumed: string[] = [];
    for (const id of ids) {
      const run = await this.run(id, publish);
      if (run && (run.current.phase === 'collecting' || run.current.phase === 'aggregating')) resumed.push(id);
    }
    return resumed;
  }

  /** The state of a federation this process runs (tests, HTTP API). */
  async state(federation: string) {
    return (await this.runs.get(federation))?.current ?? null;
  }

  /** Stop every timer (the state stays persisted). */
  async close(): Promise<void> {
    for (const run of this.runs.values()) (await run.catch(() => null))?.close();
    this.runs.clear();
  }
}

export function runidOf(event: { runid?: string | undefined; type: string; id: string }): string {
  if (!event.runid) throw new AggregatorError(`${event.type} ${event.id} carries no runid (the federation id)`);
  return event.runid;
}
