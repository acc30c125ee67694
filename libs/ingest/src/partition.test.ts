import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partitionGroups, type PartitionItem } from './partition.ts';
import { splitByPatient } from './split.ts';
import { assignTenants, planTenants } from './tenants.ts';

/** Random datasets: up to 300 items, 1–3 classes, patients with 1–4 images, some without a patient. */
const datasets = fc
  .array(
    fc.record({
      patient: fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 80 }).map((p) => `P${p}`)),
      label: fc.integer({ min: 0, max: 2 }),
    }),
    { minLength: 1, maxLength: 300 },
  )
  .map((rows) => rows.map((r, i): PartitionItem => ({ ...r, id: `img${i}` })));

const count = <T>(xs: readonly T[], pred: (x: T) => boolean) => xs.reduce((n, x) => n + (pred(x) ? 1 : 0), 0);

/** Largest number of images one patient group has. */
function largestGroup(items: readonly PartitionItem[]): number {
  const sizes = new Map<string, number>();
  for (const it of items) if (it.patient !== '') sizes.set(it.patient, (sizes.get(it.patient) ?? 0) + 1);
  return Math.max(1, ...sizes.values());
}

/** Each patient's bins: must be exactly one. */
function binsPerPatient<B>(items: readonly PartitionItem[], bins: readonly B[]): Map<string, Set<B>> {
  const seen = new Map<string, Set<B>>();
  items.forEach((it, i) => {
    if (it.patient === '') return;
    const s = seen.get(it.patient) ?? new Set<B>();
    s.add(bins[i]!);
    seen.set(it.patient, s);
  });
  return seen;
}

describe('partitionGroups', () => {
  it('singletons, 2 classes, [0.8, 0.2]: exactly 80/20 in each class', () => {
    const items: PartitionItem[] = Array.from({ length: 100 }, (_, i) => ({ id: `i${i}`, patient: '', label: i < 30 ? 1 : 0 }));
    const bins = partitionGroups(items, [0.8, 0.2], 7);
    expect(count(items, (it) => it.label === 1 && bins[items.indexOf(it)] === 0)).toBe(24);
    expect(count(items, (it) => it.label === 0 && bins[items.indexOf(it)] === 0)).toBe(56);
  });

  it('keeps a 10-image patient together and balances the rest around it', () => {
    const items: PartitionItem[] = [
      ...Array.from({ length: 10 }, (_, i) => ({ id: `big${i}`, patient: 'BIG', label: 0 })),
      ...Array.from({ length: 40 }, (_, i) => ({ id: `s${i}`, patient: `S${i}`, label: 0 })),
    ];
    const bins = partitionGroups(items, [0.8, 0.2], 0);
    expect(new Set(bins.slice(0, 10)).size).toBe(1);
    expect(count(bins, (b) => b === 0)).toBe(40);
  });

  it('rejects fractions that do not sum to 1 or are negative', () => {
    expect(() => partitionGroups([], [0.5, 0.4], 0)).toThrow(/sum to 1/);
    expect(() => partitionGroups([], [1.5, -0.5], 0)).toThrow(/non-negative/);
  });

  it('property: no patient in two bins; every class within one group of its target in every bin', () => {
    fc.assert(
      fc.property(datasets, fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 2, max: 4 }), (items, seed, k) => {
        const fractions = Array.from({ length: k }, () => 1 / k);
        const bins = partitionGroups(items, fractions, seed);
        expect(bins.every((b) => b >= 0 && b < k)).toBe(true);
        for (const set of binsPerPatient(items, bins).values()) expect(set.size).toBe(1);
        const g = largestGroup(items);
        for (let c = 0; c <= 2; c++) {
          const total = count(items, (it) => it.label === c);
          for (let b = 0; b < k; b++) {
            const got = count(items, (it) => it.label === c && bins[items.indexOf(it)] === b);
            expect(Math.abs(got - total / k)).toBeLessThanOrEqual(g + 1);
          }
        }
      }),
      { numRuns: 150, seed: 42 },
    );
  });

  it('property: the same seed gives the same bins whatever the row order', () => {
    fc.assert(
      fc.property(datasets, fc.integer(), (items, seed) => {
        const a = partitionGroups(items, [0.7, 0.3], seed);
        const reversed = items.slice().reverse();
        const b = partitionGroups(reversed, [0.7, 0.3], seed).reverse();
        expect(b).toEqual(a);
      }),
      { numRuns: 100, seed: 43 },
    );
  });
});

