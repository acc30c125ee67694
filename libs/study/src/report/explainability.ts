/**
 * The report's "Explainability" section, from an explanation's summary (libs/explain) and the
 * files it names, copied under OUT/<dir>: the 2-D embedding pictures inline and a link to the
 * interactive 3-D page next to the report, edge cases and the ΔAUC of retraining with their
 * latent neighbours, XRAI / integrated-gradients / Grad-CAM strips, edit strips along the latent
 * directions, and the frame-removal experiment.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExplanationSummary } from '@dermagan/explain';
import { escapeHtml, formatNumber } from './html.ts';

/** What results.json keeps of an explanation: its summary and the folder (relative to OUT) holding its files. */
export interface ExplanationResult {
  dir: string;
  summary: ExplanationSummary;
}

interface AucChangeLike {
  before: number;
  after: number;
  delta: number;
  ci: [number, number];
  level: number;
}

async function inlineFile(outDir: string, dir: string, file: string | undefined, alt: string): Promise<string> {
  if (!file) return '<p class="muted">no image</p>';
  const path = join(outDir, dir, file);
  if (file.endsWith('.svg')) return (await readFile(path, 'utf8')).replace(/^<\?xml[^>]*>/, '');
  return `<img alt="${escapeHtml(alt)}" src="data:image/png;base64,${(await readFile(path)).toString('base64')}">`;
}

function aucChangeText(c: AucChangeLike | undefined, key: string): string {
  if (!c) return '';
  return `ROC-AUC <span data-key="${key}.before">${formatNumber(c.before, 3)}</span> → <span data-key="${key}.after">${formatNumber(c.after, 3)}</span>, ` +
    `ΔAUC <b data-key="${key}.delta">${formatNumber(c.delta, 3)}</b> <span class="ci">[${formatNumber(c.ci[0], 3)}, ${formatNumber(c.ci[1], 3)}] (${Math.round(c.level * 100)} % paired patient bootstrap)</span>`;
}

