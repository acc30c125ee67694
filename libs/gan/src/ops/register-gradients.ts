/**
 * Gradients tfjs 4.22 lacks but StyleGAN2's second-order terms (R1, path length) need
 * (NATIVE-TF.md): zero gradients for the comparison / logical ops that leaky ReLU's and clamp's
 * gradients use, and the gradient of `DepthwiseConv2dNativeBackpropInput` (the FIR filter's
 * gradient). They live in @dermagan/tf, which `loadTf()` registers on every backend; the engine
 * calls this too so that a tfjs instance obtained some other way (a test, a host application)
 * trains the same. Idempotent.
 */
import { registerDepthwiseInputGradient, registerSecondOrderGradients, registerZeroGradients } from '@dermagan/tf';
import type { Tf } from '../tf-types.ts';

export function registerEngineGradients(tf: Tf): void {
  registerZeroGradients(tf);
  registerDepthwiseInputGradient(tf);
  registerSecondOrderGradients(tf);
}
