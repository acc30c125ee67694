import { partitionGroups, type PartitionItem } from './partition.ts';

/** How to partition for federation: a tenant count (equal shares) or each tenant's size in images. */
export type TenantSpec = number | readonly number[];

export interface TenantPlan {
  /** Tenant names, `tenant-0` … */
  names: string[];
  /** The sizes asked for (null for a count, which asks for equal shares). */
  requested: Array<number | null>;
  /** Target sizes actually used (scaled down when the data is smaller than asked). */
  targets: number[];
  /** Things the user should know (scaling). */
  warnings: string[];
}

export function tenantName(index: number): string {
  return `tenant-${index}`;
}

/**
 * Target sizes for `available` images. A count n gives n equal shares of everything. Explicit
 * sizes are used as given when they fit; when they add up to more than `available` they are
 * scaled down proportionally (largest-remainder rounding, so they sum to `available`) with a
 * warning; when they add up to less, the rest of the images belong to no tenant.
 */
export function planTenants(spec: TenantSpec, available: number): TenantPlan {
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 1) throw new RangeError(`planTenants: tenant count must be a positive integer, got ${spec}`);
    const names = Array.from({ length: spec }, (_, i) => tenantName(i));
    const base = Math.floor(available / spec);
    const targets = names.map((_, i) => base + (i < available - base * spec ? 1 : 0));
    const warnings = available < spec ? [`${spec} tenants requested but only ${available} images to share: some tenants get none`] : [];
    return { names, requested: names.map(() => null), targets, warnings };
  }
  if (spec.length === 0 || spec.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new RangeError(`planTenants: tenant sizes must be positive integers, got [${spec.join(', ')}]`);
  }
  const names = spec.map((_, i) => tenantName(i));
  const total = spec.reduce((a, b) => a + b, 0);
  if (total <= available) return { names, requested: [...spec], targets: [...spec], warnings: [] };
  const exact = spec.map((s) => (s * available) / total);
  const targets = exact.map(Math.floor);
  const order = exact.map((e, i) => ({ i, frac: e - Math.floor(e) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  const short = available - targets.reduce((a, b) => a + b, 0);
  for (let k = 0; k < short; k++) targets[order[k]!.i]!++;
  return {
    names,
    requested: [...spec],
    targets,
    warnings: [
      `tenant sizes ${spec.join(',')} add up to ${total} but only ${available} images are available: ` +
        `scaled down proportionally to ${targets.join(',')}`,
    ],
  };
}

/**
 * Tenant name per item (null = in no tenant), patient-grouped and label-stratified like the
 * split, with fractions from `planTenants`.
 */
export function assignTenants(items: readonly PartitionItem[], spec: TenantSpec, seed: number): { tenants: Array<string | null>; plan: TenantPlan } {
  const plan = planTenants(spec, items.length);
  if (items.length === 0) return { tenants: [], plan };
  const fractions = plan.targets.map((t) => t / items.length);
  const rest = items.length - plan.targets.reduce((a, b) => a + b, 0);
  if (rest > 0) fractions.push(rest / items.length);
  // Normalise away floating-point drift so the fractions sum to exactly 1 within the check.
  const sum = fractions.reduce((a, b) => a + b, 0);
  const bins = partitionGroups(items, fractions.map((f) => f / sum), seed);
  return { tenants: bins.map((b) => (b < plan.names.length ? plan.names[b]! : null)), plan };
}
