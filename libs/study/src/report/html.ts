/**
 * The study report: one self-contained HTML file (inline SVG plots, images as data URIs, inline
 * CSS), rendered from results.json alone so its numbers equal that file's.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PAPER_SURVEY, surveySection } from '@dermagan/survey';
import { PAPER_SETTINGS, PAPER_TABLE1, PAPER_TABLE2 } from '../paper.ts';
import { StudyRunEntry } from '../ledger.ts';
import type { FederationResult, StudyResults } from '../results.ts';
import type { ReportContext, StudyStep } from '../step.ts';
import { curvePlot } from './plots.ts';
import { rejectionsByReason } from './rejections.ts';
import { utilityCaption } from './utility-caption.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Numbers as the report prints them: 4 significant digits, '—' for missing. */
export function formatNumber(value: unknown, digits = 4): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  return Number(value.toPrecision(digits)).toString();
}

function table(headers: string[], rows: Array<Array<string>>, className = ''): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${className}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

async function imageTag(outDir: string, file: string | null, alt: string): Promise<string> {
  if (!file) return '<p class="muted">no image</p>';
  const bytes = await readFile(join(outDir, file));
  const mime = file.endsWith('.png') ? 'image/png' : 'image/jpeg';
  return `<img alt="${escapeHtml(alt)}" src="data:${mime};base64,${bytes.toString('base64')}">`;
}

/** The paper's row name that corresponds to one of ours, for Table 1. */
function paperRow1(model: string) {
  return PAPER_TABLE1.find((r) => r.model === model);
}

/** The Fréchet distance's key in a score set: `fid` (Inception), else `fd_<space>`. */
export function distanceKey(scores: Record<string, number | null>): string {
  return 'fid' in scores ? 'fid' : (Object.keys(scores).find((k) => k.startsWith('fd_')) ?? 'fid');
}

/** A score as the report shows it, tagged with its results.json path; KID in %. */
function shownScore(prefix: string, key: string, scores: Record<string, number | null>): string {
  const value = scores[key];
  const shown = key === 'kid' ? (typeof value === 'number' ? formatNumber(value * 100) : '—') : formatNumber(value);
  return `<span data-key="${escapeHtml(prefix)}.${key}">${shown}</span>`;
}

/** n real / n synthetic images a row was scored on (its provenance). */
function sampleSizes(provenance: Record<string, unknown>): string {
  const n = (k: string) => (typeof provenance[k] === 'number' ? String(provenance[k]) : '—');
  return `${n('nReal')} / ${n('nFake')}`;
}

/** Table 1: FID, KID and PPL in the paper's units beside its columns, then precision/recall and the rest. */
function fidelityTable(results: StudyResults): string {
  const rows = results.fidelity.map((f) => {
    const paper = paperRow1(f.model);
    const prefix = `fidelity.${f.model}`;
    return [
      escapeHtml(f.model),
      shownScore(prefix, distanceKey(f.scores), f.scores),
      formatNumber(paper?.fid),
      shownScore(prefix, 'kid', f.scores),
      formatNumber(paper?.kidPercent),
      shownScore(prefix, 'ppl', f.scores),
      formatNumber(paper?.ppl),
      shownScore(prefix, 'precision', f.scores),
      formatNumber(paper?.precision),
      shownScore(prefix, 'recall', f.scores),
      formatNumber(paper?.recall),
      shownScore(prefix, 'density', f.scores),
      shownScore(prefix, 'coverage', f.scores),
      shownScore(prefix, 'authenticity', f.scores),
      sampleSizes(f.provenance),
    ];
  });
  const extractors = [...new Set(results.fidelity.map((f) => extractorLabel(f.provenance)))];
  const isFid = results.fidelity.every((f) => typeof f.scores.fid === 'number');
  const fdHeader = isFid ? 'FID (ours)' : `Fréchet distance in ${extractors.join(', ')} (ours; not FID)`;
  const sizes = results.fidelity.map((f) => Number(f.provenance.nReal) + Number(f.provenance.nFake));
  const few = Math.min(...sizes.map((n) => (Number.isFinite(n) ? n : Infinity))) < 10_000;
  return (
    table(
      ['model', fdHeader, 'FID (paper)', 'KID % (ours)', 'KID % (paper)', 'PPL (ours)', 'PPL (paper)', 'precision', 'precision (paper)', 'recall', 'recall (paper)', 'density', 'coverage', 'authenticity', 'n real / synthetic'],
      rows,
      'numbers',
    ) +
    `<p class="muted">Feature space: ${escapeHtml(extractors.join(', '))}, at the ${results.data.size}² the GANs trained at (the paper: 256²). ` +
    `FID and KID are in Inception-2015 when the space says so (the network of the paper's code, sg2ada preprocessing: bilinear to 299), PPL in LPIPS-VGG16 (W space, end-point sampling, ε 1e-4: ppl2_wend), as the paper measured them; ` +
    `precision and recall are in the same Inception space (the paper used VGG16 fc2, whose weights are not available). ` +
    (few
      ? `<b>Few images:</b> each row scored the number of images in its last column (the paper: 50,000); FID from few images is biased upwards and varies with the sample, so read these values against each other, not against the paper's.`
      : '') +
    `</p>`
  );
}

