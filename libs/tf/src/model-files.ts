/**
 * A tfjs model's files (model.json and the weight files its `weightsManifest` names) read from a
 * `file://` URL, a plain path or an `http(s)://` URL, every weight path confined to model.json's
 * folder. tfjs' own file and HTTP handlers join those paths as they come, so a model.json naming
 * `../../secret.bin` would have it read; here such a path is an UnsafePathError before anything
 * is fetched. The sha256 over model.json and then every weight file, in manifest order, names
 * the model in provenance.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { io } from '@tensorflow/tfjs-core';
import { safeJoin, safeResolveUrl } from '@dermagan/safe-io';

/** A model that cannot be read: `retriable` when a server may answer later (network, HTTP 5xx). */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  constructor(
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ModelFiles {
  /** What tfjs loads (`tf.io.fromMemory(artifacts)`, or through `modelFilesHandler`). */
  artifacts: io.ModelArtifacts;
  /** sha256 of model.json followed by every weight file in manifest order. */
  sha256: string;
}

const isHttp = (uri: string) => /^https?:\/\//.test(uri);

async function readUri(uri: string): Promise<Buffer> {
  if (isHttp(uri)) {
    let res: Response;
    try {
      res = await fetch(uri);
    } catch (err) {
      throw new ModelFileError(`cannot fetch ${uri}: ${(err as Error).message}`, true, { cause: err });
    }
    if (!res.ok) throw new ModelFileError(`cannot fetch ${uri}: HTTP ${res.status}`, res.status >= 500);
    return Buffer.from(await res.arrayBuffer());
  }
  if (uri.startsWith('s3://')) {
    throw new ModelFileError(
      `s3:// model URIs need @dermagan/store's storeFromUrl, which this build does not have yet; ` +
        `copy the model folder locally and pass file:///path/to/model.json`,
      false,
    );
  }
  const path = uri.startsWith('file://') ? fileURLToPath(uri) : uri;
  try {
    return await readFile(path);
  } catch (err) {
    throw new ModelFileError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, false, { cause: err });
  }
}

/** A weight path named in model.json, as a URI or path inside model.json's folder. */
function weightUri(modelUri: string, path: string): string {
  const what = `${modelUri} weightsManifest`;
  if (isHttp(modelUri)) return safeResolveUrl(modelUri, path, what);
  if (modelUri.startsWith('file://')) return pathToFileURL(safeJoin(dirname(fileURLToPath(modelUri)), path, what)).toString();
  return safeJoin(dirname(modelUri), path, what);
}

/** ModelArtifacts fields copied from model.json as they are. */
const COPIED = ['format', 'generatedBy', 'convertedBy', 'trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const;

/** Read model.json at `uri` and its weight files (paths checked before any is read). */
export async function readModelFiles(uri: string): Promise<ModelFiles> {
  const jsonBytes = await readUri(uri);
  let json: io.ModelJSON;
  try {
    json = JSON.parse(jsonBytes.toString('utf8')) as io.ModelJSON;
  } catch (err) {
    throw new ModelFileError(`${uri} is not a tfjs model.json (${(err as Error).message})`, false, { cause: err });
  }
  if (json === null || typeof json !== 'object' || json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
    throw new ModelFileError(`${uri} is not a tfjs model.json (needs modelTopology and weightsManifest)`, false);
  }
  const groups = json.weightsManifest;
  const uris = groups.flatMap((group) => (Array.isArray(group?.paths) ? group.paths : []).map((p) => weightUri(uri, p)));
  const hash = createHash('sha256').update(jsonBytes);
  const parts: Buffer[] = [];
  for (const u of uris) {
    const bytes = await readUri(u);
    hash.update(bytes);
    parts.push(bytes);
  }
  const all = Buffer.concat(parts);
  const artifacts: io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: groups.flatMap((group) => group.weights ?? []),
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer,
  };
  for (const field of COPIED) {
    if (json[field] !== undefined) (artifacts as unknown as Record<string, unknown>)[field] = json[field];
  }
  return { artifacts, sha256: hash.digest('hex') };
}

/** An IOHandler for `tf.loadLayersModel` / `tf.loadGraphModel` that reads through readModelFiles. */
export function modelFilesHandler(uri: string): io.IOHandler {
  return { load: async () => (await readModelFiles(uri)).artifacts };
}
