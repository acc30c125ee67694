/**
 * What a hospital's agent records about each federation it belongs to, in its own bucket
 * (`federations/<id>/status.json`), from the aggregator's `federation.round.completed`: the last
 * round it took part in, whether its update was averaged in, and every rejection of its updates
 * with the reason; from `federation.completed` / `federation.failed`: how the federation ended
 * (a failed one with the aggregator's reason). `dermagan tenant status` reads it.
 */
import type { DermaganEvent, FederationCompleted, FederationFailed, FederationRoundCompleted } from '@dermagan/contracts';
import type { ObjectStore } from '@dermagan/store';
import { z } from 'zod';

export const TenantFederationStatus = z.object({
  federation: z.string(),
  /** The last round this tenant was asked to take part in (0: none completed yet). */
  lastRound: z.number().int().nonnegative(),
  /** How that round ended for this tenant. */
  lastOutcome: z.enum(['accepted', 'rejected', 'dropped', 'not-aggregated', 'none']),
  rejections: z.array(z.object({ round: z.number().int(), reason: z.string(), detail: z.string() })),
  /** How the federation ended (null: it runs, or its end has not reached this site); absent in a status written before this field. */
  ended: z
    .object({
      outcome: z.enum(['completed', 'failed']),
      /** Completed: its rounds; failed: the round it failed in. */
      round: z.number().int().nonnegative(),
      /** Why it failed (the aggregator's words); null when it completed. */
      reason: z.string().nullable(),
      /** When the aggregator said so (the event's time). */
      at: z.string().nullable(),
    })
    .nullable()
    .default(null),
});
export type TenantFederationStatus = z.output<typeof TenantFederationStatus>;

const statusKey = (federation: string) => `federations/${federation}/status.json`;

/** Fold one completed round into this tenant's status (unchanged when it did not take part). */
export function foldRound(status: TenantFederationStatus, tenant: string, round: z.output<typeof FederationRoundCompleted.schema>): TenantFederationStatus {
  const rejected = round.rejected.filter((r) => r.tenant === tenant);
  const took = round.participants.includes(tenant) || rejected.length > 0;
  if (!took) return status;
  const seen = new Set(status.rejections.map((r) => `${r.round}:${r.reason}:${r.detail}`));
  const fresh = rejected.filter((r) => !seen.has(`${r.round}:${r.reason}:${r.detail}`)).map(({ round: n, reason, detail }) => ({ round: n, reason, detail }));
  const lastOutcome = round.accepted.includes(tenant) ? (round.aggregated ? 'accepted' : 'not-aggregated') : rejected.length > 0 ? 'rejected' : round.dropped.includes(tenant) ? 'dropped' : 'not-aggregated';
  return { ...status, lastRound: Math.max(status.lastRound, round.round), lastOutcome, rejections: [...status.rejections, ...fresh] };
}

export type FederationEnd = DermaganEvent<z.output<typeof FederationCompleted.schema>> | DermaganEvent<z.output<typeof FederationFailed.schema>>;

/** Record how the federation ended. */
export function foldEnd(status: TenantFederationStatus, event: FederationEnd): TenantFederationStatus {
  const at = event.time ?? null;
  return 'reason' in event.data
    ? { ...status, ended: { outcome: 'failed', round: event.data.round, reason: event.data.reason, at } }
    : { ...status, ended: { outcome: 'completed', round: event.data.rounds, reason: null, at } };
}

/** This tenant's status of one federation (a fresh one when none is kept yet). */
export async function readStatus(store: ObjectStore, bucket: string, federation: string): Promise<TenantFederationStatus> {
  if (!(await store.stat(bucket, statusKey(federation)))) return { federation, lastRound: 0, lastOutcome: 'none', rejections: [], ended: null };
  return TenantFederationStatus.parse(JSON.parse((await store.getBytes(bucket, statusKey(federation))).toString('utf8')));
}

export async function writeStatus(store: ObjectStore, bucket: string, status: TenantFederationStatus): Promise<void> {
  await store.put(bucket, statusKey(status.federation), JSON.stringify(status), { contentType: 'application/json' });
}

/** Every federation this tenant kept a request of, with its status. */
export async function tenantStatuses(store: ObjectStore, bucket: string): Promise<TenantFederationStatus[]> {
  const keys = (await store.list(bucket, 'federations/')).filter((k) => /^federations\/[^/]+\/request\.json$/.test(k));
  return Promise.all(keys.map((k) => readStatus(store, bucket, k.split('/')[1]!)));
}
