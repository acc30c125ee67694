import { describe, expect, it } from 'vitest';
import { cohenKappa, fleissKappa, ratingCounts } from './agreement.ts';
import { surveyResults, type Judgement, type Source } from './results.ts';

const truth: Array<[string, Source, number]> = [
  ['i1', 'real', 0], ['i2', 'real', 1], ['i3', 'synthetic', 0], ['i4', 'synthetic', 1],
];

function answers(expert: string, judged: Source[], seconds: number[], confidence = 3, classAnswers: Array<number | null> = []): Judgement[] {
  return truth.map(([item, t, label], i) => ({
    expert, item, truth: t, label, judged: judged[i]!, confidence, classAnswer: classAnswers[i] ?? null, elapsedMs: seconds[i]! * 1000,
  }));
}

describe('surveyResults', () => {
  const a = answers('a', ['real', 'real', 'synthetic', 'synthetic'], [1, 2, 3, 10], 5, [0, 0, 0, 1]);
  const b = answers('b', ['real', 'synthetic', 'real', 'synthetic'], [2, 2, 2, 2], 2);
  const c = answers('c', ['synthetic', 'synthetic', 'synthetic', 'real'], [4, 4, 4, 4], 4);
  const r = surveyResults([...a, ...b, ...c]);

  it('per expert: accuracy, sensitivity to synthetic, specificity, class accuracy, confidence, seconds', () => {
    const [ea, eb, ec] = r.experts;
    expect(ea).toMatchObject({ expert: 'a', answered: 4, correct: 4, accuracy: 1, sensitivity: 1, specificity: 1, classAccuracy: 0.75, meanConfidence: 5, confidentAccuracy: 1, medianSeconds: 2.5, meanSeconds: 4 });
    expect(eb).toMatchObject({ expert: 'b', correct: 2, accuracy: 0.5, sensitivity: 0.5, specificity: 0.5, classAccuracy: null, confidentAccuracy: null });
    expect(eb!.pVsChance).toBeCloseTo(1, 12);
    expect(ec).toMatchObject({ expert: 'c', correct: 1, accuracy: 0.25, sensitivity: 0.5, specificity: 0, confidentAccuracy: 0.25 });
    expect(r.meanAccuracy).toBeCloseTo((1 + 0.5 + 0.25) / 3, 12);
    expect(r.pooledAccuracy).toBeCloseTo(7 / 12, 12);
  });

  it("Cohen's κ for each pair and Fleiss' κ for the three, computed over the same answers", () => {
    const j = (e: Judgement[]) => e.map((x) => x.judged);
    expect(r.cohen.map((p) => [p.a, p.b, p.items])).toEqual([['a', 'b', 4], ['a', 'c', 4], ['b', 'c', 4]]);
    expect(r.cohen[0]!.kappa).toBe(cohenKappa(j(a), j(b)));
    expect(r.cohen[0]!.kappa).toBeCloseTo(0, 12); // p_o 0.5, p_e 0.5
    expect(r.fleiss).toEqual({ kappa: fleissKappa(ratingCounts([j(a), j(b), j(c)], ['real', 'synthetic'])), items: 4, raters: 3 });
  });

  it('agreement uses only the images both (or all) experts answered', () => {
    const partial = surveyResults([...a, ...b.slice(0, 2), ...c.slice(1)]);
    expect(partial.cohen.find((p) => p.a === 'a' && p.b === 'b')!.items).toBe(2);
    expect(partial.fleiss!.items).toBe(1);
  });

  it('confusion of truth × judgement per class', () => {
    expect(r.confusionByClass).toEqual([
      { label: 0, counts: { real: { real: 2, synthetic: 1 }, synthetic: { real: 1, synthetic: 2 } }, accuracy: 4 / 6 },
      { label: 1, counts: { real: { real: 1, synthetic: 2 }, synthetic: { real: 1, synthetic: 2 } }, accuracy: 3 / 6 },
    ]);
  });

  it('two experts: no Fleiss κ; no answers: nulls, not NaN', () => {
    expect(surveyResults([...a, ...b]).fleiss).toBeNull();
    const empty = surveyResults([]);
    expect(empty).toEqual({ experts: [], meanAccuracy: null, pooledAccuracy: null, answers: 0, cohen: [], fleiss: null, confusionByClass: [] });
  });
});