/** Appendix: every GAN on every image in a second feature space (pixel projections: cheap, not FID). */
function appendixSection(results: StudyResults): string {
  if (results.appendixFidelity.length === 0) return '';
  const keys = ['kid', 'precision', 'recall', 'density', 'coverage', 'authenticity'];
  const rows = results.appendixFidelity.map((f) => [
    escapeHtml(f.model),
    shownScore(`appendix.${f.model}`, distanceKey(f.scores), f.scores),
    ...keys.map((k) => shownScore(`appendix.${f.model}`, k, f.scores)),
    sampleSizes(f.provenance),
  ]);
  const spaces = [...new Set(results.appendixFidelity.map((f) => extractorLabel(f.provenance)))].join(', ');
  return `<h2 id="appendix-pixels">Appendix: Fréchet distance in pixel space</h2>
${table(['model', `Fréchet distance (${spaces})`, 'KID %', 'precision', 'recall', 'density', 'coverage', 'authenticity', 'n real / synthetic'], rows, 'numbers')}
<p class="muted">A random projection of the pixels (${escapeHtml(spaces)}), scored on every image: a cheap second view of the same sets, on another scale than FID; not comparable to any published value.</p>`;
}

/** The expert survey's section (libs/survey's renderer), or a note that none ran. */
function surveyPart(results: StudyResults): string {
  if (!results.survey) {
    return `<h2 id="survey">Expert survey</h2><p class="muted">No survey run: run one on the portal (dermagan portal), export its results as JSON (GET /api/surveys/&lt;id&gt;/results) and pass the file to dermagan study --survey FILE.</p>`;
  }
  const { survey, ...found } = results.survey;
  return `<h2 id="survey">Expert survey: ${escapeHtml(survey.title)}</h2>\n${surveySection(found, { labels: survey.labels, heading: 3, reference: PAPER_SURVEY })}`;
}

/** The feature space and its preprocessing, as a label. */
function extractorLabel(provenance: Record<string, unknown>): string {
  const extractor = provenance.extractor as { preprocessing?: unknown } | undefined;
  const pre = typeof extractor?.preprocessing === 'string' ? ` (${extractor.preprocessing} preprocessing)` : '';
  return `${extractorId(provenance)}${pre}`;
}

/** The feature space a score was measured in (provenance.extractor.id). */
function extractorId(provenance: Record<string, unknown>): string {
  const extractor = provenance.extractor as { id?: unknown } | string | undefined;
  return typeof extractor === 'string' ? extractor : typeof extractor?.id === 'string' ? extractor.id : 'unknown';
}

