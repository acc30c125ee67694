/**
 * The aggregator's round state machine as a pure reducer:
 *   reduceFederation(state, input) → { state, actions }
 * The state is plain JSON: the service persists it after every transition, then performs the
 * actions (publish events, schedule the deadline timer, validate an update, aggregate). After a
 * restart the service loads the state and feeds `{ type: 'resumed' }`, which re-issues the actions
 * of the phase it was in; every action is idempotent (events carry stable ids derived from
 * federation, round and attempt; aggregation writes to a key derived from them).
 *
 * Rules:
 * - A round asks the planner's participants (default: every active tenant) and sets a deadline.
 * - An update passes the envelope check (validation.ts) and is then validated by the service
 *   (signature, content); it is accepted or rejected with a reason, never averaged in when rejected.
 * - The round aggregates as soon as every participant is resolved (accepted, rejected or dropped),
 *   or at the deadline, provided at least `quorum` updates were accepted. At the deadline,
 *   participants that have not submitted are dropped (stragglers); their late updates are rejected
 *   ('past-deadline' while the round is open, 'stale-round' after it closed).
 * - If the quorum is missed, the round is retried (a new attempt, re-planned with the tenants
 *   active then) up to `maxRoundRetries` times; then the federation fails.
 * - A tenant that joins (or rejoins) mid-round takes part from the next round (or attempt).
 * - Under secure aggregation (`rules.secagg`) the masks cancel only in the sum of every
 *   participant's update, so a round aggregates only when all of them were accepted. As soon as
 *   one participant fails (rejected, dropped, past the deadline) the attempt ends and the round is
 *   retried without the tenants that failed it (they are asked again next round); updates that
 *   answer another attempt are rejected ('stale-round'), their masks belonging to another set.
 *   When the unmasked mean is longer than the participants' signed norms allow, the service feeds
 *   `aggregation.refused`: every update of the round is rejected ('secagg-mean-over-bound'), the
 *   global model stays, and the next round opens (the masks hide who lied, so no one is excluded).
 */
import { ArtifactRef, DEFAULT_MAX_NORM_TO_MEDIAN } from '@dermagan/contracts';
import { z } from 'zod';
import { checkEnvelope, normOutliers, normsOverMedian, REJECTION_REASONS, type Rejection } from './validation.ts';

/** Rules of a federation. */
export const RoundRulesSchema = z.object({
  /** Total rounds N. */
  rounds: z.number().int().positive(),
  /** Minimum accepted updates to aggregate a round. */
  quorum: z.number().int().positive(),
  /** Time a round stays open, in milliseconds. */
  roundTimeoutMs: z.number().positive(),
  /** How often a round is retried when its quorum is missed, before the federation fails. */
  maxRoundRetries: z.number().int().nonnegative().default(2),
  /** Largest acceptable sample count per update; absent = no bound. */
  maxSamples: z.number().int().positive().optional(),
  /**
   * Reject accepted updates whose ‖update − global‖ exceeds this many times the median of the
   * round's norms (validation.normsOverMedian; with ≥ 3 updates). 3 by default: honest updates of
   * one round, K local steps from the same model, differ far less; 0 = off.
   */
  maxNormToMedian: z.number().nonnegative().default(DEFAULT_MAX_NORM_TO_MEDIAN),
  /** Reject accepted updates whose norm's robust z-score exceeds this (validation.normOutliers); absent = off. */
  outlierZ: z.number().positive().optional(),
  /** Secure aggregation: every participant's update is needed (see the module comment). */
  secagg: z.boolean().default(false),
});
export type RoundRules = z.output<typeof RoundRulesSchema>;

const RejectionSchema = z.object({ tenant: z.string(), round: z.number().int(), reason: z.enum(REJECTION_REASONS), detail: z.string() });

const ReceivedSchema = z.object({
  ref: ArtifactRef,
  samples: z.number().int().positive(),
  signature: z.string().nullable(),
  /** 'validating' until the service reports the signature and content checks. */
  status: z.enum(['validating', 'accepted']),
  /** ‖update − global‖ once accepted. */
  deltaNorm: z.number().nullable(),
  /** ‖update − global‖ as the tenant reported (and signed) it: under secure aggregation, the only norm there is. */
  reportedNorm: z.number().nonnegative().nullable().default(null),
});
export type ReceivedUpdate = z.output<typeof ReceivedSchema>;

