import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUMMARY_FORMAT, type ExplanationSummary } from '@dermagan/explain';
import { afterAll, describe, expect, it } from 'vitest';
import { explainabilitySection } from './explainability.ts';

const out = await mkdtemp(join(tmpdir(), 'explainability-'));
afterAll(() => rm(out, { recursive: true, force: true }));

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

describe('explainabilitySection', () => {
  it('renders embeddings, edge cases with the neighbours ΔAUC, heat maps, strips, frame removal and what was skipped', async () => {
    await mkdir(join(out, 'explanation', 'embeddings'), { recursive: true });
    await mkdir(join(out, 'explanation', 'xrai'), { recursive: true });
    await mkdir(join(out, 'explanation', 'directions'), { recursive: true });
    await writeFile(join(out, 'explanation', 'embeddings', 'a.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>');
    await writeFile(join(out, 'explanation', 'xrai', '000.png'), PNG);
    await writeFile(join(out, 'explanation', 'directions', 'sefa.png'), PNG);
    const change = { before: 0.7, after: 0.75, delta: 0.05, ci: [-0.01, 0.11], level: 0.95 };
    const summary: ExplanationSummary = {
      format: SUMMARY_FORMAT,
      name: 'study',
      parts: ['embeddings', 'edge-cases', 'xrai', 'directions', 'frame-removal'],
      numbers: { edge_cases: 1, generated_framed_share: 0.1, projection_cosine_mean: 0.2, projection_cosine_median: 0.1 },
      skipped: { 'hyperplane: melanoma': 'too few <b>' },
      sections: {
        embeddings: { pictures: [{ space: 'classifier embedding', byOrigin: 'embeddings/a.svg', byClass: 'embeddings/a.svg' }], counts: { 'real (train)': 10 }, projections: { cosineDistance: [0.1, 0.3] } },
        edgeCases: { threshold: 0.4, from: 'the real training side (10 images)', cases: [{ id: 'ISIC_1', label: 'melanoma', score: 0.35, reasons: ['misclassified'] }], neighbours: { perCase: 10, images: 10, space: 'W (no clipping)', aucChange: change } },
        xrai: { columns: ['image', 'IG'], entries: [{ file: 'xrai/000.png', kind: 'edge case', id: 'ISIC_1', label: 'melanoma', score: 0.35, explained: 'other', note: 'misclassified' }] },
        directions: { strips: [{ kind: 'sefa', file: 'directions/sefa.png', labels: ['SeFa 1'], steps: 'd ∈ [−3, 3]' }], hyperplanes: { 'frame present': { positives: 12, negatives: 88, labelledBy: 'the frame detector', cvAccuracy: 0.9 } } },
        frameRemoval: { images: 100, framed: 12, stillFramedAfterEdit: 2, overshoot: 3, aucChange: change },
      },
      provenance: { classifier: { labels: ['other', 'melanoma'] } },
    };
    const html = await explainabilitySection({ dir: 'explanation', summary }, out, 'explanation-3d.html');
    expect(html).toContain('<h2 id="explainability">Explainability</h2>');
    expect(html).toContain('href="explanation-3d.html"');
    expect(html).toContain('<circle r="1"/>');
    expect(html).toContain('data:image/png;base64,');
    expect(html).toContain('P(melanoma)');
    expect(html).toMatch(/data-key="explain\.edge_aug\.delta">0\.05<\/b> <span class="ci">\[-0\.01, 0\.11\]/);
    expect(html).toMatch(/12 of 100 synthetic images had a frame/);
    expect(html).toContain('frame present: 12 with / 88 without');
    expect(html).toContain('too few &lt;b&gt;');
  });
});
