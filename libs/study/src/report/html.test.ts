/** The report's Table 1, appendix and survey parts from results.json: what is shown equals what is stored. */
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { StudyResults } from '../results.ts';
import { formatNumber, renderReport } from './html.ts';

const provenance = (id: string, n: number) => ({ extractor: { id, ...(id === 'inception-2015' ? { preprocessing: 'sg2ada' } : {}) }, nReal: n, nFake: n });
const base = {
  format: 'dermagan.study/v1',
  preset: { name: 'quick' },
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: '2026-01-01T00:10:00Z',
  wallSeconds: 600,
  data: { name: 'demo', fingerprint: 'f', size: 32, labels: ['benign', 'malignant'], counts: { total: 300 } },
  provenance: {},
  gans: [],
  fidelity: [
    { model: 'ben-GAN', scores: { fid: 123.456, kid: 0.01234, ppl: 61.5, precision: 0.5 }, provenance: provenance('inception-2015', 64) },
    { model: 'mal-GAN', scores: { fid: 150.25, kid: 0.02, ppl: 48.25 }, provenance: provenance('inception-2015', 64) },
  ],
  appendixFidelity: [{ model: 'ben-GAN', scores: { fd_pixels_rp64: 3.25, kid: 0.001 }, provenance: provenance('pixels-rp64', 150) }],
  utility: [],
  realGrids: [],
};
const survey = {
  survey: { id: 's1', title: 'Real or not', state: 'closed', labels: ['benign', 'malignant'], closedAt: '2026-01-02T00:00:00Z', config: {} },
  experts: [{ expert: 'a', answered: 4, correct: 3, accuracy: 0.75, accuracyCi: [0.3, 0.95], pVsChance: 0.6, sensitivity: 1, specificity: 0.5, classAccuracy: null, meanConfidence: 3, confidentAccuracy: null, medianSeconds: 2, meanSeconds: 2 }],
  meanAccuracy: 0.75,
  pooledAccuracy: 0.75,
  answers: 4,
  cohen: [],
  fleiss: null,
  confusionByClass: [{ label: 0, counts: { real: { real: 1, synthetic: 1 }, synthetic: { real: 0, synthetic: 2 } }, accuracy: 0.75 }],
};
const keyed = (html: string) => new Map([...html.matchAll(/data-key="([^"]+)">([^<]*)</g)].map((m) => [m[1]!, m[2]!]));

describe('the report from results.json', () => {
  it('Table 1 shows FID, KID % and PPL beside the paper, with the sample size and its bias; the pixel distance in the appendix', async () => {
    const results = StudyResults.parse(base);
    const html = await renderReport(results, tmpdir());
    const shown = keyed(html);
    expect(shown.get('fidelity.ben-GAN.fid')).toBe('123.5');
    expect(shown.get('fidelity.ben-GAN.kid')).toBe(formatNumber(0.01234 * 100));
    expect(shown.get('fidelity.ben-GAN.ppl')).toBe('61.5');
    expect(shown.get('fidelity.mal-GAN.ppl')).toBe('48.25');
    expect(shown.get('appendix.ben-GAN.fd_pixels_rp64')).toBe('3.25');
    expect(shown.has('fidelity.ben-GAN.fd_pixels_rp64')).toBe(false);
    expect(html).toContain('<th>FID (ours)</th><th>FID (paper)</th><th>KID % (ours)</th><th>KID % (paper)</th><th>PPL (ours)</th><th>PPL (paper)</th>');
    expect(html).toContain('<td>64 / 64</td>');
    expect(html).toContain('inception-2015 (sg2ada preprocessing), at the 32² the GANs trained at');
    expect(html).toContain('FID from few images is biased upwards');
    expect(html.indexOf('id="appendix-pixels"')).toBeGreaterThan(html.indexOf('id="table1"'));
    expect(html).toContain('No survey run');
  });

  it('includes the expert survey exported from the portal, its numbers as stored', async () => {
    const results = StudyResults.parse({ ...base, survey });
    const html = await renderReport(results, tmpdir());
    expect(html).toContain('<h2 id="survey">Expert survey: Real or not</h2>');
    expect(html).toContain(`id="mean-accuracy" data-value="${results.survey!.meanAccuracy}">75.0 %`);
    expect(html).not.toContain('No survey run');
  });
});