/** What one round (attempt) ended with; the data of `federation.round.completed`. */
export const RoundSummarySchema = z.object({
  round: z.number().int().positive(),
  attempt: z.number().int().nonnegative(),
  participants: z.array(z.string()),
  /** Tenants averaged in. */
  accepted: z.array(z.string()),
  /** Tenants dropped (drop-out, deadline). */
  dropped: z.array(z.string()),
  rejected: z.array(RejectionSchema),
  /** ‖update − global‖ per validated tenant (accepted or rejected as an outlier). */
  updateNorms: z.record(z.string(), z.number()),
  /** Sample counts of the accepted updates. */
  samples: z.record(z.string(), z.number()),
  /** True when a new global model was made. */
  aggregated: z.boolean(),
  /** The global model after the round (the previous one when not aggregated). */
  globalRef: ArtifactRef,
  /** Why no model was made (quorum missed, strategy skipped). */
  reasons: z.array(z.string()),
});
export type RoundSummary = z.output<typeof RoundSummarySchema>;

/** The persisted state. */
export const FederationStateSchema = z.object({
  version: z.literal(1),
  federation: z.string().min(1),
  rules: RoundRulesSchema,
  phase: z.enum(['collecting', 'aggregating', 'completed', 'failed']),
  round: z.number().int().positive(),
  attempt: z.number().int().nonnegative(),
  globalRef: ArtifactRef,
  /** The strategy's state (StrategyState plus the server-state ref), opaque here. */
  strategyState: z.unknown(),
  /** Registered tenants: the round they joined (or rejoined) at and whether they are active. */
  tenants: z.record(z.string(), z.object({ joinedRound: z.number().int().positive(), active: z.boolean(), samples: z.number().int().positive().optional() })),
  participants: z.array(z.string()),
  /** Tenants left out of this round's retries (secure aggregation: they failed an earlier attempt). */
  excluded: z.array(z.string()).default([]),
  received: z.record(z.string(), ReceivedSchema),
  /** Tenants that submitted this round (accepted, validating or rejected), for duplicates. */
  submitted: z.array(z.string()),
  rejected: z.array(RejectionSchema),
  dropped: z.array(z.string()),
  /** ‖update − global‖ of every update validated this round (kept when an outlier is rejected). */
  norms: z.record(z.string(), z.number()),
  /** Deadline of the open round, epoch milliseconds. */
  deadline: z.number(),
  deadlinePassed: z.boolean(),
  history: z.array(RoundSummarySchema),
  failure: z.string().nullable(),
});
export type FederationState = z.output<typeof FederationStateSchema>;

/** Everything that can happen to the aggregator. `at` is the time, epoch milliseconds. */
export type FederationInput =
  | { type: 'tenant.joined'; tenant: string; samples?: number; at: number }
  | { type: 'tenant.dropped'; tenant: string; at: number; reason?: string }
  | { type: 'update.submitted'; tenant: string; round: number; attempt?: number; ref: ArtifactRef; samples: number; signature: string | null; reportedNorm?: number | null; at: number }
  /** `deltaNorm` null: not measurable (a masked update under secure aggregation). */
  | { type: 'update.validated'; tenant: string; round: number; deltaNorm: number | null; at: number }
  | { type: 'update.rejected'; rejection: Rejection; at: number }
  | { type: 'deadline.passed'; round: number; attempt: number; at: number }
  | { type: 'aggregation.completed'; round: number; attempt: number; globalRef: ArtifactRef; strategyState: unknown; at: number }
  | { type: 'aggregation.skipped'; round: number; attempt: number; reasons: string[]; at: number }
  /** The round's updates, though each passed its checks, are refused together (secure aggregation: the unmasked mean is over its bound). */
  | { type: 'aggregation.refused'; round: number; attempt: number; rejections: Rejection[]; reasons: string[]; at: number }
  | { type: 'resumed'; at: number };

