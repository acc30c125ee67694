/**
 * The worker of a hospital's round Job (round-job-spec.ts makes the Job): one
 * `federation.round.started`, read from the Job's environment, trained by the tenant agent's own
 * handler — starting from the local state the previous round left in the hospital's bucket, and
 * keeping this round's there — with the update uploaded to the bucket and signed. It does not
 * publish: it leaves the signed `federation.update.submitted` in the bucket, and the agent
 * publishes it once Kubernetes reports the Job Complete (the Job's outcome and the event cannot
 * disagree).
 */
import { ContractError, FederationRoundStarted, type DermaganEvent } from '@dermagan/contracts';
import { roundResultKey } from './round-job-spec.ts';
import type { RoundStartedData, TenantAgent } from './tenant.ts';

/** What a round's worker leaves in the bucket: the update to publish, or why there is none. */
export interface RoundResult {
  update: DermaganEvent<unknown> | null;
  /** Why no update (not a participant, the deadline passed). */
  reason?: string;
}

export type RoundJobOutcome =
  | { status: 'submitted' | 'skipped'; federation: string; round: number; key: string }
  | { status: 'invalid-request'; message: string }
  | { status: 'interrupted'; message: string };

export async function runRoundJob(rawEvent: string | undefined, agent: TenantAgent, signal?: AbortSignal): Promise<RoundJobOutcome> {
  let event: DermaganEvent<RoundStartedData>;
  try {
    if (!rawEvent) throw new ContractError('no federation.round.started in the environment (the tenant agent sets it)');
    event = FederationRoundStarted.parse(JSON.parse(rawEvent));
    if (!event.runid) throw new ContractError(`${event.type} ${event.id} carries no runid (the federation id)`);
  } catch (err) {
    return { status: 'invalid-request', message: (err as Error).message };
  }
  const federation = event.runid;
  const { store, bucket } = agent.deps;
  let update: DermaganEvent<unknown> | null = null;
  try {
    const report = await agent.onRoundStarted(event, async (e) => void (update = e), signal);
    const result: RoundResult = report ? { update } : { update: null, reason: 'not a participant of this round, or its deadline had passed' };
    const key = roundResultKey(federation, event.data.round, event.data.attempt);
    await store.put(bucket, key, JSON.stringify(result), { contentType: 'application/json' });
    return { status: report ? 'submitted' : 'skipped', federation, round: event.data.round, key };
  } catch (err) {
    if (signal?.aborted && (err as { retriable?: boolean }).retriable) return { status: 'interrupted', message: (err as Error).message };
    if ((err as { retriable?: boolean }).retriable === false) return { status: 'invalid-request', message: (err as Error).message };
    throw err;
  }
}
