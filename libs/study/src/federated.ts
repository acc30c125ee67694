/**
 * The study's federated GAN (the paper's second half), run through the same events a cluster
 * uses: `federation.requested` → the aggregator's rounds with the tenants' updates →
 * `federation.round.completed` per round → `federation.completed` (or `federation.failed`).
 * The tenants (hospitals) are whatever answers on the bus: in the embedded study they are tenant
 * agents in this process; in a cluster, each hospital's gan-trainer in tenant mode.
 */
import type { EventBus } from '@dermagan/bus';
import type { ArtifactRef } from '@dermagan/contracts';
import { federationRequest, watchFederation, type FederationSpec, type RoundCompletedData } from '@dermagan/federation';
import { StudyStepError } from './replies.ts';

export type RoundSummary = RoundCompletedData;

export interface FederatedRunOptions {
  bus: EventBus;
  /** The federation: tenants, rounds, K, strategy, training options, output (quorum: every tenant). */
  spec: Omit<FederationSpec, 'quorum' | 'roundTimeoutMs'>;
  timeoutMs: number;
  onRound?: (round: RoundSummary) => void;
}

/** Publish the federation request and wait for its end; returns the global model and the rounds. */
export async function runFederation(o: FederatedRunOptions): Promise<{ global: ArtifactRef; rounds: RoundSummary[]; epsilon: number | null }> {
  const id = o.spec.federation;
  const { done } = await watchFederation(o.bus, id, o.onRound, `study-${id}`);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StudyStepError(`federation ${id}: not finished within ${Math.round(o.timeoutMs / 1000)} s — are the aggregator and the tenants running?`)), o.timeoutMs);
  });
  await o.bus.publish(federationRequest({ ...o.spec, quorum: o.spec.tenants.length, roundTimeoutMs: o.timeoutMs }, '/dermagan/study'));
  try {
    const outcome = await Promise.race([done, timeout]);
    if (outcome.status === 'failed') throw new StudyStepError(`federation ${id} failed: ${outcome.reason}`);
    return { global: outcome.completed.global, rounds: outcome.rounds, epsilon: outcome.completed.privacy?.epsilon ?? null };
  } finally {
    clearTimeout(timer);
  }
}
