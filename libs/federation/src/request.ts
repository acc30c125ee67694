/**
 * A federation request from what it needs (the contract's defaults for the rest), signed with the
 * operator's key: the one builder `dermagan federation start`, `dermagan federate`, the study and
 * the tests use. The event id is the federation's, so publishing it again (a restarted requester)
 * starts nothing twice.
 */
import { FederationRequested, type DermaganEvent, type FederatedGanTrainingOptions, type FolderRef, type OutputLocation } from '@dermagan/contracts';
import type { KeyObject } from 'node:crypto';
import type { FederationRequestedData } from './federation-run.ts';
import { signFederationRequest } from './request-signing.ts';

/** What a federation request needs (the rest takes the contract's defaults). */
export interface FederationSpec {
  /** The federation id (the events' runid). */
  federation: string;
  /** Tenants with their public key, (required under secure aggregation) image count and, for the record, dataset. */
  tenants: Array<{ tenant: string; dataset?: FolderRef; publicKey: string; samples?: number }>;
  rounds: number;
  k: number;
  strategy: { name: string; options?: Record<string, unknown> };
  dp?: { clip: number; noiseMultiplier: number; delta?: number } | null;
  /** Secure aggregation (pairwise masks); default off. */
  secagg?: boolean;
  quorum: number;
  roundTimeoutMs: number;
  maxRoundRetries?: number;
  maxUpdateNorm?: number;
  /** Reject updates above this many times the round's median norm (default: the contract's, 3; 0 = off). */
  maxNormToMedian?: number;
  /** The training options every tenant trains with. */
  training: FederatedGanTrainingOptions;
  output: OutputLocation;
}

/** The `federation.requested` event of a spec, signed with the operator's Ed25519 private key (PKCS#8 PEM). */
export function federationRequest(spec: FederationSpec, operatorKey: string | KeyObject, source = '/dermagan/cli'): DermaganEvent<FederationRequestedData> {
  const meta = { source, id: `${spec.federation}:requested`, runid: spec.federation };
  const unsigned = FederationRequested.create(
    {
      tenants: spec.tenants,
      rounds: spec.rounds,
      k: spec.k,
      strategy: { name: spec.strategy.name, options: spec.strategy.options ?? {} },
      ganStatePolicy: {},
      dp: spec.dp ? { clip: spec.dp.clip, noiseMultiplier: spec.dp.noiseMultiplier, delta: spec.dp.delta ?? 1e-5 } : null,
      secagg: spec.secagg ?? false,
      quorum: spec.quorum,
      roundTimeoutMs: spec.roundTimeoutMs,
      maxRoundRetries: spec.maxRoundRetries ?? 2,
      ...(spec.maxUpdateNorm !== undefined ? { maxUpdateNorm: spec.maxUpdateNorm } : {}),
      ...(spec.maxNormToMedian !== undefined ? { maxNormToMedian: spec.maxNormToMedian } : {}),
      initialGlobal: null,
      training: spec.training,
      output: spec.output,
    },
    meta,
  ).data;
  const signature = signFederationRequest(operatorKey, spec.federation, unsigned);
  return FederationRequested.create({ ...unsigned, signature }, meta);
}

