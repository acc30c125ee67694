/**
 * Separable Gaussian smoothing of an [H, W, C] float image over H and W only, as
 * scipy.ndimage.gaussian_filter(image, [σ, σ, 0], mode='reflect', truncate=4): kernel radius
 * ⌊4σ + 0.5⌋, weights exp(−x²/2σ²) normalised to sum 1, 'reflect' borders (d c b a | a b c d),
 * axis 0 then axis 1. Skimage's Felzenszwalb smooths with exactly this.
 */
export function gaussianFilter(image: Float64Array, height: number, width: number, channels: number, sigma: number): Float64Array {
  if (!(sigma > 0)) return Float64Array.from(image);
  const radius = Math.floor(4 * sigma + 0.5);
  const weights = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += weights[i + radius] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  for (let i = 0; i < weights.length; i++) weights[i]! /= sum;
  const reflect = (i: number, n: number): number => {
    if (n === 1) return 0;
    const period = 2 * n;
    let j = ((i % period) + period) % period;
    if (j >= n) j = period - 1 - j;
    return j;
  };
  // Reflected source index of every (position, tap), once per axis.
  const taps = 2 * radius + 1;
  const rowsAt = Int32Array.from({ length: height * taps }, (_, t) => reflect(Math.floor(t / taps) + (t % taps) - radius, height));
  const colsAt = Int32Array.from({ length: width * taps }, (_, t) => reflect(Math.floor(t / taps) + (t % taps) - radius, width));
  const tmp = new Float64Array(image.length);
  // Axis 0 (rows).
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let k = 0; k < taps; k++) s += weights[k]! * image[(rowsAt[y * taps + k]! * width + x) * channels + c]!;
        tmp[(y * width + x) * channels + c] = s;
      }
    }
  }
  const out = new Float64Array(image.length);
  // Axis 1 (columns).
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let k = 0; k < taps; k++) s += weights[k]! * tmp[(y * width + colsAt[x * taps + k]!) * channels + c]!;
        out[(y * width + x) * channels + c] = s;
      }
    }
  }
  return out;
}
