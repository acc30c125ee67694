import { z } from 'zod';
import { ArtifactRef, FolderRef, OutputLocation } from '../artifact.ts';
import { defineEvent } from '../event.ts';
import { FederatedGanTrainingOptions } from '../options/gan-training.ts';
import { Numbers } from './numbers.ts';

/**
 * Federation: the fl-aggregator and the tenants' gan-trainers (issue 8; libs/federation holds the
 * logic). Every federation event carries the `runid` extension (the federation id); tenant-specific
 * ones also carry `tenant`.
 */

/**
 * The default bound on an update's norm relative to its round: honest updates of one round (K
 * local steps from the same model) differ far less than 3× from their median.
 */
export const DEFAULT_MAX_NORM_TO_MEDIAN = 3;

/** Why an update was not averaged in (the checks are libs/federation validation.ts). */
export const REJECTION_REASONS = [
  'stale-round', // answers a round that is already closed (a replay or a straggler)
  'future-round', // answers a round that has not started
  'not-participant', // the tenant was not asked to take part in this round
  'past-deadline', // arrived after this round's deadline dropped the tenant
  'duplicate', // the tenant already submitted for this round
  'copied-update', // the same bytes as another tenant's update this round (a free ride, or a weight doubled)
  'unknown-tenant', // no public key registered for the tenant
  'signature-missing',
  'signature-invalid',
  'bad-sample-count', // sample count not a positive integer, above what the tenant registered, or above the maximum
  'corrupt', // unreadable, truncated, or the bytes do not hash to the signed sha256
  'schema-mismatch', // tensor names, order or shapes differ from the global model
  'non-finite', // a NaN or ±Infinity value
  'norm-too-large', // ‖update − global‖ above the configured absolute bound
  'norm-over-median', // ‖update − global‖ more than maxNormToMedian × the median of this round's norms
  'norm-outlier', // robust z-score of the norm above the bound among this round's updates
  'norm-unreported', // secure aggregation: the update carries no signed ‖update − global‖ (deltaNorm)
  'secagg-mean-over-bound', // secure aggregation: the round's unmasked mean is longer than its tenants' reported norms allow; every update of the round refused (the liar cannot be named)
] as const;

const FederationRejection = z.object({
  tenant: z.string(),
  round: z.number().int(),
  reason: z.enum(REJECTION_REASONS),
  detail: z.string(),
});

/** What happens to ADA p, pl_mean, the Adam moments and G_ema each round (libs/federation gan-state-policy.ts). */
const GanStatePolicy = z.object({
  adaP: z.enum(['average', 'keep-local', 'max']),
  plMean: z.enum(['average', 'keep-local', 'reset']),
  moments: z.enum(['keep-local', 'reset', 'average']),
  gEma: z.enum(['average', 'recompute']),
  gEmaBeta: z.number().min(0).lt(1),
});

export const FederationRequested = defineEvent(
  'org.dermagan.federation.requested.v1',
  z.object({
    /**
     * The tenants: id, the Ed25519 public key (SPKI PEM) its updates are verified with, and the
     * images it registered. A tenant trains on the dataset its own configuration names, never on
     * one a request names (`dataset` is informational: the operator's record of where it is).
     */
    tenants: z
      .array(
        z.object({
          tenant: z.string().min(1),
          dataset: FolderRef.optional(),
          publicKey: z.string().min(1),
          /** Images the tenant trains on: its FedAvg weight, announced before training under secure aggregation (required there). */
          samples: z.number().int().positive().optional(),
        }),
      )
      .min(1),
    rounds: z.number().int().positive(),
    /** Local iterations per round (the study: 100). */
    k: z.number().int().positive().default(100),
    /** Aggregation rule and its options (fedavg, fedprox, fedadam, fedyogi, fedadagrad, fedmedian, trimmed-mean, krum). */
    strategy: z.object({ name: z.string().min(1), options: z.record(z.string(), z.unknown()).default({}) }),
    /** GAN-state policy; missing fields take the library defaults. */
    ganStatePolicy: GanStatePolicy.partial().default({}),
    /** DP-FedAvg: clip C, noise multiplier σ, and the δ ε is reported for; null = off. */
    dp: z.object({ clip: z.number().positive(), noiseMultiplier: z.number().nonnegative(), delta: z.number().gt(0).lt(1).default(1e-5) }).nullable().default(null),
    /** Secure aggregation: tenants upload pairwise-masked updates; the aggregator sees only their sum. */
    secagg: z.boolean().default(false),
    /** Minimum accepted updates per round. */
    quorum: z.number().int().positive(),
    roundTimeoutMs: z.number().positive(),
    maxRoundRetries: z.number().int().nonnegative().default(2),
    /** Reject ‖update − global‖ above this; absent = no bound. */
    maxUpdateNorm: z.number().positive().optional(),
    /** Reject an update whose ‖update − global‖ is above this many times the median of the round's norms (with ≥ 3 updates); 0 = off. */
    maxNormToMedian: z.number().nonnegative().default(DEFAULT_MAX_NORM_TO_MEDIAN),
    /** Initial global model (weight file); null = the aggregator initialises one from `training`. */
    initialGlobal: ArtifactRef.nullable().default(null),
    /** StyleGAN2-ADA options, identical for every tenant (the run length is `rounds` × `k`). */
    training: FederatedGanTrainingOptions,
    output: OutputLocation,
    /**
     * The operator's base64 Ed25519 signature over the rest of the request and the federation id
     * (libs/federation request-signing.ts); the aggregator and the tenants ignore a request that
     * does not verify with the operator key they are configured with.
     */
    signature: z.string().optional(),
  }),
);