const UTILITY_KEYS = ['auc', 'pr_auc', 'accuracy', 'balanced_accuracy', 'sensitivity', 'specificity', 'prevalence', 'n'] as const;

function ci(measures: Record<string, unknown>, key: string): string {
  const c = measures[`${key}_ci`];
  return Array.isArray(c) && c.length === 2 ? ` <span class="ci">[${formatNumber(c[0], 3)}, ${formatNumber(c[1], 3)}]</span>` : '';
}

function utilityTable(results: StudyResults): string {
  const rows = results.utility.map((u) => {
    const paper = PAPER_TABLE2.find((p) => p.scenario === u.name);
    return [
      escapeHtml(u.name),
      escapeHtml(u.scenario),
      ...UTILITY_KEYS.map((k) => `<span data-key="utility.${escapeHtml(u.name)}.${k}">${formatNumber(u.measures[k])}</span>${ci(u.measures, k)}`),
      paper ? `${paper.accuracyPercent} / ${paper.aucPercent}` : '—',
    ];
  });
  return (
    table(['classifier', 'trained on', 'ROC-AUC', 'PR-AUC', 'accuracy', 'balanced acc.', 'sensitivity', 'specificity', 'prevalence', 'n test', 'paper acc. / AUC %'], rows, 'numbers') +
    `<p class="muted">All rows are tested on the same real held-out images (patient-grouped). Accuracy alone misleads at low prevalence: read it beside the prevalence, the balanced accuracy and the AUCs. Brackets: 95% bootstrap CI (patient-level, seeded).</p>`
  );
}

function provenanceBlock(results: StudyResults): string {
  const { runs, ...rest } = results.provenance;
  const entries = Object.entries(rest).map(([k, v]) => [escapeHtml(k), `<code>${escapeHtml(typeof v === 'string' ? v : JSON.stringify(v))}</code>`]);
  return table(['what', 'value'], entries, 'provenance') + runsBlock(StudyRunEntry.array().safeParse(runs).data ?? []);
}

/** The runs (invocations) that made the study: a stopped study continued is several. */
function runsBlock(runs: StudyRunEntry[]): string {
  if (runs.length === 0) return '';
  const rows = runs.map((r) => [
    String(r.run + 1),
    escapeHtml(r.startedAt),
    escapeHtml(r.stoppedAt ?? `killed (last seen ${r.lastSeenAt})`),
    escapeHtml(r.ended ?? 'killed'),
    String(r.reused),
    String(r.done),
  ]);
  return `<p>The runs that made this study (a stopped study continued where it stopped):</p>${table(['run', 'started', 'stopped', 'how it ended', 'steps reused', 'steps done'], rows, 'runs')}`;
}

