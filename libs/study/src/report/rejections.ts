/**
 * The federation section's line on rejected updates: how many the aggregator refused, by reason,
 * over the whole federation (an attack shows here: a scaled update as norm-over-median, an inflated
 * sample count as bad-sample-count, a copied one as copied-update), or that none were.
 */
import { escapeHtml } from './html.ts';

export function rejectionsByReason(rejections: Readonly<Record<string, number>>): string {
  const entries = Object.entries(rejections).filter(([, n]) => n > 0).sort(([a, n], [b, m]) => m - n || a.localeCompare(b));
  if (entries.length === 0) return '<p>Updates rejected: <span data-key="federation.rejections">none</span>.</p>';
  const rows = entries.map(([reason, n]) => `<tr><td><code>${escapeHtml(reason)}</code></td><td data-key="federation.rejections.${escapeHtml(reason)}">${n}</td></tr>`).join('\n');
  return `<p>Updates rejected by the aggregator, by reason (none of them was averaged in; the README's "Federation limits" says what each bound is and how to change it):</p>
<table class="numbers"><thead><tr><th>reason</th><th>updates</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}
