export * from './backend.ts';
export { registerZeroGradients, ZERO_GRADIENT_KERNELS } from './zero-gradients.ts';
export { registerDepthwiseInputGradient } from './depthwise-gradients.ts';
export { registerSecondOrderGradients, mirrorPadGradient } from './second-order-gradients.ts';
export {
  registerWasmGradientKernels,
  conv2dBackpropFilter,
  depthwiseConv2dBackpropFilter,
  depthwiseConv2dBackpropInput,
  unsortedSegmentSum,
} from './wasm-kernels.ts';
export { runOnBackend, BackendRunError, type BackendRun, type RunOptions } from './run-on-backend.ts';
export { readModelFiles, modelFilesHandler, ModelFileError, type ModelFiles } from './model-files.ts';
