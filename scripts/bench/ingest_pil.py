"""PIL baseline for scripts/bench/ingest.ts: the same centre crop + resize as libs/ingest, on the
same files, in one Python process (the way a PIL/torchvision data-prep script runs).

Per file: Image.open, convert('RGB'), crop the centred square (offset floor((w - s) / 2)),
resize to SIZE with Image.LANCZOS (Lanczos-3, as libvips' lanczos3), tobytes(). PIL's default
reducing_gap=None is kept (no JPEG draft / DCT shrink), as in a plain PIL pipeline.

Usage: python3 ingest_pil.py SIZE FILE_LIST  (FILE_LIST: one path per line)
Prints one JSON line: {"images": n, "seconds": s, "imagesPerSecond": r, "pil": version}.
"""
import json
import sys
import time

import PIL
from PIL import Image


def preprocess(path, size):
    with Image.open(path) as im:
        im = im.convert("RGB")
        w, h = im.size
        s = min(w, h)
        left, top = (w - s) // 2, (h - s) // 2
        im = im.crop((left, top, left + s, top + s)).resize((size, size), Image.LANCZOS)
        return im.tobytes()


def main():
    size = int(sys.argv[1])
    with open(sys.argv[2]) as f:
        files = [line.strip() for line in f if line.strip()]
    preprocess(files[0], size)  # warm-up: library loading, not timed
    start = time.perf_counter()
    for path in files:
        out = preprocess(path, size)
        assert len(out) == size * size * 3
    seconds = time.perf_counter() - start
    print(json.dumps({"images": len(files), "seconds": seconds, "imagesPerSecond": len(files) / seconds, "pil": PIL.__version__}))


if __name__ == "__main__":
    main()
