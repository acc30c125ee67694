import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { imageSize } from './image-size.ts';
import { jpeg, png, tiff } from './testing/images.ts';

describe('imageSize', () => {
  it('reads JPEG (baseline and progressive) and PNG sizes as stored', async () => {
    expect(imageSize(await jpeg(37, 21))).toEqual({ width: 37, height: 21, format: 'jpeg' });
    const progressive = await sharp(await jpeg(40, 30)).jpeg({ progressive: true }).toBuffer();
    expect(imageSize(progressive)).toEqual({ width: 40, height: 30, format: 'jpeg' });
    expect(imageSize(await png(5, 9))).toEqual({ width: 5, height: 9, format: 'png' });
  });

  it('skips EXIF and ICC segments before the frame header; orientation does not swap the stored size', async () => {
    const tagged = await sharp(await jpeg(16, 8)).withMetadata({ orientation: 6 }).withIccProfile('srgb').jpeg().toBuffer();
    expect(imageSize(tagged)).toEqual({ width: 16, height: 8, format: 'jpeg' });
  });

  it('null for other formats, text, and a JPEG cut before its frame header', async () => {
    expect(imageSize(tiff(8, 8, 3, 2))).toBeNull();
    expect(imageSize(Buffer.from('not an image at all'))).toBeNull();
    expect(imageSize((await jpeg(16, 16)).subarray(0, 20))).toBeNull();
    expect(imageSize(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toBeNull();
  });
});
