/**
 * One federation as the aggregator runs it (the interpreter of the round reducer, round.ts): inputs
 * go through the reducer one at a time; after every transition the state is persisted to
 * the store, then the reducer's actions are performed (publish, schedule the deadline, validate an
 * update, aggregate), and what they produce is fed back in. A new instance built from the
 * persisted state (`FederationRun.load` + `resume()`) continues where the old one stopped.
 */
import type { ArtifactRef, DermaganEvent } from '@dermagan/contracts';
import {
  FederationCompleted, FederationFailed, FederationRequested, FederationRoundCompleted, FederationRoundStarted,
} from '@dermagan/contracts';
import type { ObjectStore } from '@dermagan/store';
import type { z } from 'zod';
import { privacySpent } from './accountant.ts';
import { normalizeWeights } from './aggregate.ts';
import { aggregateMaskedFiles, secureAggregationProblem } from './secagg-stream.ts';
import { DEFAULT_SECAGG_SCALE } from './secagg.ts';
import { reduceFederation, restoreFederationState, startFederation, type FederationAction, type FederationInput, type FederationState, type RoundPlanner } from './round.ts';
import { createStrategy } from './strategies.ts';
import type { AggregateOutcome, Strategy, StrategyState, UpdateResult } from './strategy.ts';
import { storeSink, storeSource } from './store-weights.ts';
import { checkInspection, checkSecaggMean, checkSignature, inspectUpdate, secaggRefusals, type Rejection } from './validation.ts';
import type { RunMetrics } from './run-metrics.ts';

export type FederationRequestedData = z.output<typeof FederationRequested.schema>;

export const AGGREGATOR_SOURCE = '/dermagan/fl-aggregator';

/** Where a federation's files live: `<prefix>state.json`, `<prefix>request.json`, `<prefix>global/…`. */
export interface FederationLocation {
  bucket: string;
  prefix: string;
}

/** Logging the aggregator does (pino's signature). */
export interface AggregatorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RunDeps {
  store: ObjectStore;
  publish: (event: DermaganEvent<unknown>) => Promise<void>;
  logger: AggregatorLogger;
  metrics?: RunMetrics | undefined;
  /** Public keys (SPKI PEM) of tenants that may join mid-run, beyond the request's. */
  tenantKeys?: Readonly<Record<string, string>> | undefined;
  /** Clock, epoch ms (default Date.now). */
  now?: () => number;
}

/** The strategy part of the persisted state: the strategy's own JSON and its server-state files. */
interface PersistedStrategy {
  strategy: StrategyState;
  serverState: Record<string, ArtifactRef> | null;
}

/** Raised for requests the aggregator cannot run. Never retriable. */
export class AggregatorError extends Error {
  override readonly name = 'AggregatorError';
  readonly retriable = false;
}

/** The request's aggregation rule with its options, GAN-state policy and DP. */
function strategyOf(request: FederationRequestedData): Strategy {
  return createStrategy(request.strategy.name, {
    ...request.strategy.options,
    policy: request.ganStatePolicy,
    dp: request.dp ? { clip: request.dp.clip, noiseMultiplier: request.dp.noiseMultiplier } : null,
  });
}

export class FederationRun {
  private state: FederationState;
  private readonly strategy: Strategy;
  private readonly keys: Record<string, string>;
  private readonly now: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** Aggregation numbers of the round (attempt) being closed, for its `round.completed`. */
  private lastAggregate: { key: string; metrics: Record<string, number> } | null = null;

  private constructor(
    readonly federation: string,
    readonly request: FederationRequestedData,
    readonly location: FederationLocation,
    state: FederationState,
    private readonly deps: RunDeps,
  ) {
    this.state = state;
    this.now = deps.now ?? Date.now;
    this.strategy = strategyOf(request);
    this.keys = { ...deps.tenantKeys, ...Object.fromEntries(request.tenants.map((t) => [t.tenant, t.publicKey])) };
  }

  /** The current (persisted) state. */
  get current(): FederationState {
    return this.state;
  }

  private get planner(): RoundPlanner {
    return (round, active) => this.strategy.configureRound(round, active.map((tenant) => ({ tenant }))).participants;
  }

  /** Why a request cannot run (unknown strategy, bad options, secure aggregation with what it cannot do), or null. */
  static refusal(request: FederationRequestedData): string | null {
    const secure = FederationRun.secureAggregationRefusal(request);
    return FederationRun.strategyRefusal(request) ?? (secure ? `secure aggregation refused: ${secure}` : null);
  }

