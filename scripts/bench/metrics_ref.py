"""
numpy/scipy baselines for scripts/bench/metrics.ts (run by it, same machine, same run; prints one
JSON line). Not a dependency of the product or the tests.

  python3 metrics_ref.py fid REAL.npy FAKE.npy      # np.mean/np.cov (float64) + scipy.linalg.sqrtm
  python3 metrics_ref.py pr REAL.npy FAKE.npy K      # blocked float32 distances (10k-row tiles), NVlabs rules

Run it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset so numpy runs its best kernel.
"""
import json
import resource
import sys
import time

import numpy as np
import scipy
import scipy.linalg


def blas_info():
    try:
        import threadpoolctl
        return [{k: i.get(k) for k in ("internal_api", "num_threads", "architecture", "version")} for i in threadpoolctl.threadpool_info()]
    except ImportError:
        return None


def fid(real_path, fake_path):
    t0 = time.perf_counter()
    stats = []
    for path in (real_path, fake_path):
        x = np.load(path).astype(np.float64)
        stats.append((np.mean(x, axis=0), np.cov(x, rowvar=False)))
        del x
    t1 = time.perf_counter()
    (mu1, s1), (mu2, s2) = stats
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    covmean = np.real(covmean)
    diff = mu1 - mu2
    value = float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
    t2 = time.perf_counter()
    return {"fid": value, "seconds_stats": t1 - t0, "seconds_sqrtm": t2 - t1, "seconds": t2 - t0}


def kth_radii(x, k, tile):
    n = x.shape[0]
    norms = (x * x).sum(1)
    radii = np.empty(n, dtype=np.float32)
    for i in range(0, n, tile):
        d = norms[i:i + tile, None] + norms[None, :] - 2 * (x[i:i + tile] @ x.T)
        np.maximum(d, 0, out=d)
        for r in range(d.shape[0]):
            d[r, i + r] = 0
        radii[i:i + tile] = np.partition(d, k, axis=1)[:, k]
    return radii


def inside_any(a, b, radii_b, tile):
    na = (a * a).sum(1)
    nb = (b * b).sum(1)
    out = np.zeros(a.shape[0], dtype=bool)
    for i in range(0, a.shape[0], tile):
        d = na[i:i + tile, None] + nb[None, :] - 2 * (a[i:i + tile] @ b.T)
        out[i:i + tile] = (d <= radii_b[None, :]).any(axis=1)
    return out


def pr(real_path, fake_path, k):
    real = np.load(real_path).astype(np.float32)
    fake = np.load(fake_path).astype(np.float32)
    tile = 2500
    t0 = time.perf_counter()
    r_real = kth_radii(real, k, tile)
    r_fake = kth_radii(fake, k, tile)
    precision = float(inside_any(fake, real, r_real, tile).mean())
    recall = float(inside_any(real, fake, r_fake, tile).mean())
    t1 = time.perf_counter()
    return {"precision": precision, "recall": recall, "seconds": t1 - t0}


def main():
    what = sys.argv[1]
    out = fid(sys.argv[2], sys.argv[3]) if what == "fid" else pr(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["numpy"] = np.__version__
    out["scipy"] = scipy.__version__
    out["blas"] = blas_info()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
