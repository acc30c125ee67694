/**
 * Heat maps (REFERENCE §7.3): XRAI on the classifier for edge cases, real and synthetic images,
 * with plain integrated gradients (black baseline) and Grad-CAM beside it. One strip per image:
 * image · IG · XRAI · XRAI top 30 % · Grad-CAM; the explained class is the predicted one.
 */
import { predictScores, type ImageSet } from '@dermagan/classifier';
import { classifierScore } from '../attribution/classifier-score.ts';
import { gradCam, splitAtPooling } from '../attribution/grad-cam.ts';
import { colourMap, maskedImage, normalizeMap, tilesPng } from '../attribution/heatmap.ts';
import { topRegionMask, xrai } from '../attribution/xrai.ts';
import { writeOut, type ExplainContext } from './context.ts';
import { imageAt, sampleRows, toUnit } from './images.ts';

interface Subject {
  kind: 'edge case' | 'real' | 'synthetic';
  id: string;
  set: Pick<ImageSet, 'pixels' | 'size'>;
  row: number;
  label: number;
  note: string;
}

export async function xraiStep(ctx: ExplainContext): Promise<void> {
  const { tf, options } = ctx;
  const { card, model } = ctx.classifier;
  const subjects: Subject[] = [];
  for (const c of ctx.edgeCases.slice(0, options.xraiImages.edge)) subjects.push({ kind: 'edge case', id: c.id, set: ctx.real.train, row: c.index, label: c.label, note: c.reasons.join(', ') });
  const edgeIds = new Set(ctx.edgeCases.map((c) => c.id));
  for (const r of sampleRows(ctx.real.train.labels.length, options.xraiImages.real + edgeIds.size, options.seed + 2).filter((r) => !edgeIds.has(ctx.real.train.ids[r]!)).slice(0, options.xraiImages.real)) {
    subjects.push({ kind: 'real', id: ctx.real.train.ids[r]!, set: ctx.real.train, row: r, label: ctx.real.train.labels[r]!, note: '' });
  }
  for (const s of ctx.synthetic) {
    for (const r of sampleRows(s.set.labels.length, options.xraiImages.synthetic, options.seed + 3)) subjects.push({ kind: 'synthetic', id: `${s.name}/${s.set.ids[r]}`, set: s.set, row: r, label: s.set.labels[r]!, note: s.name });
  }
  const split = splitAtPooling(tf, model);
  const entries = [];
  const started = Date.now();
  for (const [i, s] of subjects.entries()) {
    ctx.progress('xrai', i, subjects.length, s.id);
    const pixels = imageAt(s.set, s.row);
    const size = s.set.size;
    const single = { pixels, labels: Int32Array.of(s.label), size, ids: [s.id], patients: [s.id], origins: [] };
    const score = (await predictScores(tf, model, single, { size: card.inputSize, normalization: card.normalization }, 1))[0]!;
    const target = score >= card.threshold.threshold ? 1 : 0;
    const unit = toUnit(pixels);
    const result = xrai(tf, classifierScore(tf, model, card, target), unit, size, options.xrai);
    const cam = gradCam(tf, split, card, unit, 1, size, target);
    const ig = colourMap(normalizeMap(Float32Array.from(result.igBlack, Math.abs), 0, 99));
    const heat = colourMap(normalizeMap(result.saliency, 1, 100), pixels, 0.7);
    const top = maskedImage(pixels, topRegionMask(result, 0.3));
    const file = await writeOut(ctx, `xrai/${String(i).padStart(3, '0')}.png`, await tilesPng([pixels, ig, heat, top, colourMap(cam, pixels, 0.6)], size, 5, size < 64 ? 4 : 2));
    entries.push({ file, kind: s.kind, id: s.id, label: card.labels[s.label], score, explained: card.labels[target], note: s.note, regions: result.regions.length });
  }
  ctx.progress('xrai', subjects.length, subjects.length);
  // The split models share the classifier's layers: disposing them would free its weights.
  ctx.numbers.xrai_images = entries.length;
  ctx.numbers.xrai_seconds_per_image = entries.length ? (Date.now() - started) / 1000 / entries.length : null;
  ctx.sections.xrai = { columns: ['image', 'integrated gradients (black baseline)', 'XRAI', 'XRAI top 30 %', 'Grad-CAM'], entries, options: { ...options.xrai } };
}
