/**
 * The survey's results as one HTML section (no script, no external resource): the portal's
 * results page shows it, the portal exports it (`GET /api/surveys/:id/report-section.html`), and
 * the study report includes it. Element ids and `data-value` attributes carry the exact numbers,
 * so a test can compare what is shown with what was computed.
 */
import type { SurveyResults } from './stats/results.ts';

export interface SectionOptions {
  /** Class names by label index. */
  labels: readonly string[];
  /** Heading level of the section's title (2 in a report, 2 on the portal's page). */
  heading?: 2 | 3;
  /** What the study reported, for comparison (the paper: 54 % mean accuracy over 4 experts). */
  reference?: string;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function pct(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '–';
}

function num(v: number | null | undefined, digits = 3): string {
  return typeof v === 'number' && Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : '–';
}

function table(id: string, headers: string[], rows: string[][]): string {
  return `<table id="${id}"><thead><tr>${headers.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export function surveySection(r: SurveyResults, options: SectionOptions): string {
  const h = options.heading ?? 2;
  const fleiss = r.fleiss
    ? ` Fleiss' κ over ${r.fleiss.raters} experts and the ${r.fleiss.items} images all answered: <strong id="fleiss-kappa" data-value="${r.fleiss.kappa ?? ''}">${num(r.fleiss.kappa)}</strong>.`
    : '';
  return `<section id="survey-results">
<h${h}>Expert survey: real or synthetic?</h${h}>
<p>Mean accuracy over experts: <strong id="mean-accuracy" data-value="${r.meanAccuracy ?? ''}">${pct(r.meanAccuracy)}</strong> (${r.answers} answers; all pooled ${pct(r.pooledAccuracy)}).${fleiss}${options.reference ? ` <span class="muted">${escape(options.reference)}</span>` : ''}</p>
${table(
  'experts',
  ['Expert', 'Answered', 'Accuracy (95 % CI)', 'p vs guessing', 'Sensitivity to synthetic', 'Specificity', 'Class accuracy', 'Mean confidence', 'Median s / image'],
  r.experts.map((e) => [
    escape(e.expert), String(e.answered), `${pct(e.accuracy)}${e.accuracyCi ? ` (${pct(e.accuracyCi[0])}–${pct(e.accuracyCi[1])})` : ''}`, num(e.pVsChance), pct(e.sensitivity), pct(e.specificity),
    pct(e.classAccuracy), num(e.meanConfidence, 2), num(e.medianSeconds, 1),
  ]),
)}
<h${h + 1}>Agreement between experts (Cohen's κ)</h${h + 1}>
${table('cohen', ['Expert A', 'Expert B', 'Images both answered', 'κ'], r.cohen.map((p) => [escape(p.a), escape(p.b), String(p.items), `<span class="kappa" data-value="${p.kappa ?? ''}">${num(p.kappa)}</span>`]))}
<h${h + 1}>Confusion by class</h${h + 1}>
${table(
  'confusion',
  ['Class', 'real judged real', 'real judged synthetic', 'synthetic judged real', 'synthetic judged synthetic', 'Accuracy'],
  r.confusionByClass.map((c) => [escape(options.labels[c.label] ?? String(c.label)), String(c.counts.real.real), String(c.counts.real.synthetic), String(c.counts.synthetic.real), String(c.counts.synthetic.synthetic), pct(c.accuracy)]),
)}
</section>`;
}
