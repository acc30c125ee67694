/**
 * The report's "Privacy" section, from the audit steps' results (steps/audit.ts): the attack table
 * of every GAN with its CIs, then per GAN the distance histograms, the closest generated/training
 * pairs and, for the federated GAN, a row per tenant.
 */
import type { PrivacyAudit } from '@dermagan/contracts';
import type { AuditOutput } from '../steps/audit.ts';
import type { StudyResults } from '../results.ts';
import { escapeHtml, formatNumber } from './html.ts';
import { renderSvg } from './plots.ts';

type Attack = AuditOutput['attack'];

function ciText(ci: [number | null, number | null]): string {
  return ci[0] === null || ci[1] === null ? '' : ` <span class="ci">[${formatNumber(ci[0], 3)}, ${formatNumber(ci[1], 3)}]</span>`;
}

/** TPR at a low FPR, marked when the non-members are too few to resolve that FPR. */
function tprText(value: number, resolved: boolean, key: string): string {
  return `<span data-key="${key}">${formatNumber(value, 3)}</span>${resolved ? '' : ' <span class="ci">(unresolved: &lt; 1/FPR non-members)</span>'}`;
}

function attackRow(a: AuditOutput): string[] {
  const k = (name: string) => `privacy.${escapeHtml(a.model)}.${name}`;
  const at: Attack = a.attack;
  return [
    escapeHtml(a.model),
    `${at.members} / ${at.nonMembers}`,
    `<span data-key="${k('membershipAuc')}">${formatNumber(at.membershipAuc, 3)}</span>${ciText(at.membershipAucCi)}`,
    tprText(at.tprAtFpr1pct, at.tprResolved[0], k('tprAtFpr1pct')),
    tprText(at.tprAtFpr01pct, at.tprResolved[1], k('tprAtFpr01pct')),
    `<span data-key="${k('copiesFlagged')}">${at.copiesFlagged}</span> of ${at.generated}`,
    `<span data-key="${k('authenticity')}">${formatNumber(a.view.authenticity, 3)}</span>`,
  ];
}

function htmlTable(headers: string[], rows: string[][]): string {
  return `<table class="numbers"><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>\n${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}\n</tbody></table>`;
}

/** Histograms that share their bins, drawn together (one chart per group). */
async function histogramPlots(view: PrivacyAudit): Promise<string[]> {
  const groups = new Map<string, PrivacyAudit['histograms']>();
  for (const h of view.histograms) groups.set(h.edges.join(','), [...(groups.get(h.edges.join(',')) ?? []), h]);
  const plots: string[] = [];
  for (const hs of groups.values()) {
    const values = hs.flatMap((h) => h.counts.map((count, i) => ({ series: h.name, from: h.edges[i]!, to: h.edges[i + 1]!, count })));
    plots.push(
      await renderSvg({
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        width: 320,
        height: 160,
        data: { values },
        mark: { type: 'bar', opacity: 0.55 },
        encoding: {
          x: { field: 'from', type: 'quantitative', title: `distance (${view.space})` },
          x2: { field: 'to' },
          y: { field: 'count', type: 'quantitative', stack: null, title: 'images' },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', direction: 'vertical' } },
        },
      }),
    );
  }
  return plots;
}

function pairFigures(a: AuditOutput): string {
  return a.view.closestPairs
    .slice(0, a.pairImages.length)
    .map((p, i) => {
      const img = a.pairImages[i]!;
      return `<figure><img alt="generated" src="data:image/png;base64,${img.generated}"><img alt="training ${escapeHtml(p.realId)}" src="data:image/png;base64,${img.real}"><figcaption>${formatNumber(p.distance, 3)}${p.flagged ? ' <b>flagged</b>' : ''} — ${escapeHtml(p.realId)}</figcaption></figure>`;
    })
    .join('\n');
}

function tenantTable(a: AuditOutput): string {
  if (a.attack.byTenant.length === 0) return '';
  const rows = a.attack.byTenant.map((t) => [
    escapeHtml(t.tenant),
    String(t.members),
    `<span data-key="privacy.${escapeHtml(a.model)}.${escapeHtml(t.tenant)}.membershipAuc">${formatNumber(t.membershipAuc, 3)}</span>${ciText(t.membershipAucCi)}`,
    formatNumber(t.tprAtFpr1pct, 3),
    formatNumber(t.tprAtFpr01pct, 3),
    escapeHtml(Object.entries(t.copiesFlagged).map(([space, n]) => `${space} ${n}`).join(', ') || '0'),
  ]);
  return `<p>Per tenant: each hospital's projected images against every non-member.</p>${htmlTable(['tenant', 'members', 'membership AUC [95% CI]', 'TPR @ 1% FPR', 'TPR @ 0.1% FPR', 'likely copies of its images'], rows)}`;
}

/**
 * One GAN's audit; `every` (given to the first audit's section) adds the section's heading and the
 * attack table of every audit.
 */
export async function privacySection(a: AuditOutput, results: StudyResults, every: AuditOutput[] | null): Promise<string> {
  const parts: string[] = [];
  if (every) {
    const audits = every;
    parts.push(`<h2 id="privacy">Privacy</h2>
<p>Can a generator give a patient's image away? Training images (members) and held-out images of the same distribution (non-members) are projected into each generator; the attack calls an image a member when its projection is close. ROC-AUC 0.5 means the generator tells nothing about who was in its training set. Generated images are also searched for likely copies of training images (${escapeHtml(a.attack.copyRule)}).</p>
${htmlTable(['model', 'members / non-members projected', 'membership AUC [95% CI, patient bootstrap]', 'TPR @ 1% FPR', 'TPR @ 0.1% FPR', 'likely copies', 'authenticity'], audits.map(attackRow))}
<p class="muted">Projection: ${escapeHtml(JSON.stringify(results.preset.audit ?? {}))}. Few projected images give wide intervals, and TPR at a low FPR needs at least 1/FPR non-members to mean anything.</p>`);
  }
  const plots = await histogramPlots(a.view);
  parts.push(`<h3 id="privacy-${escapeHtml(a.run)}">${escapeHtml(a.model)}</h3>
<div class="plots">${plots.join('\n')}</div>
<p>Closest generated / training pairs in ${escapeHtml(a.view.space)} (copy threshold ${formatNumber(a.view.copyThreshold, 3)}):</p>
<div class="grids">${pairFigures(a)}</div>
${tenantTable(a)}`);
  return parts.join('\n');
}
