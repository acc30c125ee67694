import { describe, expect, it } from 'vitest';
import { surveySection } from './report-section.ts';
import { surveyResults, type Judgement } from './stats/results.ts';

const j = (expert: string, item: string, truth: 'real' | 'synthetic', judged: 'real' | 'synthetic', label = 0): Judgement => ({ expert, item, truth, label, judged, confidence: 3, classAnswer: null, elapsedMs: 2000 });

describe('surveySection', () => {
  const results = surveyResults([
    j('<b>a</b>', 'i1', 'real', 'real'), j('<b>a</b>', 'i2', 'synthetic', 'real', 1), j('<b>a</b>', 'i3', 'synthetic', 'synthetic'),
    j('b', 'i1', 'real', 'synthetic'), j('b', 'i2', 'synthetic', 'real', 1), j('b', 'i3', 'synthetic', 'synthetic'),
  ]);
  const html = surveySection(results, { labels: ['benign', 'melanoma'], reference: 'The study: 54 % over 4 experts.' });

  it('carries the exact numbers in data-value attributes and shows them rounded', () => {
    expect(html).toContain(`id="mean-accuracy" data-value="${results.meanAccuracy}">${(results.meanAccuracy! * 100).toFixed(1)} %`);
    expect(html).toContain(`<span class="kappa" data-value="${results.cohen[0]!.kappa}">${results.cohen[0]!.kappa!.toFixed(3)}</span>`);
    expect(html).toContain('<td>melanoma</td><td>0</td><td>0</td><td>2</td><td>0</td><td>0.0 %</td>');
  });

  it('escapes names, has no script, and leaves out Fleiss for two experts', () => {
    expect(html).toContain('&lt;b&gt;a&lt;/b&gt;');
    expect(html).not.toContain('<b>');
    expect(html).not.toMatch(/<script|fleiss-kappa/);
    expect(html).toContain('The study: 54 % over 4 experts.');
  });
});
