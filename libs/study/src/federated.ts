/**
 * The study's federated GAN (the paper's second half), run through the same events a cluster
 * uses: `federation.requested` → the aggregator's rounds with the tenants' updates →
 * `federation.round.completed` per round → `federation.completed` (or `federation.failed`).
 * The tenants (hospitals) are whatever answers on the bus: in the embedded study they are tenant
 * agents in this process; in a cluster, each hospital's gan-trainer in tenant mode.
 */
import { randomUUID } from 'node:crypto';
import type { EventBus } from '@dermagan/bus';
import type { ArtifactRef, DermaganEvent, FolderRef } from '@dermagan/contracts';
import { federationRequest, watchFederation, type FederationSpec, type RoundCompletedData } from '@dermagan/federation';
import { StudyStepError } from './replies.ts';
import { Silence } from './silence.ts';

export type RoundSummary = RoundCompletedData;

/** What the federated part of a study needs from its setting (embedded tenant agents, or the hospitals' own). */
export interface StudyFederationSetting {
  /** Tenant id (`tenant-0`, …) → the Ed25519 public key (SPKI PEM) its updates are verified with. */
  publicKeys: Record<string, string>;
  /** The operator's Ed25519 private key (PKCS#8 PEM) the request is signed with; the aggregator and tenants hold its public key. */
  operatorKey: string;
  /** Embedded tenants: point them at the dataset they train on (hospitals' own agents are configured at their site). */
  useDataset?: (dataset: FolderRef) => void;
}

export interface FederatedRunOptions {
  bus: EventBus;
  /** The federation: tenants, rounds, K, strategy, training options, output (quorum: every tenant). */
  spec: Omit<FederationSpec, 'quorum' | 'roundTimeoutMs'>;
  /** The operator's private key (PKCS#8 PEM) the request is signed with. */
  operatorKey: string;
  /** Fail after this long without a word from any service (a round completing is one). */
  timeoutMs: number;
  /** When the services were last heard from (default: from this federation's rounds only). */
  silence?: Silence;
  onRound?: (round: RoundSummary) => void;
  /** Aborted = stop waiting (the federation itself goes on, or resumes when asked again). */
  signal?: AbortSignal;
  /** How the request is published (default bus.publish; the study publishes it once per study). */
  publish?: (event: DermaganEvent<unknown>) => Promise<void>;
}

/** Rejected updates over a federation's rounds, by reason (what the report's federation section shows). */
export function countRejections(rounds: ReadonlyArray<{ rejected: ReadonlyArray<{ reason: string }> }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of rounds) for (const x of r.rejected) counts[x.reason] = (counts[x.reason] ?? 0) + 1;
  return counts;
}

/** Publish the federation request and wait for its end; returns the global model and the rounds. */
export async function runFederation(o: FederatedRunOptions): Promise<{ global: ArtifactRef; rounds: RoundSummary[]; epsilon: number | null }> {
  const id = o.spec.federation;
  // A group of its own each time: a study continued later reads the federation's events from the
  // start of the topics (rounds and the end it missed while it was stopped), on a durable bus too.
  const silence = o.silence ?? new Silence();
  const onRound = (r: RoundSummary) => {
    silence.heard();
    o.onRound?.(r);
  };
  const { done } = await watchFederation(o.bus, id, onRound, `study-${id}-${randomUUID().slice(0, 8)}`);
  let stopWatching: (() => void) | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<never>((_, reject) => {
    stopWatching = silence.watch(o.timeoutMs, () =>
      reject(new StudyStepError(`federation ${id}: not finished, and nothing heard from any service for ${Math.round(o.timeoutMs / 1000)} s — are the aggregator and the tenants running?`)),
    );
    onAbort = () => reject(new StudyStepError(`federation ${id}: the study stopped waiting`));
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });
  });
  // Stopped (or silent) while the request is still being published: the race below takes the rejection, not the process.
  timeout.catch(() => undefined);
  await (o.publish ?? ((e) => o.bus.publish(e)))(federationRequest({ ...o.spec, quorum: o.spec.tenants.length, roundTimeoutMs: o.timeoutMs }, o.operatorKey, '/dermagan/study'));
  try {
    const outcome = await Promise.race([done, timeout]);
    if (outcome.status === 'failed') throw new StudyStepError(`federation ${id} failed: ${outcome.reason}`);
    return { global: outcome.completed.global, rounds: outcome.rounds, epsilon: outcome.completed.privacy?.epsilon ?? null };
  } finally {
    stopWatching?.();
    if (onAbort) o.signal?.removeEventListener('abort', onAbort);
  }
}