export async function explainabilitySection(result: ExplanationResult, outDir: string, viewHref: string | null): Promise<string> {
  const { summary, dir } = result;
  const s = summary.sections as {
    embeddings?: { pictures: Array<{ space: string; byOrigin: string; byClass: string }>; counts: Record<string, number>; projections: { cosineDistance: number[] } | null };
    edgeCases?: { threshold: number; from: string; cases: Array<{ id: string; label: string; score: number; reasons: string[] }>; neighbours?: { perCase: number; images: number; space: string; aucChange: AucChangeLike } };
    xrai?: { columns: string[]; entries: Array<{ file: string; kind: string; id: string; label: string; score: number; explained: string; note: string }> };
    directions?: { strips: Array<{ kind: string; file: string; labels: string[]; steps: string }>; hyperplanes: Record<string, { positives: number; negatives: number; labelledBy: string; cvAccuracy: number | null }> };
    frameRemoval?: { images: number; framed: number; stillFramedAfterEdit: number; overshoot: number; aucChange: AucChangeLike };
  };
  const parts: string[] = ['<h2 id="explainability">Explainability</h2>'];

  // Embeddings.
  if (s.embeddings) {
    const pictures = await Promise.all(s.embeddings.pictures.flatMap((p) => [inlineFile(outDir, dir, p.byOrigin, `${p.space} by origin`), inlineFile(outDir, dir, p.byClass, `${p.space} by class`)]));
    const counts = Object.entries(s.embeddings.counts).map(([k, v]) => `${escapeHtml(k)} ${v}`).join(', ');
    const cos = s.embeddings.projections?.cosineDistance;
    parts.push(`<h3>Embeddings of real, synthetic and projected images</h3>
<p>${counts}. ${viewHref ? `<a href="${escapeHtml(viewHref)}">Interactive 3-D view</a> (t-SNE and UMAP; rotate, colour by origin, class, tenant or set, hover for the image; a separate file next to this report, it works offline).` : ''}</p>
<div class="plots">${pictures.join('\n')}</div>
${cos && cos.length ? `<p>Cosine distance between an edge case's embedding and its projection's: mean <span data-key="explain.projection_cosine_mean">${formatNumber(summary.numbers.projection_cosine_mean, 3)}</span>, median ${formatNumber(summary.numbers.projection_cosine_median, 3)} (the paper: mean 0.1444, median 0.00283 over 12k projections).</p>` : ''}`);
  }

  // Edge cases and their neighbours.
  if (s.edgeCases) {
    const e = s.edgeCases;
    const rows = e.cases.slice(0, 12).map((c) => `<tr><td>${escapeHtml(c.id)}</td><td>${escapeHtml(c.label)}</td><td>${formatNumber(c.score, 3)}</td><td>${escapeHtml(c.reasons.join(', '))}</td></tr>`).join('');
    const n = e.neighbours;
    parts.push(`<h3>Edge cases</h3>
<p><span data-key="explain.edge_cases">${e.cases.length}</span> edge cases from ${escapeHtml(e.from)} (threshold ${formatNumber(e.threshold, 3)}): misclassified, within 0.1 of the threshold, or as close to the other class's centroid in the embedding as to their own.</p>
<table><thead><tr><th>image</th><th>class</th><th>P(${escapeHtml(summary.provenance && (summary.provenance as { classifier?: { labels?: string[] } }).classifier?.labels?.[1] || 'positive')})</th><th>why</th></tr></thead><tbody>${rows}</tbody></table>
${n ? `<p>Latent neighbours: ${n.perCase} per projected edge case (${n.images} images) at distance 0.1 in ${escapeHtml(n.space)}, added to the real training images; the classifier retrained and tested on the real test split: ${aucChangeText(n.aucChange, 'explain.edge_aug')}.</p>` : `<p class="muted">Latent neighbours: not run (${escapeHtml(summary.skipped.neighbours ?? 'skipped')}).</p>`}`);
  }

  // Heat maps.
  if (s.xrai) {
    const figures = await Promise.all(
      s.xrai.entries.map(async (x) => `<figure>${await inlineFile(outDir, dir, x.file, x.id)}<figcaption>${escapeHtml(x.kind)}: ${escapeHtml(x.id)} — ${escapeHtml(x.label)}, P = ${formatNumber(x.score, 3)}, explaining "${escapeHtml(x.explained)}"${x.note ? ` (${escapeHtml(x.note)})` : ''}</figcaption></figure>`),
    );
    parts.push(`<h3>XRAI heat maps</h3><p>Each strip: ${escapeHtml(s.xrai.columns.join(' · '))}.</p><div class="grids">${figures.join('\n')}</div>`);
  }

  // Directions.
  if (s.directions) {
    const strips = await Promise.all(
      s.directions.strips.map(async (d) => `<figure>${await inlineFile(outDir, dir, d.file, d.kind)}<figcaption>${escapeHtml(d.kind)}: rows ${escapeHtml(d.labels.join(', '))}; ${escapeHtml(d.steps)}</figcaption></figure>`),
    );
    const planes = Object.entries(s.directions.hyperplanes)
      .map(([name, h]) => `${escapeHtml(name)}: ${h.positives} with / ${h.negatives} without (${escapeHtml(h.labelledBy)}), cross-validated accuracy ${formatNumber(h.cvAccuracy, 3)}`)
      .join('; ');
    parts.push(`<h3>Latent directions</h3>
<p>SeFa (closed form from the style weights), GANSpace (PCA of W samples) and hyperplanes (a linear classifier on W). ${planes ? `Hyperplanes — ${planes}.` : ''} Share of generated images with a dermoscope frame: <span data-key="explain.generated_framed_share">${formatNumber(summary.numbers.generated_framed_share, 3)}</span>. <code>directions.json</code> holds the unit vectors.</p>
<div class="grids">${strips.join('\n')}</div>`);
  }

  // Frame removal.
  if (s.frameRemoval) {
    const f = s.frameRemoval;
    parts.push(`<h3>Frame removal</h3>
<p>${f.framed} of ${f.images} synthetic images had a frame; each was moved across the frame hyperplane in W (to −${f.overshoot}× its distance) and rendered again; ${f.stillFramedAfterEdit} still had one. A classifier trained on the frame-free synthetic set against one trained on the original, both tested on real images: ${aucChangeText(f.aucChange, 'explain.frame_removal')}.</p>`);
  } else if (summary.skipped['frame removal']) {
    parts.push(`<h3>Frame removal</h3><p class="muted">Not run: ${escapeHtml(summary.skipped['frame removal'])}.</p>`);
  }

  const skipped = Object.entries(summary.skipped);
  if (skipped.length > 0) parts.push(`<p class="muted">Skipped: ${skipped.map(([k, v]) => `${escapeHtml(k)} (${escapeHtml(v)})`).join('; ')}.</p>`);
  return parts.join('\n');
}