  /** Why the request's strategy cannot be built (unknown name, bad options), or null. */
  static strategyRefusal(request: FederationRequestedData): string | null {
    try {
      strategyOf(request);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** Under secure aggregation: what the request asks that masked updates cannot give, or null. */
  static secureAggregationRefusal(request: FederationRequestedData): string | null {
    if (!request.secagg || FederationRun.strategyRefusal(request)) return null;
    const strategy = strategyOf(request);
    const missing = request.tenants.filter((t) => !t.samples).map((t) => t.tenant);
    return (
      secureAggregationProblem(strategy, strategy.policy, request.dp) ??
      (request.maxUpdateNorm !== undefined ? 'maxUpdateNorm: a masked update has no measurable norm; drop the bound under secure aggregation' : null) ??
      (missing.length > 0 ? `every tenant needs its sample count (tenants[].samples) to be weighted before it masks; missing for ${missing.join(', ')}` : null)
    );
  }

  /** Start a new federation from its request and initial global model; persists, then opens round 1. */
  static async start(federation: string, request: FederationRequestedData, location: FederationLocation, initialGlobal: ArtifactRef, deps: RunDeps): Promise<FederationRun> {
    const refusal = FederationRun.refusal(request);
    if (refusal) throw new AggregatorError(`federation ${federation}: ${refusal}`);
    const placeholder = {} as FederationState;
    const run = new FederationRun(federation, request, location, placeholder, deps);
    const strategyState: PersistedStrategy = { strategy: run.strategy.state(), serverState: null };
    const t = startFederation(
      {
        federation,
        rules: { rounds: request.rounds, quorum: request.quorum, roundTimeoutMs: request.roundTimeoutMs, maxRoundRetries: request.maxRoundRetries, maxNormToMedian: request.maxNormToMedian, secagg: request.secagg },
        globalRef: initialGlobal,
        tenants: request.tenants.map((x) => x.tenant),
        samples: Object.fromEntries(request.tenants.filter((x) => x.samples).map((x) => [x.tenant, x.samples!])),
        strategyState,
        at: run.now(),
      },
      run.planner,
    );
    await deps.store.put(location.bucket, `${location.prefix}request.json`, JSON.stringify(request), { contentType: 'application/json' });
    run.state = t.state;
    await run.enqueue(async () => {
      await run.persist();
      await run.process(await run.perform(t.actions));
    });
    return run;
  }

  /** Rebuild from the persisted state, or null when this federation has none. */
  static async load(federation: string, location: FederationLocation, deps: RunDeps): Promise<FederationRun | null> {
    const { store } = deps;
    if (!(await store.stat(location.bucket, `${location.prefix}state.json`))) return null;
    const request = FederationRequested.schema.parse(JSON.parse((await store.getBytes(location.bucket, `${location.prefix}request.json`)).toString('utf8')));
    const state = restoreFederationState(JSON.parse((await store.getBytes(location.bucket, `${location.prefix}state.json`)).toString('utf8')));
    return new FederationRun(federation, request, location, state, deps);
  }

  /** After a restart: re-issue what the phase it was in needs (round.started, timer, pending validations, aggregation). */
  resume(): Promise<void> {
    return this.feed({ type: 'resumed', at: this.now() });
  }

  /** True when a tenant may take part (its public key is known). */
  knows(tenant: string): boolean {
    return this.keys[tenant] !== undefined;
  }

  /** Feed one input; resolves once it and everything it caused are processed and persisted. */
  feed(input: FederationInput): Promise<void> {
    return this.enqueue(() => this.process([input]));
  }

  /** Stop the timers (the state stays persisted; a new instance continues). */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async process(inputs: FederationInput[]): Promise<void> {
    const queue = [...inputs];
    while (queue.length > 0) {
      const input = queue.shift()!;
      if (input.type === 'update.submitted') {
        // A redelivered submission of an update already received is not a duplicate.
        const r = this.state.received[input.tenant];
        if (r && r.ref.sha256 === input.ref.sha256 && input.round === this.state.round) continue;
      }
      const t = reduceFederation(this.state, input, this.planner);
      this.state = t.state;
      await this.persist();
      queue.unshift(...(await this.perform(t.actions)));
    }
  }

  private async persist(): Promise<void> {
    const { bucket, prefix } = this.location;
    await this.deps.store.put(bucket, `${prefix}state.json`, JSON.stringify(this.state), { contentType: 'application/json' });
  }

  /** Perform actions in order; returns the inputs they produced. */
  private async perform(actions: FederationAction[]): Promise<FederationInput[]> {
    const out: FederationInput[] = [];
    for (const a of actions) {
      const produced = await this.performOne(a);
      if (produced) out.push(produced);
    }
    return out;
  }

  private event(id: string): { source: string; id: string; runid: string } {
    return { source: AGGREGATOR_SOURCE, id: `${this.federation}:${id}`, runid: this.federation };
  }

  private async performOne(a: FederationAction): Promise<FederationInput | null> {
    const { logger, metrics, publish } = this.deps;
    const fed = this.federation;
    switch (a.type) {
      case 'publish-round-started': {
        const plan = this.strategy.configureRound(a.round, a.participants.map((tenant) => ({ tenant })));
        metrics?.round.set({ federation: fed }, a.round);
        metrics?.accepted.inc({ federation: fed }, 0);
        metrics?.dropped.inc({ federation: fed }, 0);
        logger.info({ federation: fed, round: a.round, attempt: a.attempt, participants: a.participants }, 'round started');
        await publish(
          FederationRoundStarted.create(
            {
              round: a.round,
              attempt: a.attempt,
              participants: a.participants,
              global: a.globalRef,
              deadline: new Date(a.deadline).toISOString(),
              k: this.request.k,
              ganStatePolicy: plan.config.ganStatePolicy,
              ...(plan.config.proximalMu ? { proximalMu: plan.config.proximalMu } : {}),
              ...(this.request.secagg ? { secagg: this.secaggAnnouncement(a.participants) } : {}),
            },
            this.event(`${a.round}:${a.attempt}:started`),
          ),
        );
        return null;
      }
      case 'schedule-deadline': {
        if (this.closed) return null;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.feed({ type: 'deadline.passed', round: a.round, attempt: a.attempt, at: this.now() }).catch((err: unknown) =>
            logger.error({ federation: fed, err }, 'deadline handling failed; it is retried when the aggregator resumes'),
          );
        }, Math.max(0, a.at - this.now()));
        this.timers.add(timer);
        return null;
      }
      case 'validate-update':
        return this.validate(a);
      case 'reject-update':
        this.reject(a.rejection);
        return null;
      case 'aggregate':
        return this.aggregate(a);
      case 'publish-round-completed': {
        const s = a.summary;
        for (const [tenant, norm] of Object.entries(s.updateNorms)) metrics?.updateNorm.set({ federation: fed, tenant }, norm);
        metrics?.participants.set({ federation: fed }, s.accepted.length);
        for (const tenant of s.accepted) metrics?.tenantLastRound.set({ federation: fed, tenant }, s.round);
        metrics?.accepted.inc({ federation: fed }, s.accepted.length);
        if (s.dropped.length > 0) metrics?.dropped.inc({ federation: fed }, s.dropped.length);
        const key = `${s.round}:${s.attempt}`;
        const aggregateMetrics = this.lastAggregate?.key === key ? this.lastAggregate.metrics : {};
        const privacy = this.privacy();
        if (privacy) metrics?.epsilon.set({ federation: fed }, privacy.epsilon);
        logger.info(
          { federation: fed, round: s.round, attempt: s.attempt, accepted: s.accepted, dropped: s.dropped, rejected: s.rejected.map((r) => `${r.tenant}:${r.reason}`), aggregated: s.aggregated, reasons: s.reasons },
          'round completed',
        );
        await publish(
          FederationRoundCompleted.create(
            {
              round: s.round, attempt: s.attempt, participants: s.participants, accepted: s.accepted, dropped: s.dropped,
              rejected: s.rejected, updateNorms: s.updateNorms, samples: s.samples, aggregated: s.aggregated, reasons: s.reasons,
              global: s.globalRef, metrics: aggregateMetrics, privacy,
            },
            this.event(`${key}:completed`),
          ),
        );
        return null;
      }
      case 'publish-federation-completed': {
        logger.info({ federation: fed, rounds: a.rounds, global: a.globalRef.key }, 'federation completed');
        this.close();
        await publish(
          FederationCompleted.create(
            {
              rounds: a.rounds,
              global: a.globalRef,
              privacy: this.privacy(),
              provenance: { strategy: this.request.strategy, k: this.request.k, quorum: this.request.quorum, dp: this.request.dp, history: this.state.history.length },
            },
            this.event('completed'),
          ),
        );
        return null;
      }
      case 'publish-federation-failed': {
        logger.error({ federation: fed, reason: a.reason }, 'federation failed');
        this.close();
        await publish(FederationFailed.create({ round: this.state.round, reason: a.reason }, this.event('failed')));
        return null;
      }
    }
  }