/** What the service does after persisting the new state. */
export type FederationAction =
  | { type: 'publish-round-started'; round: number; attempt: number; participants: string[]; globalRef: ArtifactRef; deadline: number }
  | { type: 'schedule-deadline'; round: number; attempt: number; at: number }
  | { type: 'validate-update'; tenant: string; round: number; attempt: number; ref: ArtifactRef; samples: number; signature: string | null; reportedNorm: number | null }
  | { type: 'reject-update'; rejection: Rejection }
  | {
      type: 'aggregate';
      round: number;
      attempt: number;
      globalRef: ArtifactRef;
      strategyState: unknown;
      updates: { tenant: string; ref: ArtifactRef; samples: number; deltaNorm: number; reportedNorm: number | null }[];
      failures: { tenant: string; reason: string; detail?: string }[];
    }
  | { type: 'publish-round-completed'; summary: RoundSummary }
  | { type: 'publish-federation-completed'; globalRef: ArtifactRef; rounds: number }
  | { type: 'publish-federation-failed'; reason: string };

/** Picks a round's participants among the active tenants (e.g. Strategy.configureRound). */
export type RoundPlanner = (round: number, active: readonly string[]) => string[];

/** Every active tenant, sorted. */
export const allActive: RoundPlanner = (_round, active) => [...active].sort();

/** Raised for an invalid start or persisted state. Never retriable. */
export class FederationStateError extends Error {
  override readonly name = 'FederationStateError';
  readonly retriable = false;
}

export interface Transition {
  state: FederationState;
  actions: FederationAction[];
}

/** Arguments of a new federation. */
export interface StartFederation {
  federation: string;
  rules: z.input<typeof RoundRulesSchema>;
  /** The initial global model. */
  globalRef: ArtifactRef;
  /** Tenants registered at the start. */
  tenants: readonly string[];
  /** Their sample counts where known (secure aggregation announces FedAvg weights from them). */
  samples?: Readonly<Record<string, number>>;
  strategyState: unknown;
  at: number;
}

/** A new federation in round 1. */
export function startFederation(args: StartFederation, planner: RoundPlanner = allActive): Transition {
  const rules = RoundRulesSchema.parse(args.rules);
  const state: FederationState = {
    version: 1,
    federation: args.federation,
    rules,
    phase: 'collecting',
    round: 1,
    attempt: 0,
    globalRef: args.globalRef,
    strategyState: args.strategyState,
    tenants: Object.fromEntries(
      [...new Set(args.tenants)].map((t) => [t, { joinedRound: 1, active: true, ...(args.samples?.[t] ? { samples: args.samples[t] } : {}) }]),
    ),
    participants: [],
    excluded: [],
    received: {},
    submitted: [],
    rejected: [],
    dropped: [],
    norms: {},
    deadline: 0,
    deadlinePassed: false,
    history: [],
    failure: null,
  };
  const actions: FederationAction[] = [];
  return { state: openRound(state, args.at, planner, actions), actions };
}

/** Parse a persisted state (after a restart); throws FederationStateError with the reason. */
export function restoreFederationState(json: unknown): FederationState {
  const r = FederationStateSchema.safeParse(json);
  if (!r.success) throw new FederationStateError(`restoreFederationState: not a federation state: ${z.prettifyError(r.error)}`);
  return r.data;
}

function activeTenants(s: FederationState): string[] {
  return Object.entries(s.tenants).filter(([, t]) => t.active).map(([id]) => id).sort();
}

function roundStartedAction(s: FederationState): FederationAction {
  return { type: 'publish-round-started', round: s.round, attempt: s.attempt, participants: [...s.participants], globalRef: s.globalRef, deadline: s.deadline };
}

/** Reset the per-round fields and announce the round (same number, current attempt). */
function openRound(s: FederationState, at: number, planner: RoundPlanner, actions: FederationAction[]): FederationState {
  const participants = planner(s.round, activeTenants(s).filter((t) => !s.excluded.includes(t)));
  const next: FederationState = {
    ...s,
    phase: 'collecting',
    participants,
    received: {},
    submitted: [],
    rejected: [],
    dropped: [],
    norms: {},
    deadline: at + s.rules.roundTimeoutMs,
    deadlinePassed: false,
  };
  actions.push(roundStartedAction(next), { type: 'schedule-deadline', round: next.round, attempt: next.attempt, at: next.deadline });
  return next;
}

function resolved(s: FederationState): Set<string> {
  return new Set([...Object.keys(s.received), ...s.rejected.filter((r) => r.round === s.round).map((r) => r.tenant), ...s.dropped]);
}

