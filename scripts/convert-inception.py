"""
Convert Keras' ImageNet InceptionV3 (or VGG16) to the tfjs graph model that
@dermagan/metrics' model extractors load (libs/metrics/src/extractors/tf-model.ts).

The model contract: input float32 NHWC [n, S, S, 3] with pixel values in [0, 255] (S = 299 for
Inception, 224 for VGG16; dermagan resizes before the call), output [n, 2048] (Inception pool3 =
global average pool of the last mixed block) or [n, 4096] (VGG16 fc2). The network's own
preprocessing is built in (Inception: x / 127.5 − 1; VGG16: RGB→BGR minus the ImageNet means).

Where the weights come from: `--weights PATH.h5` (a Keras weights file you have), or
`--weights imagenet` (Keras downloads them from its own storage host, which must be reachable).
No package registry ships these weights (pytorch-fid and torch-fidelity fetch theirs from GitHub
releases at run time), so on a machine that reaches only registries, bring the .h5 yourself.

Note: Keras' InceptionV3 weights are *not* the 2015-12-05 TF graph that TTUR / NVlabs FID use;
scores from it are comparable with each other (the extractor hash says which weights), not with
published FIDs.

Usage (needs `pip install tensorflow tensorflowjs`):
  python3 scripts/convert-inception.py --out models/inception-v3-pool3 --weights inception_v3_weights.h5
  python3 scripts/convert-inception.py --model vgg16 --out models/vgg16-fc2 --weights vgg16_weights.h5
Then: dermagan metrics --extractor inception-v3-pool3 --model file://$PWD/models/inception-v3-pool3/model.json …
"""
import argparse
import os
import subprocess
import sys
import tempfile


def build(model_name, weights):
    import tensorflow as tf

    if model_name == "inception":
        size = 299
        inputs = tf.keras.Input((size, size, 3), dtype="float32")
        x = tf.keras.layers.Rescaling(1 / 127.5, offset=-1.0)(inputs)
        base = tf.keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None, input_shape=(size, size, 3))
        if weights == "imagenet":
            base = tf.keras.applications.InceptionV3(include_top=False, pooling="avg", weights="imagenet", input_shape=(size, size, 3))
        elif weights:
            base.load_weights(weights, by_name=True, skip_mismatch=False)
        outputs = base(x)
    else:
        size = 224
        inputs = tf.keras.Input((size, size, 3), dtype="float32")
        x = tf.keras.layers.Lambda(lambda t: t[..., ::-1] - tf.constant([103.939, 116.779, 123.68]))(inputs)
        base = tf.keras.applications.VGG16(include_top=True, weights=None)
        if weights == "imagenet":
            base = tf.keras.applications.VGG16(include_top=True, weights="imagenet")
        elif weights:
            base.load_weights(weights)
        fc2 = tf.keras.Model(base.input, base.get_layer("fc2").output)
        outputs = fc2(x)
    return tf.keras.Model(inputs, outputs), size


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["inception", "vgg16"], default="inception")
    parser.add_argument("--weights", required=True, help="Keras .h5 weights file, or 'imagenet' to let Keras download them")
    parser.add_argument("--out", required=True, help="output folder for model.json + weight shards")
    args = parser.parse_args()
    try:
        import tensorflow  # noqa: F401
        import tensorflowjs  # noqa: F401
    except ImportError as err:
        sys.exit(f"convert-inception: {err}; install with: pip install tensorflow tensorflowjs")
    if args.weights != "imagenet" and not os.path.exists(args.weights):
        sys.exit(f"convert-inception: weights file {args.weights} not found")
    model, size = build(args.model, args.weights)
    with tempfile.TemporaryDirectory() as tmp:
        saved = os.path.join(tmp, "saved_model")
        model.export(saved) if hasattr(model, "export") else model.save(saved)
        subprocess.run(
            [sys.executable, "-m", "tensorflowjs.converters.converter", "--input_format=tf_saved_model",
             "--output_format=tfjs_graph_model", "--signature_name=serving_default", saved, args.out],
            check=True,
        )
    print(f"wrote {args.out}/model.json (input [n, {size}, {size}, 3] in [0, 255], output {model.output_shape})")


if __name__ == "__main__":
    main()