  private reject(r: Rejection): void {
    this.deps.metrics?.rejected.inc({ reason: r.reason });
    this.deps.logger.warn({ federation: this.federation, tenant: r.tenant, round: r.round, reason: r.reason, detail: r.detail }, 'update rejected');
  }

  /** Sample counts of the tenants (request, or their join), for the weights announced under secure aggregation. */
  private samplesOf(tenant: string): number {
    const n = this.state.tenants[tenant]?.samples;
    if (!n) throw new AggregatorError(`federation ${this.federation}: no sample count for tenant ${tenant}; under secure aggregation it must be in the request or its join`);
    return n;
  }

  /** What tenants need to mask: peers' public keys, their FedAvg weights, the fixed-point scale. */
  private secaggAnnouncement(participants: readonly string[]) {
    const weights = normalizeWeights(participants.map((t) => this.samplesOf(t)));
    return {
      publicKeys: Object.fromEntries(participants.map((t) => [t, this.keys[t]!])),
      weights: Object.fromEntries(participants.map((t, j) => [t, weights[j]!])),
      scale: DEFAULT_SECAGG_SCALE,
    };
  }

  private async validate(a: Extract<FederationAction, { type: 'validate-update' }>): Promise<FederationInput> {
    const fields = { federation: this.federation, round: a.round, attempt: a.attempt, tenant: a.tenant, weightsSha256: a.ref.sha256, samples: a.samples, deltaNorm: a.reportedNorm };
    const bad = checkSignature(this.keys, fields, a.signature);
    if (bad) return { type: 'update.rejected', rejection: bad, at: this.now() };
    const masked = this.request.secagg;
    if (masked && a.reportedNorm === null) {
      const detail = 'under secure aggregation an update must report its ‖update − global‖ (deltaNorm, signed with it): the round’s mean is bounded by the reported norms';
      return { type: 'update.rejected', rejection: { tenant: a.tenant, round: a.round, reason: 'norm-unreported', detail }, at: this.now() };
    }
    if (masked && a.samples !== this.state.tenants[a.tenant]?.samples) {
      const detail = `the update claims ${a.samples} samples, the federation weighted the tenant by ${this.state.tenants[a.tenant]?.samples} (secure aggregation fixes the weights before masking)`;
      return { type: 'update.rejected', rejection: { tenant: a.tenant, round: a.round, reason: 'bad-sample-count', detail }, at: this.now() };
    }
    const inspection = await inspectUpdate(storeSource(this.deps.store, this.state.globalRef), storeSource(this.deps.store, a.ref), { masked });
    const rejection = checkInspection(a.tenant, a.round, inspection, { maxDeltaNorm: this.request.maxUpdateNorm });
    if (rejection) return { type: 'update.rejected', rejection, at: this.now() };
    return { type: 'update.validated', tenant: a.tenant, round: a.round, deltaNorm: masked ? null : inspection.deltaNorm, at: this.now() };
  }

