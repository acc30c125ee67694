/**
 * Embeddings of real, synthetic and projected images (PAPER: "embeddings of real images and of
 * their projections from the classifier's last layer; t-SNE in 3D"): the classifier's embedding
 * (and a second feature space when an extractor is given), laid out by t-SNE in 3-D and UMAP in
 * 3-D for the interactive page (view-3d.html), and by t-SNE in 2-D for the report's picture.
 */
import { embed, type ImageSet } from '@dermagan/classifier';
import { createExtractor, extractFeatures } from '@dermagan/metrics';
import { stackRows, type Rows } from '../embedding/matrix.ts';
import { scatterSvg } from '../embedding/scatter-svg.ts';
import { tsne } from '../embedding/tsne.ts';
import { umap } from '../embedding/umap.ts';
import { view3dHtml, type ViewLayout, type ViewPoint } from '../embedding/view-3d.ts';
import { writeOut, type ExplainContext } from './context.ts';
import { sampleRows, thumbnailUri } from './images.ts';

interface Part {
  set: string;
  origin: 'real' | 'synthetic' | 'projected';
  pixels: Uint8Array;
  size: number;
  labels: Int32Array;
  ids: string[];
  tenants: string[];
}

function take(set: ImageSet, rows: number[], name: string, origin: Part['origin'], tenants: string[] = []): Part {
  const per = set.size * set.size * 3;
  const pixels = new Uint8Array(rows.length * per);
  rows.forEach((r, i) => pixels.set(set.pixels.subarray(r * per, (r + 1) * per), i * per));
  return { set: name, origin, pixels, size: set.size, labels: Int32Array.from(rows, (r) => set.labels[r]!), ids: rows.map((r) => set.ids[r]!), tenants: rows.map((r) => tenants[r] ?? '') };
}

export async function embeddingsStep(ctx: ExplainContext): Promise<void> {
  const { tf, options } = ctx;
  const { card, model } = ctx.classifier;
  const spec = { size: card.inputSize, normalization: card.normalization };
  const tenantOf = new Map(ctx.real.manifest.images.map((e) => [e.id, e.tenant ?? '']));

  // What is embedded: real (train and test), each synthetic set, the projections.
  const parts: Part[] = [];
  for (const [name, set] of [['real (train)', ctx.real.train], ['real (test)', ctx.real.test]] as const) {
    const rows = sampleRows(set.labels.length, options.maxPerSet, options.seed);
    parts.push(take(set, rows, name, 'real', set.ids.map((id) => tenantOf.get(id) ?? '')));
  }
  for (const s of ctx.synthetic) parts.push(take(s.set, sampleRows(s.set.labels.length, options.maxPerSet, options.seed + 1), s.name, 'synthetic'));
  if (ctx.projections) {
    const r = ctx.generator!.G.cfg.resolution;
    parts.push({
      set: 'projections of edge cases',
      origin: 'projected',
      pixels: ctx.projections.images,
      size: r,
      labels: Int32Array.from(ctx.edgeCases, (c) => c.label),
      ids: ctx.edgeCases.map((c) => `${c.id} (projected)`),
      tenants: ctx.edgeCases.map(() => ''),
    });
  }

  // Feature spaces: the classifier's embedding, and the extractor's when given.
  ctx.progress('embeddings', 0, 4, 'classifier embedding');
  const classifierRows: Rows[] = [];
  for (const p of parts) {
    const e = await embed(tf, model, { pixels: p.pixels, labels: p.labels, size: p.size, ids: p.ids, patients: p.ids, origins: [] }, spec, 64);
    classifierRows.push({ data: e.data, rows: p.labels.length, cols: e.width });
  }
  const spaces: Array<{ name: string; rows: Rows }> = [{ name: 'classifier embedding', rows: stackRows(classifierRows) }];
  if (options.extractor) {
    // A feature space whose weights are not installed is skipped with the reason, not fatal.
    const extractor = await createExtractor(options.extractor.id, options.extractor.modelUri ? { modelUri: options.extractor.modelUri } : {}).catch((err: Error) => {
      ctx.skipped[`embedding in ${options.extractor!.id}`] = err.message;
      return null;
    });
    if (extractor) {
      try {
        const rows: Rows[] = [];
        for (const p of parts) {
          const f = await extractFeatures(extractor, p.pixels, p.labels.length, p.size);
          rows.push({ data: f.data, rows: f.rows, cols: f.cols });
        }
        spaces.push({ name: extractor.id, rows: stackRows(rows) });
      } finally {
        extractor.dispose?.();
      }
    }
  }

  // Layouts.
  const layouts: ViewLayout[] = [];
  const pictures: Array<{ space: string; byOrigin: string; byClass: string }> = [];
  const points: ViewPoint[] = [];
  const thumbnails: string[] = [];
  for (const p of parts) {
    for (let i = 0; i < p.labels.length; i++) {
      const per = p.size * p.size * 3;
      thumbnails.push(await thumbnailUri(p.pixels.subarray(i * per, (i + 1) * per), p.size));
      points.push({ id: p.ids[i]!, origin: p.origin, label: card.labels[p.labels[i]!] ?? String(p.labels[i]), tenant: p.tenants[i] ?? '', set: p.set, thumb: thumbnails.length - 1 });
    }
  }
  let step = 1;
  for (const space of spaces) {
    ctx.progress('embeddings', step++, 4, `t-SNE and UMAP of ${space.rows.rows} × ${space.rows.cols} (${space.name})`);
    const perplexity = Math.min(options.tsne.perplexity ?? 30, Math.floor((space.rows.rows - 1) / 3));
    layouts.push({ name: `t-SNE 3-D (${space.name})`, coordinates: tsne(space.rows, { ...options.tsne, perplexity, dims: 3, seed: options.seed }).coordinates });
    layouts.push({ name: `UMAP 3-D (${space.name})`, coordinates: umap(space.rows, { ...options.umap, dims: 3, seed: options.seed }).coordinates });
    const flat = tsne(space.rows, { ...options.tsne, perplexity, dims: 2, seed: options.seed }).coordinates;
    const slug = space.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    pictures.push({
      space: space.name,
      byOrigin: await writeOut(ctx, `embeddings/${slug}-origin.svg`, scatterSvg(flat, points.map((p) => `${p.origin}`), `t-SNE 2-D, ${space.name}: by origin`)),
      byClass: await writeOut(ctx, `embeddings/${slug}-class.svg`, scatterSvg(flat, points.map((p) => `${p.origin} ${p.label}`), `t-SNE 2-D, ${space.name}: by origin and class`)),
    });
  }
  const view = await writeOut(ctx, 'view-3d.html', view3dHtml({ title: 'dermagan: embeddings of real, synthetic and projected images', points, layouts, thumbnails }));
  await writeOut(ctx, 'embeddings/points.json', JSON.stringify({ points, layouts: layouts.map((l) => ({ name: l.name, coordinates: Array.from(l.coordinates) })) }));
  ctx.numbers.embedded_images = points.length;
  ctx.sections.embeddings = {
    view,
    pictures,
    counts: Object.fromEntries(parts.map((p) => [p.set, p.labels.length])),
    spaces: spaces.map((s) => ({ name: s.name, dims: s.rows.cols })),
    tsne: { ...options.tsne, seed: options.seed },
    umap: { ...options.umap, seed: options.seed },
    projections: ctx.projections ? { cosineDistance: ctx.projections.cosineDistance } : null,
  };
  ctx.progress('embeddings', 4, 4);
}
