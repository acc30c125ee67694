/**
 * The study's federated GAN (the paper's second half), run through the same events a cluster
 * uses: `federation.requested` → the aggregator's rounds with the tenants' updates →
 * `federation.round.completed` per round → `federation.completed` (or `federation.failed`).
 * The tenants (hospitals) are whatever answers on the bus: in the embedded study they are tenant
 * agents in this process; in a cluster, each hospital's gan-trainer in tenant mode.
 */
import type { EventBus } from '@dermagan/bus';
import {
  FederationCompleted, FederationFailed, FederationRequested, FederationRoundCompleted, type ArtifactRef, type FederatedGanTrainingOptions, type FolderRef,
} from '@dermagan/contracts';
import type { z } from 'zod';
import { StudyStepError } from './replies.ts';

export type RoundSummary = z.output<typeof FederationRoundCompleted.schema>;

export interface FederatedRunOptions {
  bus: EventBus;
  /** The federation id (the events' runid). */
  id: string;
  /** Tenant id → its dataset, the public key its updates are verified with, and its training images. */
  tenants: Array<{ tenant: string; dataset: FolderRef; publicKey: string; samples: number }>;
  rounds: number;
  k: number;
  strategy: string;
  secagg: boolean;
  training: FederatedGanTrainingOptions;
  output: { bucket: string; prefix: string };
  timeoutMs: number;
  onRound?: (round: RoundSummary) => void;
}

/** Publish the federation request and wait for its end; returns the global model and the rounds. */
export async function runFederation(o: FederatedRunOptions): Promise<{ global: ArtifactRef; rounds: RoundSummary[]; epsilon: number | null }> {
  const rounds: RoundSummary[] = [];
  let settle!: (r: { global: ArtifactRef; epsilon: number | null } | Error) => void;
  const done = new Promise<{ global: ArtifactRef; epsilon: number | null } | Error>((resolve) => (settle = resolve));
  const mine = (e: { runid?: string | undefined }) => e.runid === o.id;
  const group = `study-${o.id}`;
  await o.bus.subscribe({
    group,
    types: [FederationRoundCompleted.type],
    parse: (raw) => FederationRoundCompleted.parse(raw),
    handler: async (e) => {
      if (!mine(e)) return;
      rounds.push(e.data);
      o.onRound?.(e.data);
    },
  });
  await o.bus.subscribe({
    group,
    types: [FederationCompleted.type],
    parse: (raw) => FederationCompleted.parse(raw),
    handler: async (e) => void (mine(e) && settle({ global: e.data.global, epsilon: e.data.privacy?.epsilon ?? null })),
  });
  await o.bus.subscribe({
    group,
    types: [FederationFailed.type],
    parse: (raw) => FederationFailed.parse(raw),
    handler: async (e) => void (mine(e) && settle(new StudyStepError(`federation ${o.id} failed in round ${e.data.round}: ${e.data.reason}`))),
  });
  const timer = setTimeout(() => settle(new StudyStepError(`federation ${o.id}: not finished within ${Math.round(o.timeoutMs / 1000)} s — are the aggregator and the tenants running?`)), o.timeoutMs);
  await o.bus.publish(
    FederationRequested.create(
      {
        tenants: o.tenants,
        rounds: o.rounds,
        k: o.k,
        strategy: { name: o.strategy, options: {} },
        ganStatePolicy: {},
        dp: null,
        secagg: o.secagg,
        quorum: o.tenants.length,
        roundTimeoutMs: o.timeoutMs,
        maxRoundRetries: 2,
        initialGlobal: null,
        training: o.training,
        output: o.output,
      },
      { source: '/dermagan/study', id: `${o.id}:requested`, runid: o.id },
    ),
  );
  const outcome = await done;
  clearTimeout(timer);
  if (outcome instanceof Error) throw outcome;
  return { ...outcome, rounds };
}