  private async aggregate(a: Extract<FederationAction, { type: 'aggregate' }>): Promise<FederationInput> {
    const { store } = this.deps;
    const { bucket, prefix } = this.location;
    const persisted = a.strategyState as PersistedStrategy;
    this.strategy.restore(persisted.strategy);
    const base = `${prefix}global/round-${a.round}-attempt-${a.attempt}`;
    let output: ReturnType<typeof storeSink> | null = null;
    const slots: Record<string, ReturnType<typeof storeSink>> = {};
    let secaggMetrics: Record<string, number> = {};
    let updates: UpdateResult[];
    if (this.request.secagg) {
      const mean = await this.unmaskedMean(a, `${base}.secagg-mean.dgw`);
      secaggMetrics = { secaggMeanNorm: mean.meanNorm, secaggBound: mean.bound };
      if (mean.refusal) {
        this.lastAggregate = { key: `${a.round}:${a.attempt}`, metrics: secaggMetrics };
        const rejections = secaggRefusals(a.round, a.updates.map((u) => u.tenant), mean.refusal);
        return { type: 'aggregation.refused', round: a.round, attempt: a.attempt, rejections, reasons: [`secagg-mean-over-bound: ${mean.refusal}`], at: this.now() };
      }
      updates = [mean.update];
    } else {
      updates = a.updates.map((u) => ({ tenant: u.tenant, samples: u.samples, source: storeSource(store, u.ref), deltaNorm: u.deltaNorm }));
    }
    const outcome: AggregateOutcome = await this.strategy.aggregate(
      a.round,
      updates,
      a.failures,
      {
        global: storeSource(store, a.globalRef),
        createOutput: (h) => (output = storeSink(store, bucket, `${base}.dgw`, h)),
        serverStateIn: persisted.serverState ? Object.fromEntries(Object.entries(persisted.serverState).map(([slot, ref]) => [slot, storeSource(store, ref)])) : null,
        createServerStateOutput: (slot, h) => (slots[slot] = storeSink(store, bucket, `${base}.server-${slot}.dgw`, h)),
      },
    );
    if (outcome.status === 'skipped') return { type: 'aggregation.skipped', round: a.round, attempt: a.attempt, reasons: outcome.reasons, at: this.now() };
    const globalRef = await (output as unknown as ReturnType<typeof storeSink>).ref();
    if (globalRef.sha256 !== outcome.global.sha256) {
      throw new Error(`aggregate: the stored global model ${globalRef.key} hashes to ${globalRef.sha256}, the aggregation wrote ${outcome.global.sha256}`);
    }
    const serverState = outcome.serverState ? Object.fromEntries(await Promise.all(Object.keys(outcome.serverState).map(async (slot) => [slot, await slots[slot]!.ref()] as const))) : null;
    const m = outcome.metrics;
    this.lastAggregate = {
      key: `${a.round}:${a.attempt}`,
      metrics: { globalDeltaNorm: m.globalDeltaNorm, ...secaggMetrics, ...(m.noiseStd !== null ? { noiseStd: m.noiseStd } : {}), ...(m.clipFactors ? { minClipFactor: Math.min(...m.clipFactors) } : {}) },
    };
    this.deps.metrics?.globalDeltaNorm.set({ federation: this.federation }, m.globalDeltaNorm);
    const strategyState: PersistedStrategy = { strategy: this.strategy.state(), serverState: serverState ?? persisted.serverState };
    return { type: 'aggregation.completed', round: a.round, attempt: a.attempt, globalRef, strategyState, at: this.now() };
  }