describe('splitByPatient', () => {
  it('none: everything is "all"', () => {
    expect(splitByPatient([{ id: 'a', patient: '', label: 0 }], null, 0)).toEqual(['all']);
  });

  it('seeded: the same seed reproduces the split, another seed changes it', () => {
    const items: PartitionItem[] = Array.from({ length: 200 }, (_, i) => ({ id: `i${i}`, patient: `P${i % 90}`, label: i % 7 === 0 ? 1 : 0 }));
    expect(splitByPatient(items, 0.8, 3)).toEqual(splitByPatient(items, 0.8, 3));
    expect(splitByPatient(items, 0.8, 4)).not.toEqual(splitByPatient(items, 0.8, 3));
  });

  it('an empty patient id makes its own group (two such images can land on different sides)', () => {
    const items: PartitionItem[] = Array.from({ length: 10 }, (_, i) => ({ id: `i${i}`, patient: '', label: 0 }));
    const split = splitByPatient(items, 0.8, 0);
    expect(count(split, (s) => s === 'train')).toBe(8);
    expect(count(split, (s) => s === 'test')).toBe(2);
  });

  it('property: no patient on both sides; train share of each class within one group of the fraction', () => {
    fc.assert(
      fc.property(datasets, fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer(), (items, train, seed) => {
        const split = splitByPatient(items, train, seed);
        for (const set of binsPerPatient(items, split).values()) expect(set.size).toBe(1);
        const g = largestGroup(items);
        for (let c = 0; c <= 2; c++) {
          const total = count(items, (it) => it.label === c);
          const inTrain = count(items, (it) => it.label === c && split[items.indexOf(it)] === 'train');
          expect(Math.abs(inTrain - train * total)).toBeLessThanOrEqual(g + 1);
        }
      }),
      { numRuns: 150, seed: 44 },
    );
  });
});

describe('planTenants', () => {
  it('a count shares equally, remainder to the first tenants', () => {
    expect(planTenants(3, 10)).toMatchObject({ names: ['tenant-0', 'tenant-1', 'tenant-2'], requested: [null, null, null], targets: [4, 3, 3], warnings: [] });
  });

  it('explicit sizes that fit are kept (the rest is in no tenant)', () => {
    expect(planTenants([2, 3], 10)).toMatchObject({ requested: [2, 3], targets: [2, 3], warnings: [] });
  });

  it("the study's 2000,12000,20000 on 240 images: scaled to 14,85,141 with a warning", () => {
    const plan = planTenants([2000, 12000, 20000], 240);
    expect(plan.targets).toEqual([14, 85, 141]);
    expect(plan.warnings[0]).toMatch(/add up to 34000 but only 240 .* scaled down proportionally to 14,85,141/);
  });

  it('property: scaled sizes sum to the available count and stay within 1 of proportional', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 5000 }), (sizes, available) => {
        const plan = planTenants(sizes, available);
        const total = sizes.reduce((a, b) => a + b, 0);
        const sum = plan.targets.reduce((a, b) => a + b, 0);
        expect(sum).toBe(Math.min(total, available));
        if (total > available) plan.targets.forEach((t, i) => expect(Math.abs(t - (sizes[i]! * available) / total)).toBeLessThan(1));
      }),
      { numRuns: 200, seed: 45 },
    );
  });

  it('rejects a zero count and non-integer sizes', () => {
    expect(() => planTenants(0, 10)).toThrow(/positive integer/);
    expect(() => planTenants([1.5], 10)).toThrow(/positive integers/);
  });
});

describe('assignTenants', () => {
  it('property: no patient in two tenants; tenant sizes within one group of the plan; class ratio kept', () => {
    fc.assert(
      fc.property(datasets, fc.integer({ min: 1, max: 4 }), fc.integer(), (items, k, seed) => {
        const { tenants, plan } = assignTenants(items, k, seed);
        for (const set of binsPerPatient(items, tenants).values()) expect(set.size).toBe(1);
        expect(tenants.every((t) => t !== null)).toBe(true);
        const g = largestGroup(items);
        plan.names.forEach((name, b) => {
          expect(Math.abs(count(tenants, (t) => t === name) - plan.targets[b]!)).toBeLessThanOrEqual(g + 1);
          for (let c = 0; c <= 2; c++) {
            const total = count(items, (it) => it.label === c);
            const got = count(items, (it) => it.label === c && tenants[items.indexOf(it)] === name);
            expect(Math.abs(got - (total * plan.targets[b]!) / items.length)).toBeLessThanOrEqual(g + 1);
          }
        });
      }),
      { numRuns: 120, seed: 46 },
    );
  });

  it('explicit sizes smaller than the data leave the rest in no tenant (null)', () => {
    const items: PartitionItem[] = Array.from({ length: 100 }, (_, i) => ({ id: `i${i}`, patient: '', label: i % 4 === 0 ? 1 : 0 }));
    const { tenants } = assignTenants(items, [10, 30], 1);
    expect(count(tenants, (t) => t === 'tenant-0')).toBe(10);
    expect(count(tenants, (t) => t === 'tenant-1')).toBe(30);
    expect(count(tenants, (t) => t === null)).toBe(60);
    // 25 melanoma × 30/100 = 7.5: 7 or 8.
    expect(Math.abs(count(items, (it) => it.label === 1 && tenants[items.indexOf(it)] === 'tenant-1') - 7.5)).toBe(0.5);
  });
});
