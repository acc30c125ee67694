import type { Tf } from './backend.ts';

/**
 * Kernels the wasm backend lacks for training (see NATIVE-TF.md): Conv2DBackpropFilter, and zero
 * gradients for comparison ops (second-order gradients through leaky ReLU). Registered once.
 */
let registered = false;
export function registerWasmGradientKernels(tf: Tf): void {
  if (registered) return;
  registered = true;
  // Filled in by the engine work (libs/tf owner): see docs/CONVENTIONS.md.
  void tf;
}
