import { describe, expect, it } from 'vitest';
import { predictionsCsv } from './evaluate.ts';

describe('predictionsCsv', () => {
  it('writes id,label,score; an id cannot become a formula, a bare CR or a comma is quoted', () => {
    const csv = predictionsCsv([
      { id: 'ISIC_0000001', patient: 'p', label: 1, score: 0.75 },
      { id: "=2+5+cmd|' -c calc'!A0", patient: 'p', label: 0, score: 0.5 },
      { id: '@SUM(A1)', patient: 'p', label: 0, score: 0.25 },
      { id: '+1', patient: 'p', label: 0, score: 0.125 },
      { id: '-1', patient: 'p', label: 1, score: 1 },
      { id: '\tTAB', patient: 'p', label: 1, score: 0 },
      { id: 'a\rb', patient: 'p', label: 1, score: 0 },
      { id: 'x,"y"', patient: 'p', label: 1, score: 1e-7 },
    ]);
    expect(csv).toBe(
      'id,label,score\n' +
        'ISIC_0000001,1,0.75\n' +
        `"'=2+5+cmd|' -c calc'!A0",0,0.5\n` +
        `"'@SUM(A1)",0,0.25\n` +
        `"'+1",0,0.125\n` +
        `"'-1",1,1\n` +
        `"'\tTAB",1,0\n` +
        '"a\rb",1,0\n' +
        '"x,""y""",1,1e-7\n',
    );
  });
});
