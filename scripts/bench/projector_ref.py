"""Time the reference projector: NVlabs stylegan2-ada-pytorch `projector.py`'s `project()` on torch CPU.

Not part of the product: the baseline of `scripts/bench/projector.ts`, which runs it once per size
between its own measurements (so load on the shared machine affects both sides alike). It imports
the NVlabs code from a checkout outside this repository (never vendored), e.g.

    # fetch github:NVlabs/stylegan2-ada-pytorch into /tmp/nvlabs-sg2ada; a venv with
    # torch numpy requests click imageio pillow
    python scripts/bench/projector_ref.py --repo /tmp/nvlabs-sg2ada --res 64 --steps 20 \
        --cbase 16384 --cmax 512 --map 2 --zdim 512 --wdim 512

and prints one JSON line. What is timed is `project()` itself, unchanged, on one image (the
reference projects one at a time), with:
- G: NVlabs' `Generator` with the given architecture, randomly initialised (fp32, conv_clamp 256,
  as dermagan's), the projector's `noise_mode='const'` buffers optimised as it does;
- VGG16: `project()` loads NVlabs' TorchScript `vgg16.pt` from a URL this machine cannot reach,
  so `torch.jit.load` answers with `LpipsVgg16` below instead: the same 13 convolutions, 4 max
  pools and 5 LPIPS taps (channel-unit-normalised, weighted by √(linear head)/√(h·w)), with
  RANDOM weights — the same arithmetic per step, so the same time, but its distances mean nothing.
Per-step time: the VGG16 is called once for the target, then once per step; the time between its
second call and its last, over steps − 1, is the steady step (the first step, with torch's warm-up,
left out); `cpu_s_per_image_step` is the process's CPU time (user + system, all threads) over the
same steps, a measure of the work that load on a shared machine disturbs less. `setup_s` is the rest of the call (deep copy of G, 10 000 mapping samples for w_avg,
target features, the first step's warm-up): the reference pays it for every image.
"""
import argparse
import contextlib
import json
import os
import sys
import time
import warnings
from unittest import mock

# On a shared machine, OpenMP's default busy-waiting makes every op 10-50x slower under load
# (see gan-pytorch.py). Passive waiting is the fair baseline.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# VGG16's convolutions (out channels per block); an LPIPS tap after the last ReLU of each block.
VGG16_BLOCKS = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]
# LPIPS' input scaling of images in [-1, 1].
LPIPS_SHIFT = [-0.030, -0.088, -0.188]
LPIPS_SCALE = [0.458, 0.448, 0.450]


class LpipsVgg16(torch.nn.Module):
    """A stand-in for NVlabs' vgg16.pt with its call signature: images in [0, 255] → the
    concatenated LPIPS features, so that Σ(f_a − f_b)² is the LPIPS distance. Random weights."""

    def __init__(self, seed=0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.blocks = torch.nn.ModuleList()
        self.heads = []
        cin = 3
        for block in VGG16_BLOCKS:
            convs = torch.nn.ModuleList()
            for cout in block:
                conv = torch.nn.Conv2d(cin, cout, 3, padding=1)
                with torch.no_grad():
                    conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * (2 / (9 * cin)) ** 0.5)
                    conv.bias.zero_()
                convs.append(conv)
                cin = cout
            self.blocks.append(convs)
            self.heads.append(torch.rand([1, cin, 1, 1], generator=gen).sqrt())
        self.register_buffer("shift", torch.tensor(LPIPS_SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(LPIPS_SCALE).view(1, 3, 1, 1))
        self.calls = []

    def forward(self, img, resize_images=False, return_lpips=True):
        self.calls.append((time.perf_counter(), time.process_time()))
        x = (img / 127.5 - 1 - self.shift) / self.scale
        feats = []
        for b, convs in enumerate(self.blocks):
            if b > 0:
                x = F.max_pool2d(x, 2)
            for conv in convs:
                x = F.relu(conv(x))
            unit = x / (x.square().sum(dim=1, keepdim=True) + 1e-10).sqrt()
            feats.append((unit * self.heads[b] / (x.shape[2] * x.shape[3]) ** 0.5).flatten(1))
        return torch.cat(feats, dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default="/tmp/nvlabs-sg2ada")
    ap.add_argument("--res", type=int, default=32)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--cbase", type=int, default=16384)
    ap.add_argument("--cmax", type=int, default=512)
    ap.add_argument("--map", type=int, default=2)
    ap.add_argument("--zdim", type=int, default=512)
    ap.add_argument("--wdim", type=int, default=512)
    ap.add_argument("--w-avg-samples", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch default)")
    a = ap.parse_args()
    if a.steps < 3:
        sys.exit("--steps must be at least 3 (the first step is left out of the timing)")
    sys.path.insert(0, a.repo)
    import projector  # noqa: E402  (NVlabs projector.py)
    from training.networks import Generator  # noqa: E402

    # project() formats the loss of every step for its (disabled) log line: torch warns about it.
    warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    G = Generator(z_dim=a.zdim, c_dim=0, w_dim=a.wdim, img_resolution=a.res, img_channels=3,
                  mapping_kwargs=dict(num_layers=a.map),
                  synthesis_kwargs=dict(channel_base=a.cbase, channel_max=a.cmax, num_fp16_res=0, conv_clamp=256)).eval()
    target = torch.from_numpy(np.random.RandomState(1).randint(0, 256, size=(3, a.res, a.res)).astype(np.uint8))
    vgg16 = LpipsVgg16().requires_grad_(False)  # as the TorchScript file's: no weight gradients
    # project() fetches vgg16.pt through dnnlib.util.open_url and torch.jit.load: answer both locally.
    with mock.patch.object(projector.dnnlib.util, "open_url", lambda url, *args, **kw: contextlib.nullcontext(url)), \
            mock.patch.object(torch.jit, "load", lambda f, *args, **kw: vgg16):
        np.random.seed(303)
        t0 = time.perf_counter()
        projector.project(G, target, num_steps=a.steps, w_avg_samples=a.w_avg_samples, device=torch.device("cpu"))
        total = time.perf_counter() - t0
    calls = vgg16.calls
    assert len(calls) == a.steps + 1, f"VGG16 called {len(calls)} times for {a.steps} steps"
    step_s = (calls[-1][0] - calls[1][0]) / (a.steps - 1)
    cpu_step_s = (calls[-1][1] - calls[1][1]) / (a.steps - 1)
    print(json.dumps({
        "backend": f"pytorch-{torch.__version__}-cpu-{torch.get_num_threads()}t",
        "res": a.res,
        "steps": a.steps,
        "params_g": sum(p.numel() for p in G.parameters()),
        "step_s": step_s,
        "image_steps_per_s": 1 / step_s,
        "cpu_s_per_image_step": cpu_step_s,
        "setup_s": total - a.steps * step_s,
        "total_s": total,
        "config": {"cbase": a.cbase, "cmax": a.cmax, "map": a.map, "zdim": a.zdim, "wdim": a.wdim, "w_avg_samples": a.w_avg_samples},
    }))


if __name__ == "__main__":
    main()