export const FederationTenantJoined = defineEvent(
  'org.dermagan.federation.tenant.joined.v1',
  z.object({
    tenant: z.string().min(1),
    /** Images the tenant trains on (its FedAvg weight under secure aggregation). */
    samples: z.number().int().positive().optional(),
  }),
);

/** A tenant leaving (graceful shutdown, or it cannot train): the aggregator stops waiting for it; it rejoins with `tenant.joined`. */
export const FederationTenantLeft = defineEvent(
  'org.dermagan.federation.tenant.left.v1',
  z.object({ tenant: z.string().min(1), reason: z.string() }),
);

export const FederationRoundStarted = defineEvent(
  'org.dermagan.federation.round.started.v1',
  z.object({
    round: z.number().int().positive(),
    /** Retry count of this round (0 = first attempt); tenants answer (round, attempt) once. */
    attempt: z.number().int().nonnegative(),
    /** Tenants asked to train; empty when no tenant is active (the round then waits for its deadline and is retried). */
    participants: z.array(z.string()),
    /** The global weight file to start from. */
    global: ArtifactRef,
    /** ISO time after which updates for this round are dropped. */
    deadline: z.string().datetime(),
    /** Local iterations to run. */
    k: z.number().int().positive(),
    ganStatePolicy: GanStatePolicy,
    /** FedProx μ (tenants add μ/2‖w − w_global‖²); absent = 0. */
    proximalMu: z.number().nonnegative().optional(),
    /**
     * Secure aggregation: the participants' Ed25519 public keys (SPKI PEM; their X25519 mask keys
     * derive from them), the normalised FedAvg weights each tenant pre-scales its delta by, and
     * the fixed-point scale.
     */
    secagg: z
      .object({ publicKeys: z.record(z.string(), z.string()), weights: z.record(z.string(), z.number()), scale: z.number().positive() })
      .optional(),
  }),
);

export const FederationUpdateSubmitted = defineEvent(
  'org.dermagan.federation.update.submitted.v1',
  z.object({
    tenant: z.string().min(1),
    round: z.number().int().positive(),
    attempt: z.number().int().nonnegative().default(0),
    /** The update's weight file (tenant bucket or a shared one). */
    weights: ArtifactRef,
    /** Samples seen this round (the FedAvg weight). */
    samples: z.number().int(),
    /** Local training stats (losses, ADA p, pl_mean, iterations, seconds). */
    stats: Numbers.default({}),
    /**
     * ‖update − global‖₂ over G, D and G_ema as the tenant measured it, signed with the update.
     * Required under secure aggregation (the aggregator bounds the round's unmasked mean by the
     * reported norms); absent otherwise (the aggregator measures clear updates itself).
     */
    deltaNorm: z.number().nonnegative().optional(),
    /** Base64 Ed25519 signature over (federation, round, attempt, tenant, weights.sha256, samples, deltaNorm); absent = unsigned (rejected). */
    signature: z.string().optional(),
  }),
);

export const FederationRoundCompleted = defineEvent(
  'org.dermagan.federation.round.completed.v1',
  z.object({
    round: z.number().int().positive(),
    attempt: z.number().int().nonnegative(),
    participants: z.array(z.string()),
    /** Tenants averaged in. */
    accepted: z.array(z.string()),
    dropped: z.array(z.string()),
    rejected: z.array(FederationRejection),
    /** ‖update − global‖ per validated tenant. */
    updateNorms: Numbers,
    samples: Numbers,
    /** False when no new model was made (quorum missed, strategy skipped); `reasons` says why. */
    aggregated: z.boolean(),
    reasons: z.array(z.string()),
    /** The global model after the round. */
    global: ArtifactRef,
    /** ‖new global − old global‖, DP noise std, and other aggregation numbers. */
    metrics: Numbers.default({}),
    /** Privacy spent so far (DP on), else null. */
    privacy: z.object({ epsilon: z.number(), delta: z.number() }).nullable().default(null),
  }),
);

export const FederationCompleted = defineEvent(
  'org.dermagan.federation.completed.v1',
  z.object({
    rounds: z.number().int().nonnegative(),
    global: ArtifactRef,
    /** Final privacy spent (DP on), else null. */
    privacy: z.object({ epsilon: z.number(), delta: z.number() }).nullable().default(null),
    provenance: z.record(z.string(), z.unknown()),
  }),
);

export const FederationFailed = defineEvent(
  'org.dermagan.federation.failed.v1',
  z.object({ round: z.number().int().nonnegative(), reason: z.string() }),
);

/**
 * Turn a global weight file into a training checkpoint (for the generator and metrics): asked of
 * the gan-trainer, which has the engine (the aggregator does not), so a cluster study samples and
 * scores the federated GAN like a central one.
 */
export const FederationCheckpointRequested = defineEvent(
  'org.dermagan.federation.checkpoint.requested.v1',
  z.object({
    /** The global weight file (e.g. `federation.completed`'s `global`). */
    global: ArtifactRef,
    /** The federation's training options (the networks the weights fit). */
    training: FederatedGanTrainingOptions,
    /** Class names the model is for (an unconditional federation: one). */
    labels: z.array(z.string().min(1)).min(1).default(['all']),
    /** Where the checkpoint goes (`<prefix>latest.json` points at it). */
    output: OutputLocation,
  }),
);

export const FederationCheckpointSaved = defineEvent(
  'org.dermagan.federation.checkpoint.saved.v1',
  z.object({ global: ArtifactRef, checkpoint: FolderRef }),
);
