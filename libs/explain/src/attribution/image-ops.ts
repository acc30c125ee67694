/**
 * The small image operations XRAI needs, on row-major float arrays: bilinear resize of an
 * [H, W, C] image (half-pixel centres, as tf.image.resizeBilinear with halfPixelCenters),
 * nearest-neighbour resize of a label map, and binary dilation of a pixel list by a disk.
 */

/** Bilinear resize [h, w, c] → [H, W, c]. */
export function resizeBilinear(image: Float64Array, h: number, w: number, c: number, H: number, W: number): Float64Array {
  const out = new Float64Array(H * W * c);
  const sy = h / H;
  const sx = w / W;
  for (let y = 0; y < H; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const ty = fy - y0;
    for (let x = 0; x < W; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const tx = fx - x0;
      for (let k = 0; k < c; k++) {
        const a = image[(y0 * w + x0) * c + k]!;
        const b = image[(y0 * w + x1) * c + k]!;
        const d = image[(y1 * w + x0) * c + k]!;
        const e = image[(y1 * w + x1) * c + k]!;
        out[(y * W + x) * c + k] = (a * (1 - tx) + b * tx) * (1 - ty) + (d * (1 - tx) + e * tx) * ty;
      }
    }
  }
  return out;
}

/** Nearest-neighbour resize of a label map [h, w] → [H, W] (half-pixel centres). */
export function resizeLabels(labels: Int32Array, h: number, w: number, H: number, W: number): Int32Array {
  const out = new Int32Array(H * W);
  for (let y = 0; y < H; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / H));
    for (let x = 0; x < W; x++) out[y * W + x] = labels[sy * w + Math.min(w - 1, Math.floor(((x + 0.5) * w) / W))]!;
  }
  return out;
}

/** Offsets of a disk of radius r (x² + y² ≤ r², scikit-image's `disk(r)`). */
export function diskOffsets(r: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r) out.push([dy, dx]);
  return out;
}

/** Dilate a set of pixels (flat indices into [h, w]) by a footprint; returns sorted flat indices. */
export function dilate(pixels: Int32Array, h: number, w: number, footprint: Array<[number, number]>, scratch: Uint8Array): Int32Array {
  const touched: number[] = [];
  for (let t = 0; t < pixels.length; t++) {
    const p = pixels[t]!;
    const y = Math.floor(p / w);
    const x = p - y * w;
    for (const [dy, dx] of footprint) {
      const yy = y + dy;
      const xx = x + dx;
      if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
      const q = yy * w + xx;
      if (scratch[q] === 0) {
        scratch[q] = 1;
        touched.push(q);
      }
    }
  }
  for (const q of touched) scratch[q] = 0;
  return Int32Array.from(touched).sort();
}
