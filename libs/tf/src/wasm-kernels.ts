/**
 * Kernels the wasm backend of tfjs 4.22 lacks for training, registered as our own (NATIVE-TF.md):
 *
 * - `Conv2DBackpropFilter` (the weight gradient of every conv2d): one matMul per filter tap,
 *   xᵀ·dy over the strided window of the padded input (an im2col that never materialises the
 *   whole column matrix);
 * - `DepthwiseConv2dNativeBackpropFilter` and `DepthwiseConv2dNativeBackpropInput` (the gradients
 *   of depthwise convolution, e.g. FIR filters): per tap, a product and a reduction, or a strided
 *   scatter built from pad/reshape;
 * - `UnsortedSegmentSum` (the gradient of `gather`, used by the augment pipe's resampling): a
 *   ScatterNd that sums duplicate indices; negative segment ids are dropped, as TF does.
 *
 * Each kernel is written with public tfjs ops, which dispatch to the wasm kernels that exist
 * (inside a kernel the gradient tape is off, so nothing is recorded twice). NHWC only; dilations
 * are supported where tfjs's own gradients pass them. Registered once per process.
 */
import type { Tensor, Tensor1D, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from './backend.ts';

type Pad = 'valid' | 'same' | number | number[][];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface ConvWindow {
  /** Zero padding of the input: top, bottom, left, right. */
  top: number;
  bottom: number;
  left: number;
  right: number;
  outHeight: number;
  outWidth: number;
}

/** Output size and padding of a conv of `xShape` with a [kh, kw] window (tfjs's own rules). */
function convWindow(
  tf: Tf,
  xShape: number[],
  filterShape: number[],
  strides: [number, number],
  dilations: [number, number],
  pad: Pad,
  rounding: Rounding,
  depthwise: boolean,
): ConvWindow {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad as 'valid',
    rounding,
    depthwise,
    'channelsLast',
  );
  return { ...info.padInfo, outHeight: info.outHeight, outWidth: info.outWidth };
}

