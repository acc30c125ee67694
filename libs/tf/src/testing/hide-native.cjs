// Preload for tests (node --require): makes '@tensorflow/tfjs-node' unresolvable, as on a machine
// where native TensorFlow was never provisioned, so that loadTf() must take the wasm fallback.
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === '@tensorflow/tfjs-node') {
    const err = new Error("Cannot find module '@tensorflow/tfjs-node' (hidden by libs/tf/src/testing/hide-native.cjs)");
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};
