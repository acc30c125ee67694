/**
 * XRAI (Kapishnikov et al. 2019, "XRAI: Better attributions through regions"), as the PAIR
 * saliency library's `XRAI.GetMask` with its defaults (REFERENCE §7.3):
 *   1. integrated gradients from a black and a white baseline, averaged, then the maximum over
 *      the colour channels;
 *   2. Felzenszwalb segmentations of the image (rescaled to [−1, 1], resized to 224²) at scales
 *      {50, 100, 150, 250, 500, 1200}, σ 0.8, min size 150, each segment resized back (nearest)
 *      and dilated by a disk of radius 5;
 *   3. greedy: repeatedly add the segment whose not-yet-covered pixels have the highest mean
 *      attribution (density), dropping segments that add fewer than 50 new pixels, until the
 *      whole image is covered; each pixel gets the gain of the segment that first covered it.
 * The one departure: the resize to 224² is bilinear (PAIR: a cubic spline), so segments can
 * differ from PAIR's slightly; the ranking rule is the same.
 */
import type { Tf } from '@dermagan/tf';
import { check } from '../errors.ts';
import { felzenszwalb } from './felzenszwalb.ts';
import { diskOffsets, dilate, resizeBilinear, resizeLabels } from './image-ops.ts';
import { channelSum, DEFAULT_IG, integratedGradients, type ScoreFunction } from './integrated-gradients.ts';

export interface XraiOptions {
  /** Felzenszwalb scales (PAIR: 50, 100, 150, 250, 500, 1200). */
  scales: number[];
  sigma: number;
  minSegment: number;
  /** Side the image is resized to for segmentation (PAIR: 224; 0 = segment at the image's size). */
  segmentationSize: number;
  /** Disk radius each segment is dilated by (PAIR: 5; 0 = none). */
  dilation: number;
  /** Segments adding fewer new pixels than this are dropped (PAIR: 50). */
  minPixelDiff: number;
  /** Stop once this fraction of the image is covered (PAIR: 1). */
  areaThreshold: number;
  /** Integrated-gradients path points and batch. */
  steps: number;
  batch: number;
}

export const DEFAULT_XRAI: XraiOptions = {
  scales: [50, 100, 150, 250, 500, 1200],
  sigma: 0.8,
  minSegment: 150,
  segmentationSize: 224,
  dilation: 5,
  minPixelDiff: 50,
  areaThreshold: 1,
  steps: DEFAULT_IG.steps,
  batch: DEFAULT_IG.batch,
};

/** One ranked region: the pixels it added (flat indices) and its attribution density. */
export interface XraiRegion {
  pixels: Int32Array;
  gain: number;
}

export interface XraiResult {
  /** Per pixel [size, size]: the density of the region that covered it. */
  saliency: Float32Array;
  /** Regions in the order they were added (highest density first). */
  regions: XraiRegion[];
  /** The IG attribution it was built from, max over channels [size, size]. */
  attribution: Float32Array;
  /** Plain integrated gradients from the black baseline, summed over channels [size, size]. */
  igBlack: Float32Array;
  size: number;
}

/**
 * Segments of a unit-range RGB image [size, size, 3] as pixel lists at the image's size,
 * dilated: every scale's segments, in order.
 */
export function xraiSegments(image: Float32Array, size: number, options: Partial<XraiOptions> = {}): Int32Array[] {
  const o = { ...DEFAULT_XRAI, ...options };
  // Rescale to [−1, 1] by the image's own range (PAIR's _normalize_image), then resize.
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of image) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const range = hi - lo || 1;
  const scaled = Float64Array.from(image, (v) => ((v - lo) / range) * 2 - 1);
  const segSize = o.segmentationSize > 0 ? o.segmentationSize : size;
  const input = segSize === size ? scaled : resizeBilinear(scaled, size, size, 3, segSize, segSize);
  const footprint = diskOffsets(o.dilation);
  const scratch = new Uint8Array(size * size);
  const masks: Int32Array[] = [];
  for (const scale of o.scales) {
    const seg = felzenszwalb(input, segSize, segSize, 3, { scale, sigma: o.sigma, minSize: o.minSegment });
    const labels = segSize === size ? seg.labels : resizeLabels(seg.labels, segSize, segSize, size, size);
    const members: number[][] = Array.from({ length: seg.count }, () => []);
    for (let p = 0; p < labels.length; p++) members[labels[p]!]!.push(p);
    for (const m of members) {
      if (m.length === 0) continue; // a segment lost in the resize
      const pixels = Int32Array.from(m);
      masks.push(o.dilation > 0 ? dilate(pixels, size, size, footprint, scratch) : pixels);
    }
  }
  return masks;
}

