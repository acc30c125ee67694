/** One completed federation round as a progress line (`dermagan federate`, `federation start --follow`). */
import type { RoundCompletedData } from '@dermagan/federation';

export function roundLine(r: RoundCompletedData, rounds: number): string {
  const rejected = r.rejected.map((x) => `${x.tenant}:${x.reason}`).join(',') || '-';
  return (
    `round ${r.round}/${rounds} ${r.aggregated ? 'aggregated' : 'not aggregated'}: accepted ${r.accepted.join(',') || '-'}; ` +
    `dropped ${r.dropped.join(',') || '-'}; rejected ${rejected}${r.privacy ? `; ε ${r.privacy.epsilon.toFixed(2)}` : ''}`
  );
}