function summaryOf(s: FederationState, aggregated: boolean, globalRef: ArtifactRef, reasons: string[]): RoundSummary {
  const accepted = Object.entries(s.received).filter(([, r]) => r.status === 'accepted');
  return {
    round: s.round,
    attempt: s.attempt,
    participants: [...s.participants],
    accepted: accepted.map(([t]) => t).sort(),
    dropped: [...s.dropped].sort(),
    rejected: [...s.rejected],
    updateNorms: { ...s.norms },
    samples: Object.fromEntries(accepted.map(([t, r]) => [t, r.samples])),
    aggregated,
    globalRef,
    reasons,
  };
}

/** Decide whether the round can aggregate, must wait, or missed its quorum. */
function progress(s: FederationState, at: number, planner: RoundPlanner, actions: FederationAction[]): FederationState {
  if (s.phase !== 'collecting') return s;
  if (Object.values(s.received).some((r) => r.status === 'validating')) return s;
  const done = resolved(s);
  const waiting = s.participants.filter((p) => !done.has(p));
  if (s.rules.secagg) {
    const failed = s.participants.filter((p) => done.has(p) && !(p in s.received));
    if (failed.length > 0) return missedRound({ ...s, excluded: [...s.excluded, ...failed] }, [secaggReason(failed)], at, planner, actions);
  }
  if (waiting.length > 0 && !s.deadlinePassed) return s;
  let next: FederationState = { ...s, dropped: [...s.dropped, ...waiting] };
  if (s.rules.secagg && waiting.length > 0) {
    return missedRound({ ...next, excluded: [...next.excluded, ...waiting] }, [secaggReason(waiting)], at, planner, actions);
  }

  // Norm bounds relative to the round's accepted norms (none under secure aggregation: no norms):
  // more than maxNormToMedian × the median, then the robust z-score test on what remains.
  if (!next.rules.secagg) {
    const norms = Object.entries(next.received).map(([tenant, r]) => ({ tenant, norm: r.deltaNorm ?? 0 }));
    const overMedian = normsOverMedian(next.round, norms, next.rules.maxNormToMedian);
    const rest = norms.filter((n) => !overMedian.some((o) => o.tenant === n.tenant));
    const outliers = [...overMedian, ...(next.rules.outlierZ !== undefined ? normOutliers(next.round, rest, { maxZ: next.rules.outlierZ }) : [])];
    if (outliers.length > 0) {
      const received = { ...next.received };
      for (const o of outliers) {
        delete received[o.tenant];
        actions.push({ type: 'reject-update', rejection: o });
      }
      next = { ...next, received, rejected: [...next.rejected, ...outliers] };
    }
  }

  const accepted = Object.entries(next.received);
  if (accepted.length >= next.rules.quorum) {
    next = { ...next, phase: 'aggregating' };
    actions.push({
      type: 'aggregate',
      round: next.round,
      attempt: next.attempt,
      globalRef: next.globalRef,
      strategyState: next.strategyState,
      updates: accepted
        .map(([tenant, r]) => ({ tenant, ref: r.ref, samples: r.samples, deltaNorm: r.deltaNorm ?? 0, reportedNorm: r.reportedNorm }))
        .sort((a, b) => a.tenant.localeCompare(b.tenant)),
      failures: [
        ...next.dropped.map((tenant) => ({ tenant, reason: 'dropped' })),
        ...next.rejected.filter((r) => r.round === next.round).map((r) => ({ tenant: r.tenant, reason: r.reason, detail: r.detail })),
      ],
    });
    return next;
  }

  return missedRound(next, [`quorum not met: ${accepted.length} accepted update(s), quorum ${next.rules.quorum}`], at, planner, actions);
}

function secaggReason(failed: readonly string[]): string {
  return `secure aggregation needs every participant's masked update; none usable from ${[...failed].sort().join(', ')}, so the masks do not cancel`;
}

