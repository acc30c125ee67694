/** Type-only names for tfjs tensors, shared by the engine (the instance itself comes from `loadTf()`). */
export type { Tf } from '@dermagan/tf';
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Scalar, Variable, Rank } from '@tensorflow/tfjs-core';
