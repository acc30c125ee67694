/**
 * Choose and load the tfjs backend, once per process. The wiring does it (a service's main.ts
 * from its config, the CLI at its start) and hands the result to the handlers, like the bus and
 * the store: handlers never choose a backend themselves.
 *
 * Order: the given choice (a service's DERMAGAN_TF_BACKEND setting; the CLI's environment variable
 * of that name) — `tensorflow` = native CPU, `gpu` = @tensorflow/tfjs-node-gpu, `wasm` — otherwise
 * native TensorFlow (provisioned by scripts/install-native-tf.sh), and wasm only when native is
 * absent: said loudly in the log and recorded in every result's provenance.
 */
import { createRequire } from 'node:module';
import { registerDepthwiseInputGradient } from './depthwise-gradients.ts';
import { registerSecondOrderGradients } from './second-order-gradients.ts';
import { registerZeroGradients } from './zero-gradients.ts';

export type Tf = typeof import('@tensorflow/tfjs');
export type BackendName = 'tensorflow' | 'gpu' | 'wasm';

/** A loaded backend: the tfjs instance and what it is. Handlers get it from their wiring. */
export interface TfBackend {
  tf: Tf;
  info: BackendInfo;
}

export interface BackendInfo {
  /** What was loaded. */
  name: BackendName;
  /** True when this is the wasm fallback (every result should carry this). */
  fallback: boolean;
  /** Why the fallback was taken, when it was. */
  reason?: string;
  tfjsVersion: string;
  /** libtensorflow version for native backends. */
  tensorflowVersion?: string;
}

export class BackendError extends Error {
  override readonly name = 'BackendError';
}

const require = createRequire(import.meta.url);
let loaded: Promise<TfBackend> | undefined;

function quietNativeLogs(): void {
  // libtensorflow's C++ INFO lines (oneDNN, cpu_feature_guard) are noise on every start.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
}

async function loadNative(pkg: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu', name: BackendName) {
  quietNativeLogs();
  const tf = require(pkg) as Tf & { version: Record<string, string> };
  await tf.ready();
  if (tf.getBackend() !== 'tensorflow') throw new BackendError(`${pkg} loaded but the backend is ${tf.getBackend()}`);
  registerZeroGradients(tf);
  registerDepthwiseInputGradient(tf);
  registerSecondOrderGradients(tf);
  const backend = tf.backend() as unknown as { binding?: { TF_Version?: string } };
  const info: BackendInfo = {
    name,
    fallback: false,
    tfjsVersion: tf.version['tfjs-core'] ?? 'unknown',
  };
  if (backend.binding?.TF_Version) info.tensorflowVersion = backend.binding.TF_Version;
  return { tf: tf as Tf, info };
}

async function loadWasm(reason: string | undefined) {
  const tf = require('@tensorflow/tfjs') as Tf;
  require('@tensorflow/tfjs-backend-wasm');
  const { registerWasmGradientKernels } = await import('./wasm-kernels.ts');
  registerWasmGradientKernels(tf);
  registerZeroGradients(tf);
  registerDepthwiseInputGradient(tf);
  registerSecondOrderGradients(tf);
  if (!(await tf.setBackend('wasm'))) throw new BackendError('the wasm backend could not be initialised');
  await tf.ready();
  const info: BackendInfo = { name: 'wasm', fallback: reason !== undefined, tfjsVersion: tf.version_core };
  if (reason !== undefined) {
    info.reason = reason;
    const bar = '='.repeat(100);
    process.stderr.write(
      `\n${bar}\n[dermagan] WARNING: native TensorFlow is not available: ${reason}\n` +
        `[dermagan] FALLING BACK to the wasm backend (about 3x slower to train; conv weight gradients use dermagan's own kernels).\n` +
        `[dermagan] Every result made in this process records backend "wasm", fallback: true in its provenance.\n` +
        `[dermagan] To fix: run 'npm run setup' (provisions native TensorFlow), or set DERMAGAN_TF_BACKEND=wasm to choose wasm knowingly.\n${bar}\n\n`,
    );
  }
  return { tf, info };
}

async function choose(wanted: BackendName | undefined): Promise<TfBackend> {
  if (wanted !== undefined && !['tensorflow', 'gpu', 'wasm'].includes(wanted)) {
    throw new BackendError(`DERMAGAN_TF_BACKEND must be tensorflow, gpu or wasm, got "${wanted}"`);
  }
  if (wanted === 'gpu') {
    try {
      return await loadNative('@tensorflow/tfjs-node-gpu', 'gpu');
    } catch (err) {
      throw new BackendError(
        `DERMAGAN_TF_BACKEND=gpu but @tensorflow/tfjs-node-gpu does not load (${(err as Error).message}). ` +
          `Install it in the GPU image (npm install @tensorflow/tfjs-node-gpu) or unset DERMAGAN_TF_BACKEND.`,
      );
    }
  }
  if (wanted === 'wasm') return loadWasm(undefined);
  try {
    return await loadNative('@tensorflow/tfjs-node', 'tensorflow');
  } catch (err) {
    if (wanted === 'tensorflow') {
      throw new BackendError(`DERMAGAN_TF_BACKEND=tensorflow but native TensorFlow does not load: ${(err as Error).message}. Run 'npm run setup'.`);
    }
    return loadWasm((err as Error).message.split('\n')[0] ?? 'unknown error');
  }
}

/**
 * The tfjs instance on the chosen backend, and what was chosen. Loaded once per process (tfjs has
 * one global engine): asking for another backend afterwards throws.
 */
export async function loadTf(choice: BackendName | undefined = process.env.DERMAGAN_TF_BACKEND as BackendName | undefined): Promise<TfBackend> {
  loaded ??= choose(choice);
  const backend = await loaded;
  if (choice !== undefined && backend.info.name !== choice) {
    throw new BackendError(`loadTf: this process already runs the ${backend.info.name} backend (tfjs has one engine per process), not ${choice}`);
  }
  return backend;
}
