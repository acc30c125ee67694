"""
Reference side of scripts/bench/explain.ts, timed in the same run on the same inputs:
scikit-learn's Barnes-Hut t-SNE, umap-learn, and the PAIR saliency library's XRAI (its region
search over a given attribution: base_attribution, so integrated gradients are not part of it).

    python explain_ref.py DIR     (DIR holds embeddings.npy, image.npy, attribution.npy)

Prints one JSON line. Run with the reference venv (/work/ref-venv: scikit-learn, umap-learn, saliency).
"""
import json
import os
import sys
import time

import numpy as np

out = {}
d = sys.argv[1]
x = np.load(os.path.join(d, 'embeddings.npy'))
what = sys.argv[2:] or ['tsne', 'umap', 'xrai']

if 'tsne' in what:
    from sklearn.manifold import TSNE
    t = time.perf_counter()
    TSNE(n_components=3, perplexity=30, init='pca', method='barnes_hut', angle=0.5, max_iter=1000, random_state=0).fit_transform(x)
    out['sklearn_tsne_3d_s'] = time.perf_counter() - t

if 'umap' in what:
    import umap
    umap.UMAP(n_components=3, random_state=0).fit_transform(x[:200])  # JIT warm-up (numba), not timed
    t = time.perf_counter()
    umap.UMAP(n_components=3, n_neighbors=15, min_dist=0.1, random_state=0).fit_transform(x)
    out['umap_learn_3d_s'] = time.perf_counter() - t

if 'xrai' in what:
    import saliency.core as saliency
    image = np.load(os.path.join(d, 'image.npy'))
    attribution = np.load(os.path.join(d, 'attribution.npy'))
    xrai = saliency.XRAI()
    base = np.repeat(attribution[:, :, None], 3, axis=2)  # same shape as the image; max over channels = the map
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        xrai.GetMask(image, None, base_attribution=base)
        runs.append(time.perf_counter() - t)
    out['pair_xrai_regions_s_per_image'] = float(np.median(runs))

print(json.dumps(out))
