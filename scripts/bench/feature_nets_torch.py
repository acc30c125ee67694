"""
The torch side of scripts/bench/feature-nets.ts: the original executors on the same weights, in
the same run, on the same machine. A line protocol on stdin/stdout (one JSON line per answer):

  inception IMAGES.npy BATCH     torch runs the TorchScript Inception (sg2ada preprocessing) → {"seconds"}
  features IMAGES.npy OUT.npy    pool3 features of every image, written to OUT.npy (float32)
  fid A.npy B.npy                FID of two feature files: np.cov (float64) + scipy.linalg.sqrtm
  lpips IMAGES.npy BATCH         LPIPS-VGG16 (the lpips algorithm in torch) of image pairs (i, i+n/2) → {"seconds"}

Run by hand in the reference venv (torch, numpy, scipy), with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset:
  /work/ref-venv/bin/python scripts/bench/feature_nets_torch.py PYPI_DIR THREADS
Not a dependency of the product or the tests.
"""
import io
import json
import os
import pickle
import sys
import time

import numpy as np
import scipy.linalg
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'libs', 'metrics', 'fixtures'))
from make_feature_net_fixtures import INCEPTION, VGG, LpipsVgg16, member, sg2ada  # noqa: E402


def main():
    pypi, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.set_grad_enabled(False)
    inception = torch.jit.load(io.BytesIO(member(pypi, INCEPTION))).eval()
    lpips = None
    print(json.dumps({'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == 'inception':
            x = np.load(args[0], mmap_mode='r')
            batch = int(args[1])
            t0 = time.perf_counter()
            for s in range(0, len(x), batch):
                inception(sg2ada(np.ascontiguousarray(x[s:s + batch])))
            print(json.dumps({'seconds': time.perf_counter() - t0, 'n': len(x)}), flush=True)
        elif cmd == 'features':
            x = np.load(args[0], mmap_mode='r')
            out = np.concatenate([inception(sg2ada(np.ascontiguousarray(x[s:s + 32]))).numpy() for s in range(0, len(x), 32)])
            np.save(args[1], out.astype(np.float32))
            print(json.dumps({'n': len(out)}), flush=True)
        elif cmd == 'fid':
            a, b = (np.load(p).astype(np.float64) for p in args[:2])
            mu1, mu2 = a.mean(0), b.mean(0)
            s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
            covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
            fid = float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))
            print(json.dumps({'fid': fid}), flush=True)
        elif cmd == 'lpips':
            if lpips is None:
                lpips = LpipsVgg16(pickle.loads(member(pypi, VGG)))
            x = np.load(args[0], mmap_mode='r')
            batch = int(args[1])
            half = len(x) // 2
            t0 = time.perf_counter()
            for s in range(0, half, batch):
                a = torch.from_numpy(np.ascontiguousarray(x[s:min(s + batch, half)])).permute(0, 3, 1, 2).float() / 127.5 - 1
                b = torch.from_numpy(np.ascontiguousarray(x[half + s:half + min(s + batch, half)])).permute(0, 3, 1, 2).float() / 127.5 - 1
                lpips(a, b)
            print(json.dumps({'seconds': time.perf_counter() - t0, 'pairs': half}), flush=True)
        else:
            print(json.dumps({'error': f'unknown command {cmd}'}), flush=True)


if __name__ == '__main__':
    main()
