/**
 * A tiny conv net with everything the GAN engine's graph needs from a backend, run on whichever
 * backend DERMAGAN_TF_BACKEND selects; prints one JSON line with its forward values, first-order
 * gradients and an R1-style second-order gradient. wasm-kernels.test.ts runs it on wasm and on
 * native TF (via runOnBackend) and compares.
 *
 * Inputs are deterministic (a fixed integer hash, not tfjs's RNG), so both runs see the same numbers.
 */
import type { Tensor, Tensor1D, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import { loadTf } from '../backend.ts';

const { tf, info } = await loadTf();

function values(shape: number[], salt: number, scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let h = Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(salt + 7, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    data[i] = (((h ^ (h >>> 12)) >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
  return tf.tensor(data, shape);
}

const x = values([2, 8, 8, 3], 1) as Tensor4D;
const w1 = tf.variable(values([3, 3, 3, 4], 2, 0.5) as Tensor4D, true, 'w1');
const w2 = tf.variable(values([3, 3, 4, 6], 3, 0.4) as Tensor4D, true, 'w2');
const fir = values([4, 4, 6, 1], 4, 0.3) as Tensor4D; // depthwise (FIR-like) filter
const w3 = tf.variable(values([2, 2, 5, 6], 5, 0.5) as Tensor4D, true, 'w3'); // transpose conv [h, w, out, in]
const head = values([2, 4, 4, 5], 6);
const pick = tf.tensor1d([0, 5, 5, 17, 3, 31, 8, 8], 'int32') as Tensor1D;

/** D(x): conv → lrelu → strided conv → depthwise FIR ↓2 → lrelu → transposed conv ↑2 → gather → score. */
function d(img: Tensor4D): Tensor {
  let h = tf.leakyRelu(tf.conv2d(img, w1 as unknown as Tensor4D, 1, 'same'), 0.2);
  h = tf.pad(h, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  h = tf.leakyRelu(tf.conv2d(h, w2 as unknown as Tensor4D, 1, 'valid'), 0.2); // [2, 8, 8, 6]
  h = tf.depthwiseConv2d(h, fir, 2, 'same'); // [2, 4, 4, 6]
  h = tf.leakyRelu(h, 0.2);
  let t = tf.conv2dTranspose(h, w3 as unknown as Tensor4D, [2, 8, 8, 5], 2, 'same'); // [2, 8, 8, 5]
  t = tf.mean(tf.reshape(t, [2, 4, 2, 4, 2, 5]), [2, 4]) as Tensor4D; // 2×2 box ↓2: [2, 4, 4, 5]
  const flat = tf.reshape(t, [32, 5]);
  const g = tf.gather(flat, pick); // gradient: UnsortedSegmentSum
  return tf.add(tf.sum(tf.mul(t, head)), tf.sum(tf.square(g)));
}

const vars = [w1, w2, w3] as Variable[];
const forward = d(x);
const { grads } = tf.variableGrads(() => d(x) as never, vars);
const dx = tf.grad((img: Tensor) => d(img as Tensor4D))(x);
// R1-style: ∇_w ‖∇_x D(x)‖²
const { grads: r1 } = tf.variableGrads(() => {
  const g = tf.grad((img: Tensor) => d(img as Tensor4D))(x);
  return tf.sum(tf.square(g)) as never;
}, vars);

const arr = (t: Tensor) => Array.from(t.dataSync());
process.stdout.write(
  JSON.stringify({
    backend: info.name,
    fallback: info.fallback,
    forward: arr(forward),
    dx: arr(dx),
    grads: Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, arr(v)])),
    r1: Object.fromEntries(Object.entries(r1).map(([k, v]) => [k, arr(v)])),
  }) + '\n',
);
