/**
 * A federation request from what it needs (the contract's defaults for the rest): the one builder
 * `dermagan federate`, the study and the tests use. The event id is the federation's, so publishing
 * it again (a restarted requester) starts nothing twice.
 */
import { FederationRequested, type DermaganEvent, type FederatedGanTrainingOptions, type FolderRef, type OutputLocation } from '@dermagan/contracts';
import type { FederationRequestedData } from './federation-run.ts';

/** What a federation request needs (the rest takes the contract's defaults). */
export interface FederationSpec {
  /** The federation id (the events' runid). */
  federation: string;
  /** Tenants with their dataset, public key and (required under secure aggregation) image count. */
  tenants: Array<{ tenant: string; dataset: FolderRef; publicKey: string; samples?: number }>;
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
  /** The training options every tenant trains with. */
  training: FederatedGanTrainingOptions;
  output: OutputLocation;
}

/** The `federation.requested` event of a spec. */
export function federationRequest(spec: FederationSpec, source = '/dermagan/cli'): DermaganEvent<FederationRequestedData> {
  return FederationRequested.create(
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
      initialGlobal: null,
      training: spec.training,
      output: spec.output,
    },
    { source, id: `${spec.federation}:requested`, runid: spec.federation },
  );
}

