/**
 * The Kubernetes Job of one hospital's local training in one federation round, as a pure function
 * of the `federation.round.started` event, the tenant and the site chart's JobTemplate. Its name is
 * derived from the event id, so a redelivered round names the same Job and the API server refuses
 * a second one. The worker (round-job-main) trains the round exactly as the in-process agent would
 * and leaves the signed update event in the hospital's bucket; the agent publishes it.
 */
import type { V1Job } from '@kubernetes/client-node';
import { TRAINING_JOB, type DermaganEvent } from '@dermagan/contracts';
import { jobFromTemplate, jobName, runLabel, type JobTemplate } from '@dermagan/kube';
import type { RoundStartedData } from './tenant.ts';

/** The tenant agent's name in its round Jobs' managed-by label. */
export const ROUND_JOB_MANAGER = 'dermagan-tenant';

export const ROUND_JOB = {
  /** The worker's `federation.round.started` event (JSON). */
  roundEnv: 'DERMAGAN_TENANT_ROUND',
  /** The same meanings as a training Job's: 2 = cannot succeed (no retry), 75 = interrupted. */
  exitCodes: TRAINING_JOB.exitCodes,
  /** Label naming the tenant, so a site's Jobs can be listed per tenant. */
  tenantLabel: 'dermagan.org/tenant',
} as const;

/** Where a round's worker leaves its outcome, in the hospital's bucket. */
export function roundResultKey(federation: string, round: number, attempt: number): string {
  return `federations/${federation}/rounds/round-${round}-attempt-${attempt}.result.json`;
}

/** `round-<tenant>-<federation>-<hash of the event id>`: one Job per round event. */
export function roundJobName(tenant: string, event: DermaganEvent<RoundStartedData>): string {
  return jobName('round', `${tenant}-${event.runid ?? 'federation'}-r${event.data.round}`, event.id, 1);
}

export function buildRoundJob(event: DermaganEvent<RoundStartedData>, tenant: string, bucket: string, template: JobTemplate): V1Job {
  const federation = event.runid ?? '';
  return jobFromTemplate(template, {
    name: roundJobName(tenant, event),
    managedBy: ROUND_JOB_MANAGER,
    component: 'federation-round',
    run: federation,
    requestId: event.id,
    attempt: 1,
    gpus: template.gpus,
    container: 'round',
    entry: 'round-job-main',
    service: `gan-trainer-round-${tenant}`,
    env: [{ name: ROUND_JOB.roundEnv, value: JSON.stringify(event) }],
    result: `${bucket}/${roundResultKey(federation, event.data.round, event.data.attempt)}`,
    failJobOnExitCodes: [ROUND_JOB.exitCodes.invalidRequest],
    labels: { [ROUND_JOB.tenantLabel]: runLabel(tenant) },
  });
}
