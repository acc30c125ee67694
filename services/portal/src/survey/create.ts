/**
 * Make a survey from a real and a synthetic dataset in the store: check they can be compared
 * (same image size, same classes), draw the images (libs/survey planSurvey), and write each as a
 * display PNG — upscaled from the training size with the same filter for both sources, stored
 * uncompressed so every image has the same byte size (file sizes must not give the answer away)
 * — under an opaque random id.
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from '@dermagan/auth';
import { ArtifactPrefix, type FolderRef } from '@dermagan/contracts';
import { loadImages, readManifest, selectImages, type DatasetManifest, type ImageEntry } from '@dermagan/dataset';
import { createSurvey, newItemId, planSurvey, SurveyPlanError, SurveySpec, type NewSurveyItem } from '@dermagan/survey';
import sharp from 'sharp';
import { z } from 'zod';
import type { PortalDeps } from '../deps.ts';

const DatasetLocation = z.object({ bucket: z.string().min(3).max(63), prefix: z.string().min(1).max(500) });

export const CreateSurveyInput = SurveySpec.extend({
  title: z.string().min(1).max(200),
  real: DatasetLocation,
  synthetic: DatasetLocation,
  /** Which split of the real dataset to draw from (default every image). */
  realSplit: z.enum(['all', 'train', 'test']).default('all'),
  /** Ask the experts for the class too (benign / melanoma). */
  askClass: z.boolean().default(false),
});
export type CreateSurveyInput = z.output<typeof CreateSurveyInput>;

export async function buildSurvey(deps: PortalDeps, principal: Principal, input: CreateSurveyInput): Promise<string> {
  const real = await openDataset(deps, input.real);
  const synthetic = await openDataset(deps, input.synthetic);
  if (real.manifest.size !== synthetic.manifest.size) {
    throw new SurveyPlanError(
      `the real images are ${real.manifest.size}² and the synthetic ones ${synthetic.manifest.size}²: the survey needs one size (a size difference gives the answer away); generate or ingest at the same size`,
    );
  }
  const labels = real.manifest.labels;
  if (input.classShares && JSON.stringify(synthetic.manifest.labels) !== JSON.stringify(labels)) {
    throw new SurveyPlanError(`a class balance needs the same classes in both datasets (real: ${labels.join(', ')}; synthetic: ${synthetic.manifest.labels.join(', ')})`);
  }
  const realEntries = input.realSplit === 'all' ? real.manifest.images : selectImages(real.manifest, { split: input.realSplit });
  const plan = planSurvey({ real: realEntries, synthetic: synthetic.manifest.images }, input, labels);

  const surveyId = randomUUID();
  const items: Array<NewSurveyItem & { id: string }> = [];
  for (const [source, opened] of [['real', real], ['synthetic', synthetic]] as const) {
    const chosen = plan.filter((p) => p.source === source);
    const byId = new Map(opened.manifest.images.map((e) => [e.id, e]));
    const entries = chosen.map((p) => byId.get(p.id)!) as ImageEntry[];
    const batch = await loadImages(opened.dir, opened.manifest, entries);
    const per = batch.size * batch.size * 3;
    for (const [i, entry] of entries.entries()) {
      const id = newItemId();
      const png = await sharp(batch.pixels.subarray(i * per, (i + 1) * per), { raw: { width: batch.size, height: batch.size, channels: 3 } })
        .resize(deps.surveyDisplaySize, deps.surveyDisplaySize, { kernel: 'lanczos3' })
        .png({ compressionLevel: 0, adaptiveFiltering: false })
        .toBuffer();
      const image = await deps.store.put(deps.bucket, `${ArtifactPrefix.portal}surveys/${surveyId}/${id}.png`, png, { contentType: 'image/png' });
      items.push({ id, source, label: entry.label, origin: { dataset: `${opened.ref.bucket}/${opened.ref.prefix}`, image: entry.id }, image });
    }
  }
  const config = {
    n: input.n, syntheticShare: input.syntheticShare, classShares: input.classShares, seed: input.seed, realSplit: input.realSplit, askClass: input.askClass,
    real: real.ref, synthetic: synthetic.ref, trainingSize: real.manifest.size, displaySize: deps.surveyDisplaySize,
  };
  return createSurvey(deps.db, { id: surveyId, title: input.title, config, labels, createdBy: principal.accountId, items });
}

async function openDataset(deps: PortalDeps, location: z.output<typeof DatasetLocation>): Promise<{ ref: FolderRef; dir: string; manifest: DatasetManifest }> {
  const prefix = location.prefix.endsWith('/') ? location.prefix : `${location.prefix}/`;
  const manifestRef = await deps.store.stat(location.bucket, `${prefix}manifest.json`).catch(() => null);
  if (!manifestRef) throw new SurveyPlanError(`no dataset at ${location.bucket}/${prefix} (no manifest.json there)`);
  const ref: FolderRef = { bucket: location.bucket, prefix, manifest: manifestRef };
  const dir = await deps.folders.fetch(ref);
  return { ref, dir, manifest: await readManifest(dir) };
}
