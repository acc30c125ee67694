/**
 * What a hospital's administrator sees of a federation round: its own participation, update norm,
 * sample count and rejections, and the round's outcome — never the other tenants' numbers or names.
 */
import type { Principal } from '@dermagan/auth';

export function roundFor(principal: Principal, data: Record<string, unknown>): Record<string, unknown> {
  if (principal.role !== 'tenant-admin') return data;
  const t = principal.tenant!;
  const mine = (xs: unknown) => (Array.isArray(xs) ? xs.filter((x) => x === t) : []);
  const pick = (o: unknown) => (o && typeof o === 'object' && t in o ? { [t]: (o as Record<string, unknown>)[t] } : {});
  const counts = (xs: unknown) => (Array.isArray(xs) ? xs.length : 0);
  return {
    round: data.round,
    attempt: data.attempt,
    aggregated: data.aggregated,
    participants: mine(data.participants),
    accepted: mine(data.accepted),
    dropped: mine(data.dropped),
    rejected: Array.isArray(data.rejected) ? data.rejected.filter((r) => (r as { tenant?: string }).tenant === t) : [],
    updateNorms: pick(data.updateNorms),
    samples: pick(data.samples),
    /** How many took part in all, without who. */
    totals: { participants: counts(data.participants), accepted: counts(data.accepted), dropped: counts(data.dropped), rejected: counts(data.rejected) },
  };
}

/** The run's request as a tenant admin sees it (its own tenant entry only). */
export function requestFor(principal: Principal, request: Record<string, unknown> | null): Record<string, unknown> | null {
  if (principal.role !== 'tenant-admin' || !request) return request;
  const tenants = Array.isArray(request.tenants) ? request.tenants.filter((x) => (x as { tenant?: string }).tenant === principal.tenant) : undefined;
  const { tenants: _all, ...rest } = request;
  return { ...rest, ...(tenants ? { tenants } : {}) };
}
