import { describe, expect, it } from 'vitest';
import { sampleInOrder } from './random.ts';

describe('sampleInOrder', () => {
  it('keeps m distinct items in their order, the same for the same seed', () => {
    const items = Array.from({ length: 50 }, (_, i) => `img-${i}`);
    const a = sampleInOrder(items, 10, 3);
    expect(a).toHaveLength(10);
    expect(new Set(a).size).toBe(10);
    expect(a).toEqual([...a].sort((x, y) => items.indexOf(x) - items.indexOf(y)));
    expect(sampleInOrder(items, 10, 3)).toEqual(a);
    expect(sampleInOrder(items, 10, 4)).not.toEqual(a);
  });

  it('keeps every item when m is absent or not below their number', () => {
    expect(sampleInOrder(['a', 'b'], undefined, 0)).toEqual(['a', 'b']);
    expect(sampleInOrder(['a', 'b'], 2, 0)).toEqual(['a', 'b']);
  });
});