function assertNhwc(kernel: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} (dermagan wasm kernel): only NHWC is supported, got dataFormat ${String(dataFormat)}`);
  }
}

const pair = (v: number | [number, number] | undefined): [number, number] =>
  v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : v;

/** The [N, OH, OW, C] window of the padded input that filter tap (kh, kw) sees. */
function tapWindow(tf: Tf, xp: Tensor4D, kh: number, kw: number, w: ConvWindow, s: [number, number], d: [number, number]): Tensor4D {
  const [n, , , c] = xp.shape;
  const h0 = kh * d[0];
  const w0 = kw * d[1];
  return tf.stridedSlice(xp, [0, h0, w0, 0], [n, h0 + (w.outHeight - 1) * s[0] + 1, w0 + (w.outWidth - 1) * s[1] + 1, c], [1, s[0], s[1], 1]) as Tensor4D;
}

function padInput(tf: Tf, x: Tensor4D, w: ConvWindow): Tensor4D {
  if (w.top === 0 && w.bottom === 0 && w.left === 0 && w.right === 0) return x;
  return tf.pad(x, [[0, 0], [w.top, w.bottom], [w.left, w.right], [0, 0]]);
}

/** A filter gradient assembled tap by tap: `tap(i, j)` is its [in, out] slice at kernel position (i, j). */
function stackTaps(tf: Tf, filterShape: [number, number, number, number], tap: (i: number, j: number) => Tensor): Tensor4D {
  const [kh, kw] = filterShape;
  const taps: Tensor[] = [];
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push(tap(i, j));
  return tf.reshape(tf.stack(taps), filterShape) as Tensor4D;
}

/** dW[kh, kw, ci, co] = Σ_{n, oh, ow} x_pad[n, oh·s + kh·d, ow·s + kw·d, ci] · dy[n, oh, ow, co]. */
export function conv2dBackpropFilter(
  tf: Tf,
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number],
  pad: Pad,
  rounding: Rounding,
  dilations: [number, number] = [1, 1],
): Tensor4D {
  return tf.tidy(() => {
    const [, , ci, co] = filterShape;
    const win = convWindow(tf, x.shape, filterShape, strides, dilations, pad, rounding, false);
    const xp = padInput(tf, x, win);
    const dyFlat = tf.reshape(dy, [-1, co]) as Tensor2D;
    return stackTaps(tf, filterShape, (i, j) => {
      const cols = tf.reshape(tapWindow(tf, xp, i, j, win, strides, dilations), [-1, ci]) as Tensor2D;
      return tf.matMul(cols, dyFlat, true, false);
    });
  });
}

/** dF[kh, kw, c, m] = Σ_{n, oh, ow} x_pad[n, oh·s + kh·d, ow·s + kw·d, c] · dy[n, oh, ow, c·M + m]. */
export function depthwiseConv2dBackpropFilter(
  tf: Tf,
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number],
  pad: Pad,
  rounding: Rounding,
  dilations: [number, number] = [1, 1],
): Tensor4D {
  return tf.tidy(() => {
    const [, , c, m] = filterShape;
    const win = convWindow(tf, x.shape, filterShape, strides, dilations, pad, rounding, true);
    const xp = padInput(tf, x, win);
    const [n] = x.shape;
    const dy5 = tf.reshape(dy, [n, win.outHeight, win.outWidth, c, m]);
    return stackTaps(tf, filterShape, (i, j) => {
      const cols = tf.expandDims(tapWindow(tf, xp, i, j, win, strides, dilations), 4);
      return tf.sum(tf.mul(cols, dy5), [0, 1, 2]);
    });
  });
}

/**
 * dx[n, ih, iw, c] = Σ_{kh, kw, m} dy[n, oh, ow, c·M + m] · f[kh, kw, c, m] where
 * ih = oh·s + kh·d − top (and likewise for w): per tap, a stride-s zero insertion placed at the
 * tap's offset in the padded frame, summed, then cropped to the input.
 */
export function depthwiseConv2dBackpropInput(
  tf: Tf,
  inputShape: [number, number, number, number],
  dy: Tensor4D,
  filter: Tensor4D,
  strides: [number, number],
  pad: Pad,
  rounding: Rounding,
  dilations: [number, number] = [1, 1],
): Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = inputShape;
    const [kh, kw, , m] = filter.shape;
    const win = convWindow(tf, inputShape, filter.shape, strides, dilations, pad, rounding, true);
    const hp = h + win.top + win.bottom;
    const wp = w + win.left + win.right;
    const [oh, ow] = [win.outHeight, win.outWidth];
    const dy5 = tf.reshape(dy, [n, oh, ow, c, m]);
    const parts: Tensor4D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const fTap = tf.reshape(tf.slice(filter, [i, j, 0, 0], [1, 1, c, m]), [c, m]);
        let t = tf.sum(tf.mul(dy5, fTap), 4) as Tensor4D; // [n, oh, ow, c]
        if (strides[0] > 1 || strides[1] > 1) {
          // Zero insertion: value at oh·s, zeros in between.
          const t6 = tf.reshape(t, [n, oh, 1, ow, 1, c]);
          t = tf.reshape(tf.pad(t6, [[0, 0], [0, 0], [0, strides[0] - 1], [0, 0], [0, strides[1] - 1], [0, 0]]), [n, oh * strides[0], ow * strides[1], c]);
        }
        // Place at the tap's offset inside the padded frame [hp, wp].
        const h0 = i * dilations[0];
        const w0 = j * dilations[1];
        const th = t.shape[1];
        const tw = t.shape[2];
        const placed = tf.pad(t, [[0, 0], [h0, Math.max(0, hp - h0 - th)], [w0, Math.max(0, wp - w0 - tw)], [0, 0]]);
        parts.push(tf.slice(placed, [0, 0, 0, 0], [n, hp, wp, c]));
      }
    }
    const full = parts.length === 1 ? parts[0]! : tf.addN(parts);
    return tf.slice(full, [0, win.top, win.left, 0], [n, h, w, c]);
  });
}

/** out[s, …] = Σ_{i : ids[i] = s} x[i, …] for 0 ≤ s < numSegments; negative ids are dropped. */
export function unsortedSegmentSum(tf: Tf, x: Tensor, segmentIds: Tensor1D, numSegments: number): Tensor {
  return tf.tidy(() => {
    // segmentIds covers the leading segmentIds.rank dimensions of x.
    const ids = tf.reshape(segmentIds, [-1]);
    const inner = x.shape.slice(segmentIds.rank);
    const rows = tf.reshape(x, [ids.shape[0]!, ...inner]);
    // Negative ids go to an extra segment that is cut off at the end.
    const target = tf.where(tf.less(ids, 0), tf.fill(ids.shape, numSegments, 'int32'), ids);
    const summed = tf.scatterND(tf.reshape(target, [-1, 1]), rows, [numSegments + 1, ...inner]);
    return tf.slice(summed, 0, numSegments);
  });
}

interface KernelArgs {
  inputs: Record<string, Tensor>;
  attrs?: Record<string, unknown>;
}

let registered = false;

/** Register the kernels above for the 'wasm' backend (idempotent; call before training on wasm). */
export function registerWasmGradientKernels(tf: Tf): void {
  if (registered) return;
  registered = true;
  const reg = (kernelName: string, fn: (a: KernelArgs) => Tensor): void => {
    if (tf.getKernel(kernelName, 'wasm') != null) return; // a later tfjs may ship its own
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: fn as never });
  };
  /** The attributes tfjs passes to these kernels (kernel_names.ts: *Attrs). */
  interface Attrs {
    strides: number | [number, number];
    dilations?: number | [number, number];
    pad: Pad;
    dimRoundingMode?: Rounding;
    dataFormat?: string;
    filterShape: [number, number, number, number];
    inputShape: [number, number, number, number];
    numSegments: number;
  }
  const a = (args: KernelArgs) => (args.attrs ?? {}) as unknown as Attrs;

  reg('Conv2DBackpropFilter', (args) => {
    const at = a(args);
    assertNhwc('Conv2DBackpropFilter', at.dataFormat);
    return conv2dBackpropFilter(tf, args.inputs.x as Tensor4D, args.inputs.dy as Tensor4D, at.filterShape, pair(at.strides), at.pad, at.dimRoundingMode, pair(at.dilations));
  });
  reg('DepthwiseConv2dNativeBackpropFilter', (args) => {
    const at = a(args);
    return depthwiseConv2dBackpropFilter(tf, args.inputs.x as Tensor4D, args.inputs.dy as Tensor4D, at.filterShape, pair(at.strides), at.pad, at.dimRoundingMode, pair(at.dilations));
  });
  reg('DepthwiseConv2dNativeBackpropInput', (args) => {
    const at = a(args);
    return depthwiseConv2dBackpropInput(tf, at.inputShape, args.inputs.dy as Tensor4D, args.inputs.filter as Tensor4D, pair(at.strides), at.pad, at.dimRoundingMode, pair(at.dilations));
  });
  reg('UnsortedSegmentSum', (args) => {
    const at = a(args);
    return unsortedSegmentSum(tf, args.inputs.x!, args.inputs.segmentIds as Tensor1D, at.numSegments);
  });
}
