import { describe, expect, it } from 'vitest';
import { countRejections } from '../federated.ts';
import { rejectionsByReason } from './rejections.ts';

describe('the federation section: rejections by reason', () => {
  const rounds = [
    { rejected: [{ tenant: 'mallory', round: 1, reason: 'norm-over-median', detail: '' }, { tenant: 'eve', round: 1, reason: 'bad-sample-count', detail: '' }] },
    { rejected: [{ tenant: 'mallory', round: 2, reason: 'norm-over-median', detail: '' }] },
    { rejected: [] },
  ];

  it('counts every round’s rejections by reason', () => {
    expect(countRejections(rounds)).toEqual({ 'norm-over-median': 2, 'bad-sample-count': 1 });
  });

  it('shows each reason with its count, most frequent first; "none" when nothing was rejected', () => {
    const html = rejectionsByReason(countRejections(rounds));
    expect(html).toMatch(/<code>norm-over-median<\/code><\/td><td data-key="federation.rejections.norm-over-median">2<\/td>[\s\S]*bad-sample-count[\s\S]*>1</);
    expect(rejectionsByReason({})).toMatch(/Updates rejected: <span data-key="federation.rejections">none<\/span>/);
  });
});
