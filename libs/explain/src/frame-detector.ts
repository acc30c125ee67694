/**
 * Is a dermoscope's frame in the picture? Contact dermoscopes image a disc: outside it the
 * picture is near black, so a framed image has dark corners while its centre is skin. The rule,
 * fixed before looking at the labelled validation set (fixtures/frames):
 *   - luminance (ITU-R 601) of the image resized to 64×64;
 *   - reference brightness = median luminance of the central disc (radius 0.35 × side);
 *   - a corner is dark when at least half of its pixels beyond radius 0.6 × side from the centre
 *     are darker than 0.45 × the reference;
 *   - a frame is present when at least two corners are dark — unless two adjacent dark corners
 *     have a dark edge midpoint between them while the other corners are not both dark: that is a
 *     dark half-plane (background beside the skin, non-contact photographs), not a lens disc,
 *     whose edge stays inside the picture between two dark corners.
 * A lesion reaching into one corner, or mild vignetting, does not make a frame. The midpoint
 * test was added after measuring the first rule on the labelled set (fixtures/frames/README.md).
 */
import sharp from 'sharp';
import { check } from './errors.ts';

export interface FrameDetectorOptions {
  /** Side the image is resized to. */
  size: number;
  /** Central disc radius, as a fraction of the side. */
  centreRadius: number;
  /** Corner pixels are those beyond this radius (fraction of the side). */
  cornerRadius: number;
  /** A pixel is dark below this fraction of the centre's median luminance. */
  darkRatio: number;
  /** A corner is dark when this share of its pixels is dark. */
  cornerShare: number;
  /** Dark corners needed for a frame. */
  minCorners: number;
  /** Edge-midpoint boxes: half-length along the edge and depth, as fractions of the side. */
  midpointHalf: number;
  midpointDepth: number;
}

export const DEFAULT_FRAME_DETECTOR: FrameDetectorOptions = { size: 64, centreRadius: 0.35, cornerRadius: 0.6, darkRatio: 0.45, cornerShare: 0.5, minCorners: 2, midpointHalf: 0.1, midpointDepth: 0.06 };

export interface FrameVerdict {
  frame: boolean;
  /** Share of dark pixels per corner: top-left, top-right, bottom-left, bottom-right. */
  corners: [number, number, number, number];
  /** Dark corners (share ≥ cornerShare). */
  darkCorners: number;
}

/** Frame verdict for one RGB image (uint8 [side, side, 3]). */
export async function detectFrame(pixels: Uint8Array, side: number, options: Partial<FrameDetectorOptions> = {}): Promise<FrameVerdict> {
  const o = { ...DEFAULT_FRAME_DETECTOR, ...options };
  check(pixels.length === side * side * 3, 'detectFrame', () => `expected ${side}×${side}×3 = ${side * side * 3} bytes, got ${pixels.length}`);
  const s = o.size;
  const small = side === s ? pixels : new Uint8Array(await sharp(pixels, { raw: { width: side, height: side, channels: 3 } }).resize(s, s, { kernel: 'linear' }).raw().toBuffer());
  const luma = new Float64Array(s * s);
  for (let p = 0; p < s * s; p++) luma[p] = 0.299 * small[p * 3]! + 0.587 * small[p * 3 + 1]! + 0.114 * small[p * 3 + 2]!;
  const c = (s - 1) / 2;
  const centre: number[] = [];
  const dark = [0, 0, 0, 0];
  const total = [0, 0, 0, 0];
  const cornerPixels: Array<[number, number]> = [];
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const r = Math.hypot(y - c, x - c) / s;
      if (r <= o.centreRadius) centre.push(luma[y * s + x]!);
      if (r > o.cornerRadius) cornerPixels.push([y * s + x, (y > c ? 2 : 0) + (x > c ? 1 : 0)]);
    }
  }
  centre.sort((a, b) => a - b);
  const reference = centre[Math.floor(centre.length / 2)]!;
  for (const [p, k] of cornerPixels) {
    total[k]!++;
    if (luma[p]! < o.darkRatio * reference) dark[k]!++;
  }
  const corners = dark.map((d, k) => d / total[k]!) as [number, number, number, number];
  const isDark = corners.map((v) => v >= o.cornerShare);
  const darkCorners = isDark.filter(Boolean).length;
  // Edge midpoints: top, right, bottom, left, with the corner pairs they lie between.
  const half = Math.max(1, Math.round(o.midpointHalf * s));
  const depth = Math.max(1, Math.round(o.midpointDepth * s));
  const mid = Math.floor(s / 2);
  const midpointDark = (y0: number, y1: number, x0: number, x1: number) => {
    let d = 0;
    let t = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++, t++) if (luma[y * s + x]! < o.darkRatio * reference) d++;
    return d / t >= o.cornerShare;
  };
  const edges: Array<[number, number, boolean]> = [
    [0, 1, midpointDark(0, depth, mid - half, mid + half)],
    [1, 3, midpointDark(mid - half, mid + half, s - depth, s)],
    [2, 3, midpointDark(s - depth, s, mid - half, mid + half)],
    [0, 2, midpointDark(mid - half, mid + half, 0, depth)],
  ];
  const halfPlane = darkCorners < 4 && edges.some(([a, b, darkMid]) => isDark[a] && isDark[b] && darkMid);
  return { frame: darkCorners >= o.minCorners && !halfPlane, corners, darkCorners };
}

/** Verdicts for a batch (uint8 [n, side, side, 3]). */
export async function detectFrames(pixels: Uint8Array, n: number, side: number, options: Partial<FrameDetectorOptions> = {}): Promise<FrameVerdict[]> {
  const per = side * side * 3;
  check(pixels.length === n * per, 'detectFrames', () => `expected ${n} images of ${side}×${side}×3, got ${pixels.length} bytes`);
  const out: FrameVerdict[] = [];
  for (let i = 0; i < n; i++) out.push(await detectFrame(pixels.subarray(i * per, (i + 1) * per), side, options));
  return out;
}