/** The attempt cannot aggregate: report it, then retry the round or fail the federation. */
function missedRound(s: FederationState, reasons: string[], at: number, planner: RoundPlanner, actions: FederationAction[]): FederationState {
  const summary = summaryOf(s, false, s.globalRef, reasons);
  actions.push({ type: 'publish-round-completed', summary });
  const next: FederationState = { ...s, history: [...s.history, summary] };
  if (next.attempt < next.rules.maxRoundRetries) {
    return openRound({ ...next, attempt: next.attempt + 1 }, at, planner, actions);
  }
  const failure = `round ${next.round}: ${reasons.join('; ')} after ${next.attempt + 1} attempt(s)`;
  actions.push({ type: 'publish-federation-failed', reason: failure });
  return { ...next, phase: 'failed', failure };
}

/** Close the round (aggregated or skipped) and open the next one, or complete. */
function closeRound(s: FederationState, summary: RoundSummary, at: number, planner: RoundPlanner, actions: FederationAction[]): FederationState {
  actions.push({ type: 'publish-round-completed', summary });
  const next: FederationState = { ...s, globalRef: summary.globalRef, history: [...s.history, summary] };
  if (next.round >= next.rules.rounds) {
    actions.push({ type: 'publish-federation-completed', globalRef: next.globalRef, rounds: next.round });
    return { ...next, phase: 'completed' };
  }
  return openRound({ ...next, round: next.round + 1, attempt: 0, excluded: [] }, at, planner, actions);
}