  /**
   * Secure aggregation: Σ masked updates = Σ p_i·(w_i − w_global), so global + that sum is the
   * FedAvg mean; written once, it is the single "update" the strategy's rule (FedAvg, FedAvgM,
   * FedOpt) then steps with. No tenant's own weights are ever read. ‖Σ p_i·Δ_i‖ is checked against
   * the bound the participants' signed norms allow (`refusal` says why it is over, else null).
   */
  private async unmaskedMean(a: Extract<FederationAction, { type: 'aggregate' }>, key: string) {
    const { store } = this.deps;
    const announced = this.secaggAnnouncement(a.updates.map((u) => u.tenant));
    let sink: ReturnType<typeof storeSink> | null = null;
    const mean = await aggregateMaskedFiles({
      global: storeSource(store, a.globalRef),
      masked: a.updates.map((u) => storeSource(store, u.ref)),
      scale: announced.scale,
      scalars: { policy: this.strategy.policy, weights: a.updates.map((u) => announced.weights[u.tenant]!) },
      createOutput: (h) => (sink = storeSink(store, this.location.bucket, key, h)),
    });
    const ref = await (sink as unknown as ReturnType<typeof storeSink>).ref();
    const samples = a.updates.reduce((n, u) => n + this.samplesOf(u.tenant), 0);
    const reports = a.updates.map((u) => {
      if (u.reportedNorm === null) throw new AggregatorError(`federation ${this.federation}: ${u.tenant}'s masked update was accepted without a reported norm`);
      return { tenant: u.tenant, weight: announced.weights[u.tenant]!, norm: u.reportedNorm };
    });
    const { bound, refusal } = checkSecaggMean({ reports, meanNorm: mean.meanNorm, factor: this.request.maxNormToMedian, values: mean.values, scale: announced.scale });
    return {
      update: { tenant: `secagg(${a.updates.map((u) => u.tenant).join('+')})`, samples, source: storeSource(store, ref) },
      meanNorm: mean.meanNorm,
      bound,
      refusal,
    };
  }

  /** (ε, δ) spent so far under DP, or null (DP off, or σ = 0 which gives no guarantee). */
  private privacy(): { epsilon: number; delta: number } | null {
    const dp = this.request.dp;
    if (!dp || dp.noiseMultiplier <= 0) return null;
    const tenants = Object.keys(this.state.tenants).length;
    const aggregated = this.state.history.filter((h) => h.aggregated);
    if (aggregated.length === 0) return { epsilon: 0, delta: dp.delta };
    const q = Math.min(1, Math.max(...aggregated.map((h) => h.participants.length)) / Math.max(1, tenants));
    const spent = privacySpent({ samplingRate: q, noiseMultiplier: dp.noiseMultiplier, rounds: aggregated.length, delta: dp.delta });
    return { epsilon: spent.epsilon, delta: spent.delta };
  }
}