/** The federated GAN beside the central one: rounds, scores, samples. */
async function federationSection(f: FederationResult, outDir: string): Promise<string> {
  const tenants = Object.entries(f.tenantImages).map(([t, n]) => `${escapeHtml(t)} (${n} training images)`).join(', ');
  const exchanged = f.secagg
    ? 'only pairwise-masked updates do, and the aggregator sees nothing but their sum (secure aggregation); ' +
      "no single update's norm can be checked then, so each tenant signs the norm of its update and a round whose mean is longer than those norms allow is refused as a whole (secagg-mean-over-bound)"
    : 'only weights do';
  const rounds = f.rounds.map((r) => [
    String(r.round) + (r.attempt > 0 ? ` (retry ${r.attempt})` : ''),
    escapeHtml(r.accepted.join(', ') || '—'),
    escapeHtml(r.dropped.join(', ') || '—'),
    escapeHtml(r.rejected.join('; ') || '—'),
    r.aggregated ? 'yes' : 'no',
    escapeHtml(Object.entries(r.updateNorms).map(([t, n]) => `${t} ${formatNumber(n, 3)}`).join(', ') || '—'),
  ]);
  const keys = ['kid', 'precision', 'recall', 'density', 'coverage', 'authenticity'];
  const scoreRow = (name: string, scores: Record<string, number | null>, prefix: string) => [
    escapeHtml(name),
    `<span data-key="${prefix}.${f.distanceKey}">${formatNumber(f.distanceKey ? scores[f.distanceKey] : undefined)}</span>`,
    ...keys.map((k) => (k === 'kid' && typeof scores.kid === 'number' ? formatNumber(scores.kid * 100) : formatNumber(scores[k]))),
  ];
  const rows = [scoreRow(f.model, f.scores, 'federation'), ...(f.central ? [scoreRow(`${f.central.model} (central)`, f.central.scores, 'federation.central')] : [])];
  const it = f.iterations;
  const steps = it
    ? ` Iterations: the central GAN <span data-key="federation.iterations.central">${it.central}</span>; the federation <span data-key="federation.iterations.federatedTotal">${it.federatedTotal}</span> in total, <span data-key="federation.iterations.perTenant">${it.perTenant}</span> per tenant (the tenants train in parallel, and FedAvg averages their steps rather than adding them).`
    : '';
  const ratio = f.ratioToCentral === null ? '' : `<p>Federated / central ${escapeHtml(f.distanceKey ?? '')}: <b data-key="federation.ratio">${formatNumber(f.ratioToCentral, 3)}</b> (the goal: within 20 %, i.e. ≤ 1.2).${steps}</p>`;
  return `<h2 id="federation">Federated GAN (beside the central GAN)</h2>
<p>${escapeHtml(f.strategy)} of G, D and G_ema every ${f.k} local iterations across ${tenants}; images never leave their tenant's bucket, ${exchanged} (${formatNumber(f.wallSeconds, 3)} s).</p>
${table(['model', f.distanceKey ?? 'distance', 'KID %', 'precision', 'recall', 'density', 'coverage', 'authenticity'], rows, 'numbers')}
${ratio}
${table(['round', 'averaged in', 'dropped', 'rejected (reason)', 'aggregated', '‖update − global‖'], rounds)}
${rejectionsByReason(f.rejections)}
<div class="grids"><figure>${await imageTag(outDir, f.grid, 'federated samples')}<figcaption>federated GAN — synthetic</figcaption></figure></div>`;
}

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem} h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0} th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
table.numbers td{font-variant-numeric:tabular-nums} th{background:#f5f5f5}
.muted{color:#666;font-size:.9em} .ci{color:#666;font-size:.85em} code{font-size:.85em;word-break:break-all}
.grids{display:flex;flex-wrap:wrap;gap:1rem} figure{margin:0} figcaption{font-size:.9em;color:#444}
img{image-rendering:pixelated;max-width:100%} .plots{display:flex;flex-wrap:wrap;gap:1rem}
`;

const noFolders: ReportContext['fetchFolder'] = async (ref) => {
  throw new Error(`the report was rendered without a store, so it cannot copy ${ref.bucket}/${ref.prefix}`);
};

/** The sections of the steps that have one, in step order, each from its result read through its schema. */
async function stepSections(results: StudyResults, outDir: string, steps: readonly StudyStep[], fetchFolder: ReportContext['fetchFolder']): Promise<string[]> {
  const sections: string[] = [];
  for (const step of steps) {
    const summary = results.steps[step.name];
    if (!step.report || !summary) continue;
    sections.push(await step.report(step.output.parse(summary.output), { results, outDir, fetchFolder }));
  }
  return sections;
}

/** When each step ran: which run of the study did it (or reused it), from when to when. */
function stepsTable(results: StudyResults): string {
  const rows = Object.entries(results.steps).map(([name, s]) => [escapeHtml(name), s.status, String(s.run), escapeHtml(s.startedAt), escapeHtml(s.finishedAt)]);
  return rows.length === 0 ? '' : table(['step', 'this run', 'done in run', 'started', 'finished'], rows, 'steps');
}

/**
 * Render the report HTML from results (and the image files it names, read from outDir); `steps`
 * are the study's steps, whose own sections (a step's `report`) follow the core ones.
 */
export async function renderReport(results: StudyResults, outDir: string, steps: readonly StudyStep[] = [], fetchFolder: ReportContext['fetchFolder'] = noFolders): Promise<string> {
  const extra = await stepSections(results, outDir, steps, fetchFolder);
  const plots = (
    await Promise.all([
      curvePlot(results.gans, ['lossG', 'lossD'], 'Losses', 'loss'),
      curvePlot(results.gans, ['adaP'], 'ADA augmentation probability p', 'p'),
      curvePlot(results.gans, ['fid'], 'FID over training', 'FID'),
      curvePlot(results.gans, ['r1', 'pl'], 'Regularisers (R1 penalty, path length)', 'value'),
    ])
  ).filter((s): s is string => s !== null);

  const ganGrids = await Promise.all(
    results.gans.map(async (g) => `<figure>${await imageTag(outDir, g.grid, `${g.model} samples`)}<figcaption>${escapeHtml(g.model)} — synthetic</figcaption></figure>`),
  );
  const realGrids = await Promise.all(
    results.realGrids.map(async (r) => `<figure>${await imageTag(outDir, r.grid, `real ${r.label}`)}<figcaption>real — ${escapeHtml(r.label)}</figcaption></figure>`),
  );
  const ganRows = results.gans.map((g) => [
    escapeHtml(g.model),
    g.conditional ? 'conditional' : `unconditional (class ${g.classFilter ?? 'all'})`,
    formatNumber(g.kimg),
    formatNumber(g.wallSeconds, 3),
    `<code>${escapeHtml(JSON.stringify(g.config))}</code>`,
  ]);
  const preset = results.preset;
  const federation = results.federation ? await federationSection(results.federation, outDir) : '';

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dermagan study — ${escapeHtml(results.data.name)}</title>
<style>${CSS}</style></head><body>
<h1>dermagan study: ${escapeHtml(results.data.name)}</h1>
<p>Preset <b>${escapeHtml(preset.name)}</b>, ${escapeHtml(results.startedAt)} → ${escapeHtml(results.finishedAt)}
(${formatNumber(results.wallSeconds, 3)} s). ${preset.name === 'quick' ? '<b>Quick preset:</b> tiny resolution, few kimg and small samples so it finishes on a laptop CPU — the numbers show the pipeline works, not the quality the paper reached at 256² and 25,000 kimg.' : ''}</p>
<p>Data: ${formatNumber(results.data.counts.total)} images at ${results.data.size}², classes ${escapeHtml(results.data.labels.join(', '))}; fingerprint <code>${escapeHtml(results.data.fingerprint)}</code>.</p>

<h2 id="table1">Fidelity and diversity (Table 1 analogue)</h2>
${fidelityTable(results)}

<h2 id="table2">Utility: classifier trained on real / synthetic, tested on real (Table 2 analogue)</h2>
${utilityCaption(results)}
${utilityTable(results)}

<h2 id="training">Training curves</h2>
<div class="plots">${plots.join('\n')}</div>
${table(['model', 'kind', 'kimg', 'wall s', 'config'], ganRows)}

<h2 id="samples">Samples per model and class</h2>
<div class="grids">${ganGrids.join('\n')}</div>

<h2 id="real-vs-synthetic">Real vs synthetic</h2>
<div class="grids">${realGrids.join('\n')}${ganGrids.join('\n')}</div>
${federation}
${extra.join('\n')}
${surveyPart(results)}
${appendixSection(results)}
<h2 id="provenance">Provenance</h2>
${provenanceBlock(results)}
${stepsTable(results)}
<p class="muted">Paper settings: ${escapeHtml(Object.values(PAPER_SETTINGS).join(' · '))}.</p>
<p class="muted">Preset: <code>${escapeHtml(JSON.stringify(preset))}</code></p>
</body></html>
`;
}
