"""Time the official NVlabs stylegan2-ada-pytorch on the configuration `scripts/bench/gan.ts` uses.

Not part of the product: a baseline for the engine's benchmark. It imports the NVlabs code from a
checkout outside this repository (never vendored), e.g.

    # fetch github:NVlabs/stylegan2-ada-pytorch into /tmp/nvlabs-sg2ada, pip install --user torch
    python3 scripts/bench/gan-pytorch.py --repo /tmp/nvlabs-sg2ada --res 32 --batch 16 \
        --cbase 16384 --cmax 512 --map 2 --zdim 512 --wdim 512

and prints one JSON line with the keys of gan.ts: the phases Gmain, Dmain, Dboth (Dmain + R1 in one
pass) and Greg (path length), each with its optimiser step as `training_loop.py` runs it (zero
grads, accumulate_gradients, nan_to_num, Adam step), ADA off, random reals, fp32 (no fp16 on CPU),
conv_clamp 256; sampling is G forward at batch 32 under no_grad in eval mode (generate.py's path,
fused grouped modulated conv), and `sample_img_s_nonfused` the same in train mode.
Times are medians of --runs after --warmup.
"""
import argparse
import json
import os
import statistics
import sys
import time

# On a shared machine, OpenMP's default busy-waiting makes every op 10-50x slower under load
# (measured: a G forward 3 s instead of 0.08 s). Passive waiting is the fair baseline.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default="/tmp/nvlabs-sg2ada")
    ap.add_argument("--res", type=int, default=32)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--cbase", type=int, default=16384)
    ap.add_argument("--cmax", type=int, default=512)
    ap.add_argument("--map", type=int, default=2)
    ap.add_argument("--zdim", type=int, default=512)
    ap.add_argument("--wdim", type=int, default=512)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch default)")
    a = ap.parse_args()
    sys.path.insert(0, a.repo)
    from training.networks import Discriminator, Generator  # noqa: E402
    from training.loss import StyleGAN2Loss  # noqa: E402

    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device("cpu")
    G = Generator(z_dim=a.zdim, c_dim=0, w_dim=a.wdim, img_resolution=a.res, img_channels=3,
                  mapping_kwargs=dict(num_layers=a.map),
                  synthesis_kwargs=dict(channel_base=a.cbase, channel_max=a.cmax, num_fp16_res=0, conv_clamp=256)).train().requires_grad_(False)
    D = Discriminator(c_dim=0, img_resolution=a.res, img_channels=3, channel_base=a.cbase, channel_max=a.cmax,
                      num_fp16_res=0, conv_clamp=256, epilogue_kwargs=dict(mbstd_group_size=min(4, a.batch))).train().requires_grad_(False)
    loss = StyleGAN2Loss(device=dev, G_mapping=G.mapping, G_synthesis=G.synthesis, D=D, r1_gamma=1, pl_weight=2)
    opts = {}
    for name, module, interval in [("G", G, 4), ("D", D, 16)]:
        r = interval / (interval + 1)
        opts[name] = torch.optim.Adam(module.parameters(), lr=0.0025 * r, betas=(0 ** r, 0.99 ** r), eps=1e-8)
    b, res = a.batch, a.res

    def step(phase):
        module, opt = (G, opts["G"]) if phase.startswith("G") else (D, opts["D"])
        real_img = torch.tanh(torch.randn([b, 3, res, res]))
        real_c = torch.empty([b, 0])
        gen_z = torch.randn([b, a.zdim])
        gen_c = torch.empty([b, 0])
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        module.requires_grad_(True)
        loss.accumulate_gradients(phase=phase, real_img=real_img, real_c=real_c, gen_z=gen_z, gen_c=gen_c, sync=True, gain=4 if phase == "Greg" else 1)
        module.requires_grad_(False)
        for p in module.parameters():
            if p.grad is not None:
                torch.nan_to_num(p.grad, nan=0, posinf=1e5, neginf=-1e5, out=p.grad)
        opt.step()
        return time.perf_counter() - t0

    def timed(fn):
        ts = [fn() for _ in range(a.warmup + a.runs)]
        return statistics.median(ts[a.warmup:])

    out = {"backend": f"pytorch-{torch.__version__}-cpu-{torch.get_num_threads()}t", "res": res, "batch": b,
           "params_g": sum(p.numel() for p in G.parameters()), "params_d": sum(p.numel() for p in D.parameters())}
    for key, phase in [("g_step_s", "Gmain"), ("d_step_s", "Dmain"), ("d_r1_step_s", "Dboth"), ("g_pl_step_s", "Greg")]:
        out[key] = timed(lambda: step(phase))
    G.eval()

    def sample():
        z = torch.randn([32, a.zdim])
        t0 = time.perf_counter()
        with torch.no_grad():
            G(z, torch.empty([32, 0]), noise_mode="random")
        return time.perf_counter() - t0

    out["sample_img_s"] = 32 / timed(sample)
    # For reference: the same forward in train mode (non-fused modulated conv, as the engine does).
    G.train()
    out["sample_img_s_nonfused"] = 32 / timed(sample)
    out["config"] = {"cbase": a.cbase, "cmax": a.cmax, "map": a.map, "zdim": a.zdim, "wdim": a.wdim, "warmup": a.warmup, "runs": a.runs}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