/** The greedy region ranking over an attribution map [size, size] and segments (pixel lists). */
export function rankRegions(attribution: Float32Array, segments: Int32Array[], size: number, options: Pick<XraiOptions, 'minPixelDiff' | 'areaThreshold'> = DEFAULT_XRAI): { saliency: Float32Array; regions: XraiRegion[] } {
  const n = size * size;
  check(attribution.length === n, 'rankRegions', () => `attribution must be ${size}×${size}, got ${attribution.length} values`);
  const covered = new Uint8Array(n);
  const saliency = new Float32Array(n).fill(-Infinity);
  const remaining = new Set(segments.keys());
  const regions: XraiRegion[] = [];
  let coveredCount = 0;
  while (coveredCount / n <= options.areaThreshold) {
    let best = -1;
    let bestGain = -Infinity;
    for (const key of [...remaining]) {
      const seg = segments[key]!;
      let added = 0;
      let sum = 0;
      for (let t = 0; t < seg.length; t++) {
        const p = seg[t]!;
        if (covered[p] === 0) {
          added++;
          sum += attribution[p]!;
        }
      }
      if (added < options.minPixelDiff) {
        remaining.delete(key);
        continue;
      }
      const gain = sum / added;
      if (gain > bestGain) {
        bestGain = gain;
        best = key;
      }
    }
    if (best < 0) break;
    const seg = segments[best]!;
    const added: number[] = [];
    for (let t = 0; t < seg.length; t++) {
      const p = seg[t]!;
      if (covered[p] === 0) {
        covered[p] = 1;
        added.push(p);
        saliency[p] = bestGain;
      }
    }
    coveredCount += added.length;
    regions.push({ pixels: Int32Array.from(added), gain: bestGain });
    remaining.delete(best);
  }
  // Pixels no segment covered get their own mean attribution (PAIR keeps the total that way).
  const rest: number[] = [];
  for (let p = 0; p < n; p++) if (covered[p] === 0) rest.push(p);
  if (rest.length > 0) {
    const mean = rest.reduce((s, p) => s + attribution[p]!, 0) / rest.length;
    for (const p of rest) saliency[p] = mean;
    regions.push({ pixels: Int32Array.from(rest), gain: mean });
  }
  return { saliency, regions };
}

/** XRAI of one unit-range image [size, size, 3] under a score function. */
export function xrai(tf: Tf, score: ScoreFunction, image: Float32Array, size: number, options: Partial<XraiOptions> = {}): XraiResult {
  const o = { ...DEFAULT_XRAI, ...options };
  const ig = { steps: o.steps, batch: o.batch };
  const black = integratedGradients(tf, score, image, size, 'black', ig);
  const white = integratedGradients(tf, score, image, size, 'white', ig);
  const attribution = new Float32Array(size * size);
  for (let p = 0; p < size * size; p++) {
    let m = -Infinity;
    for (let c = 0; c < 3; c++) m = Math.max(m, (black[p * 3 + c]! + white[p * 3 + c]!) / 2);
    attribution[p] = m;
  }
  const segments = xraiSegments(image, size, o);
  return { ...rankRegions(attribution, segments, size, o), attribution, igBlack: channelSum(black, size), size };
}

/** The top `fraction` of the image by XRAI saliency (the reference shows the top 30 %). */
export function topRegionMask(result: Pick<XraiResult, 'saliency'>, fraction: number): Uint8Array {
  const sorted = Float32Array.from(result.saliency).sort();
  const cut = sorted[Math.min(sorted.length - 1, Math.floor((1 - fraction) * sorted.length))]!;
  return Uint8Array.from(result.saliency, (v) => (v >= cut ? 1 : 0));
}
