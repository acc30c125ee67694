import type { io } from '@tensorflow/tfjs-core';
import type { ArtifactRef } from '@dermagan/contracts';
import { relativeSegments } from '@dermagan/safe-io';
import { IntegrityError } from './errors.ts';
import { sha256Hex } from './hashing.ts';
import { checkBucket, checkPrefix } from './keys.ts';
import type { ObjectStore } from './store.ts';

/** File names under the handler's prefix (the layout tfjs' own file and HTTP handlers use). */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** model.json as written here: tfjs' ModelJSON plus the sha256 of weights.bin. */
type StoredModelJSON = io.ModelJSON & {
  /** sha256 of the weights file this model.json was saved with (tfjs readers ignore the field). */
  weightsSha256?: string;
};

/**
 * A tfjs IOHandler that saves and loads a model through any ObjectStore:
 * `await model.save(storeIOHandler(store, 'runs', 'run-1/model/'))` and
 * `await tf.loadLayersModel(storeIOHandler(store, 'runs', 'run-1/model/'))`.
 *
 * Save writes `weights.bin` then `model.json` (its weightsManifest points at `./weights.bin` and it
 * records the weights' sha256); load reads them back verified by the store, and refuses a
 * weights.bin from another save (an interrupted or concurrent save) with IntegrityError instead of
 * loading mismatched weights. Only JSON topologies (layers and graph models) are supported.
 */
export class StoreIOHandler implements io.IOHandler {
  /** References of the files the last save() wrote (for the event that announces the model). */
  saved: { model: ArtifactRef; weights: ArtifactRef } | undefined;
  private readonly prefix: string;

  constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
    prefix: string,
  ) {
    checkBucket(bucket);
    checkPrefix(prefix);
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
    if (artifacts.modelTopology === undefined || artifacts.modelTopology instanceof ArrayBuffer) {
      throw new TypeError('storeIOHandler.save: only JSON model topologies are supported (layers or JSON graph models), got ' + (artifacts.modelTopology === undefined ? 'none' : 'a binary one'));
    }
    const weights = joinWeights(artifacts.weightData);
    const weightsRef = await this.store.put(this.bucket, this.prefix + WEIGHTS_BIN, weights);
    const modelJSON: StoredModelJSON = {
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
      weightsSha256: weightsRef.sha256,
    };
    for (const field of OPTIONAL_FIELDS) {
      if (artifacts[field] !== undefined) (modelJSON as unknown as Record<string, unknown>)[field] = artifacts[field];
    }
    const text = JSON.stringify(modelJSON);
    const modelRef = await this.store.put(this.bucket, this.prefix + MODEL_JSON, text, { contentType: 'application/json' });
    this.saved = { model: modelRef, weights: weightsRef };
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        modelTopologyBytes: Buffer.byteLength(JSON.stringify(artifacts.modelTopology)),
        weightSpecsBytes: artifacts.weightSpecs === undefined ? 0 : Buffer.byteLength(JSON.stringify(artifacts.weightSpecs)),
        weightDataBytes: weights.length,
      },
    };
  }

  async load(): Promise<io.ModelArtifacts> {
    const modelKey = this.prefix + MODEL_JSON;
    let modelJSON: StoredModelJSON;
    try {
      modelJSON = JSON.parse((await this.store.getBytes(this.bucket, modelKey)).toString('utf8')) as StoredModelJSON;
    } catch (err) {
      if (err instanceof SyntaxError) throw new IntegrityError(this.bucket, modelKey, null, 'unknown', `it is not valid JSON (${err.message})`);
      throw err;
    }
    if (modelJSON.modelTopology === undefined) {
      throw new TypeError(`storeIOHandler.load: ${this.bucket}/${modelKey} has no modelTopology; is it a tfjs model.json?`);
    }
    const artifacts: io.ModelArtifacts = { modelTopology: modelJSON.modelTopology };
    for (const field of OPTIONAL_FIELDS) {
      if (modelJSON[field] !== undefined) (artifacts as unknown as Record<string, unknown>)[field] = modelJSON[field];
    }
    const manifest = modelJSON.weightsManifest ?? [];
    if (manifest.length > 0) {
      const parts: Buffer[] = [];
      for (const group of manifest) {
        for (const path of group.paths) parts.push(await this.store.getBytes(this.bucket, this.resolve(path)));
      }
      const weights = Buffer.concat(parts);
      const actual = sha256Hex(weights);
      if (modelJSON.weightsSha256 !== undefined && modelJSON.weightsSha256 !== actual) {
        throw new IntegrityError(this.bucket, this.prefix + WEIGHTS_BIN, modelJSON.weightsSha256, actual, `the weights are not the ones ${MODEL_JSON} was saved with (a save was interrupted or is in progress); save the model again`);
      }
      artifacts.weightSpecs = manifest.flatMap((group) => group.weights);
      artifacts.weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
    }
    return artifacts;
  }

  // A weights path in model.json is relative to model.json's own prefix, and stays below it.
  private resolve(path: string): string {
    try {
      return this.prefix + relativeSegments(path, `${this.bucket}/${this.prefix}${MODEL_JSON}`).join('/');
    } catch (err) {
      throw new IntegrityError(this.bucket, this.prefix + MODEL_JSON, null, 'unknown', `its weights path "${path}" leaves the model's prefix (${(err as Error).message})`);
    }
  }
}

/** ModelArtifacts fields copied to and from model.json as they are. */
const OPTIONAL_FIELDS = ['format', 'generatedBy', 'convertedBy', 'trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const;

/** `new StoreIOHandler(store, bucket, prefix)`, named like tfjs' own `io.*` handler factories. */
export function storeIOHandler(store: ObjectStore, bucket: string, prefix: string): StoreIOHandler {
  return new StoreIOHandler(store, bucket, prefix);
}

/** tfjs weight data (one ArrayBuffer, or several since tfjs 4.10) as one Buffer. */
function joinWeights(data: io.WeightData | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  const parts = Array.isArray(data) ? data : [data];
  return Buffer.concat(parts.map((part) => Buffer.from(part)));
}
