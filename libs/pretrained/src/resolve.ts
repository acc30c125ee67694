/**
 * A model by id → its converted weights, checked against the catalogue's pinned hash. Missing or
 * damaged weights give a {@link PretrainedError} whose fix is `npm run setup`; loaded weights are
 * shared within a process (one read and one hash per model).
 */
import { dermaganCache, modelDir } from './cache.ts';
import { CATALOGUE, isPretrainedId, PRETRAINED_IDS, type PretrainedId } from './catalogue.ts';
import { PretrainedError, SETUP_FIX } from './errors.ts';
import { readWeights, type PretrainedWeights } from './weights-format.ts';

export interface LoadPretrainedOptions {
  /** Cache root (default `${DERMAGAN_CACHE:-~/.cache/dermagan}`). */
  cache?: string;
}

const loaded = new Map<string, Promise<PretrainedWeights>>();

async function load(id: PretrainedId, cache: string): Promise<PretrainedWeights> {
  const source = CATALOGUE[id];
  const dir = modelDir(id, cache);
  const pkg = `${source.package.name}==${source.package.version}`;
  if (!source.converted.sha256) throw new PretrainedError('missing', `model ${id} has no pinned hash in the catalogue`, 'pin converted.sha256 in libs/pretrained/src/catalogue.ts');
  try {
    return await readWeights(dir, source.converted.sha256);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PretrainedError('missing', `model ${id} is not provisioned (no converted weights in ${dir}; they come from ${pkg})`, SETUP_FIX, { cause: err });
    throw new PretrainedError('corrupt', `model ${id} in ${dir} is damaged (${(err as Error).message})`, SETUP_FIX, { cause: err });
  }
}

/** The converted weights of a catalogue model. */
export function loadPretrained(id: string, options: LoadPretrainedOptions = {}): Promise<PretrainedWeights> {
  if (!isPretrainedId(id)) {
    return Promise.reject(new PretrainedError('unknown-model', `unknown pretrained model "${id}"`, `use one of ${PRETRAINED_IDS.join(', ')}`));
  }
  const cache = options.cache ?? dermaganCache();
  const key = `${cache}\0${id}`;
  let p = loaded.get(key);
  if (!p) {
    p = load(id, cache);
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}
