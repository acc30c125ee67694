"""Convert Keras EfficientNetB2 ImageNet weights (HDF5) into weights dermagan loads by name.

Input: the weight file Keras publishes for `keras.applications.EfficientNetB2`
(`efficientnetb2_notop.h5` or `efficientnetb2.h5`, Keras 2 HDF5 layout: root attribute
`layer_names`, one group per layer with attribute `weight_names`), or a whole-model `.h5`
(the same layout under `model_weights`). Keras' download host is not reachable from dermagan's
build machines and no PyPI package ships these weights inside it, so fetch the file wherever it
can be had and run this script there.

Output: OUT/model.json (a tfjs `weightsManifest`, no topology) and OUT/weights.bin, float32,
weight names as tfjs names them (`stem_conv/kernel`, `block2a_dwconv/depthwise_kernel`,
`top_bn/moving_variance`, ...). `dermagan classifier train --arch efficientnet-b2
--weights file://OUT/model.json` then loads every backbone weight by name (its layers carry
Keras' names) and initialises the study's head (1408->500->1) fresh. Keras' Rescaling /
Normalization layers and the 1000-class `predictions` layer have no place in dermagan's model
and are reported as unused; dermagan normalises inputs with ImageNet mean/std on [0, 1] pixels,
which is what these weights expect.

Needs numpy and h5py (`pip install --user numpy h5py`); never needed at run time.

  python3 scripts/convert-efficientnet-b2.py efficientnetb2_notop.h5 OUT_DIR
"""
import json
import os
import sys

import h5py
import numpy as np


def layer_weights(f):
    """(name, array) for every weight, in the file's layer order."""
    root = f["model_weights"] if "model_weights" in f else f
    names = [n.decode() if isinstance(n, bytes) else n for n in root.attrs["layer_names"]]
    for layer in names:
        group = root[layer]
        for w in group.attrs.get("weight_names", []):
            w = w.decode() if isinstance(w, bytes) else w
            yield w, np.asarray(group[w], dtype=np.float32)


def tfjs_name(keras_name):
    # 'stem_conv/kernel:0' -> 'stem_conv/kernel'; nested names keep their last two parts.
    base = keras_name[:-2] if keras_name.endswith(":0") else keras_name
    parts = base.split("/")
    return "/".join(parts[-2:])


def main(src, out):
    os.makedirs(out, exist_ok=True)
    specs = []
    with h5py.File(src, "r") as f, open(os.path.join(out, "weights.bin"), "wb") as bin_file:
        for name, array in layer_weights(f):
            specs.append({"name": tfjs_name(name), "shape": list(array.shape), "dtype": "float32"})
            bin_file.write(np.ascontiguousarray(array, dtype="<f4").tobytes())
    manifest = {
        "format": "dermagan-weights",
        "generatedBy": "scripts/convert-efficientnet-b2.py",
        "source": os.path.basename(src),
        "weightsManifest": [{"paths": ["weights.bin"], "weights": specs}],
    }
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(manifest, f)
    print(f"wrote {len(specs)} weights to {out}/model.json + weights.bin")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: convert-efficientnet-b2.py KERAS_WEIGHTS.h5 OUT_DIR")
    main(sys.argv[1], sys.argv[2])
