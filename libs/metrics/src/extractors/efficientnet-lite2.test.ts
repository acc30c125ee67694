import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeNpy } from '@dermagan/npy';
import { loadPretrained } from '@dermagan/pretrained';
import { createExtractor, EXTRACTOR_IDS } from './registry.ts';

// The classifier's Lite2 fixtures (libs/classifier/fixtures, made with the upstream PyTorch code):
// the 1280 pooled features through ImageNet's own last layer (_fc) must give upstream's logits.
const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'classifier', 'fixtures');

describe('efficientnet-lite2 feature space (the ImageNet backbone, pooled)', () => {
  it('is a named extractor whose 1280 features give the upstream ImageNet logits through _fc (within 1e-3), hashed by its weights', async () => {
    expect(EXTRACTOR_IDS).toContain('efficientnet-lite2');
    const e = await createExtractor('efficientnet-lite2');
    try {
      const weights = await loadPretrained('efficientnet-lite2');
      expect([e.id, e.dim, e.inputSize, e.resize, e.hash]).toEqual(['efficientnet-lite2', 1280, 224, 'pil-bicubic', weights.sha256]);
      const names = ['chelsea', 'coffee'];
      const pixels = Buffer.concat(await Promise.all(names.map((n) => sharp(join(FIXTURES, `lite2-${n}.png`)).removeAlpha().raw().toBuffer())));
      const f = await e.extract(new Uint8Array(pixels), 2, 224);
      expect(f).toHaveLength(2 * 1280);
      const w = weights.float32('_fc.weight', [1000, 1280]).data;
      const b = weights.float32('_fc.bias', [1000]).data;
      const ref = decodeNpy(readFileSync(join(FIXTURES, 'lite2-logits-224.npy')), 'logits').data as Float32Array;
      let worst = 0;
      for (let i = 0; i < 2; i++) {
        for (let k = 0; k < 1000; k++) {
          let z = b[k]!;
          for (let j = 0; j < 1280; j++) z += w[k * 1280 + j]! * f[i * 1280 + j]!;
          worst = Math.max(worst, Math.abs(z - ref[i * 1000 + k]!));
        }
      }
      expect(worst).toBeLessThan(1e-3);
      // Another size is resized to 224 first (a 112² image gives 1280 finite features).
      const small = await e.extract(new Uint8Array(112 * 112 * 3).fill(90), 1, 112);
      expect(small.every(Number.isFinite)).toBe(true);
    } finally {
      e.dispose?.();
    }
  });
});