/** The reducer. Inputs that do not apply (stale timers, repeated feedback) change nothing. */
export function reduceFederation(state: FederationState, input: FederationInput, planner: RoundPlanner = allActive): Transition {
  const actions: FederationAction[] = [];
  const s = state;
  const finished = s.phase === 'completed' || s.phase === 'failed';
  switch (input.type) {
    case 'tenant.joined': {
      if (finished) return { state: s, actions };
      const known = s.tenants[input.tenant];
      if (known?.active) return { state: s, actions };
      const samples = input.samples ?? known?.samples;
      const tenants = { ...s.tenants, [input.tenant]: { joinedRound: s.round + 1, active: true, ...(samples ? { samples } : {}) } };
      return { state: { ...s, tenants }, actions };
    }
    case 'tenant.dropped': {
      const known = s.tenants[input.tenant];
      if (finished || !known) return { state: s, actions };
      let next: FederationState = { ...s, tenants: { ...s.tenants, [input.tenant]: { ...known, active: false } } };
      if (next.phase === 'collecting' && next.participants.includes(input.tenant) && !resolved(next).has(input.tenant)) {
        next = { ...next, dropped: [...next.dropped, input.tenant] };
        next = progress(next, input.at, planner, actions);
      }
      return { state: next, actions };
    }
    case 'update.submitted': {
      if (s.rules.secagg && !finished && input.round === s.round && input.attempt !== undefined && input.attempt !== s.attempt) {
        const rejection: Rejection = {
          tenant: input.tenant, round: input.round, reason: 'stale-round',
          detail: `answers attempt ${input.attempt} of round ${input.round}; attempt ${s.attempt} is open and secure-aggregation masks belong to one attempt`,
        };
        actions.push({ type: 'reject-update', rejection });
        return { state: s, actions };
      }
      const ctx = finished
        ? { round: s.round + 1, participants: [], dropped: [], submitted: [] }
        : {
            round: s.round, participants: s.participants, dropped: s.dropped, submitted: s.submitted, maxSamples: s.rules.maxSamples,
            registered: Object.fromEntries(Object.entries(s.tenants).map(([t, x]) => [t, x.samples])),
            hashes: Object.fromEntries(Object.entries(s.received).map(([t, r]) => [t, r.ref.sha256])),
          };
      const rejection = checkEnvelope(ctx, { ...input, sha256: input.ref.sha256 });
      if (rejection) {
        actions.push({ type: 'reject-update', rejection });
        // Only a rejection of this round's expected update resolves the tenant for this round.
        if ((rejection.reason === 'bad-sample-count' || rejection.reason === 'copied-update') && s.phase === 'collecting') {
          const next = { ...s, submitted: [...s.submitted, input.tenant], rejected: [...s.rejected, rejection] };
          return { state: progress(next, input.at, planner, actions), actions };
        }
        return { state: s, actions };
      }
      const received = {
        ...s.received,
        [input.tenant]: { ref: input.ref, samples: input.samples, signature: input.signature, status: 'validating' as const, deltaNorm: null, reportedNorm: input.reportedNorm ?? null },
      };
      actions.push({
        type: 'validate-update', tenant: input.tenant, round: input.round, attempt: s.attempt, ref: input.ref, samples: input.samples,
        signature: input.signature, reportedNorm: input.reportedNorm ?? null,
      });
      return { state: { ...s, received, submitted: [...s.submitted, input.tenant] }, actions };
    }
    case 'update.validated': {
      const r = s.received[input.tenant];
      if (s.phase !== 'collecting' || input.round !== s.round || r?.status !== 'validating') return { state: s, actions };
      const received = { ...s.received, [input.tenant]: { ...r, status: 'accepted' as const, deltaNorm: input.deltaNorm } };
      const norms = input.deltaNorm === null ? s.norms : { ...s.norms, [input.tenant]: input.deltaNorm };
      return { state: progress({ ...s, received, norms }, input.at, planner, actions), actions };
    }
    case 'update.rejected': {
      const { rejection } = input;
      actions.push({ type: 'reject-update', rejection });
      const r = s.received[rejection.tenant];
      if (s.phase !== 'collecting' || rejection.round !== s.round || r?.status !== 'validating') return { state: s, actions };
      const received = { ...s.received };
      delete received[rejection.tenant];
      return { state: progress({ ...s, received, rejected: [...s.rejected, rejection] }, input.at, planner, actions), actions };
    }
    case 'deadline.passed': {
      if (s.phase !== 'collecting' || input.round !== s.round || input.attempt !== s.attempt || s.deadlinePassed) return { state: s, actions };
      return { state: progress({ ...s, deadlinePassed: true }, input.at, planner, actions), actions };
    }
    case 'aggregation.completed': {
      if (s.phase !== 'aggregating' || input.round !== s.round || input.attempt !== s.attempt) return { state: s, actions };
      const summary = summaryOf(s, true, input.globalRef, []);
      return { state: closeRound({ ...s, strategyState: input.strategyState }, summary, input.at, planner, actions), actions };
    }
    case 'aggregation.skipped': {
      if (s.phase !== 'aggregating' || input.round !== s.round || input.attempt !== s.attempt) return { state: s, actions };
      const summary = summaryOf(s, false, s.globalRef, input.reasons);
      return { state: closeRound(s, summary, input.at, planner, actions), actions };
    }
    case 'aggregation.refused': {
      if (s.phase !== 'aggregating' || input.round !== s.round || input.attempt !== s.attempt) return { state: s, actions };
      for (const rejection of input.rejections) actions.push({ type: 'reject-update', rejection });
      const refused = new Set(input.rejections.map((r) => r.tenant));
      const received = Object.fromEntries(Object.entries(s.received).filter(([tenant]) => !refused.has(tenant)));
      const next: FederationState = { ...s, received, rejected: [...s.rejected, ...input.rejections] };
      return { state: closeRound(next, summaryOf(next, false, s.globalRef, input.reasons), input.at, planner, actions), actions };
    }
    case 'resumed':
      return { state: s, actions: resumeActions(s) };
  }
}

/** The actions that bring a restarted service back into the phase it was in. */
function resumeActions(s: FederationState): FederationAction[] {
  switch (s.phase) {
    case 'collecting': {
      const out: FederationAction[] = [roundStartedAction(s)];
      if (!s.deadlinePassed) out.push({ type: 'schedule-deadline', round: s.round, attempt: s.attempt, at: s.deadline });
      for (const [tenant, r] of Object.entries(s.received)) {
        if (r.status === 'validating') {
          out.push({ type: 'validate-update', tenant, round: s.round, attempt: s.attempt, ref: r.ref, samples: r.samples, signature: r.signature, reportedNorm: r.reportedNorm });
        }
      }
      return out;
    }
    case 'aggregating': {
      const replay: FederationAction[] = [];
      progress({ ...s, phase: 'collecting', deadlinePassed: true, rules: { ...s.rules, outlierZ: undefined } }, 0, allActive, replay);
      return replay.filter((a) => a.type === 'aggregate');
    }
    case 'completed':
      return [{ type: 'publish-federation-completed', globalRef: s.globalRef, rounds: s.round }];
    case 'failed':
      return [{ type: 'publish-federation-failed', reason: s.failure ?? 'failed' }];
  }
}
