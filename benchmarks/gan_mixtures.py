"""Mode collapse on the 2-D mixtures: min-max GAN, non-saturating GAN, WGAN (clipping) and WGAN-GP, several
seeds each, scored with the VEEGAN/PacGAN protocol (2,500 samples) plus the exact EMD to 2,500 real samples.

    OMP_NUM_THREADS=1 python benchmarks/gan_mixtures.py --data ring --seeds 1 2 3
    OMP_NUM_THREADS=1 python benchmarks/gan_mixtures.py --data grid --seeds 1 2 3 --losses nonsaturating
    OMP_NUM_THREADS=1 python benchmarks/gan_mixtures.py --data ring --seeds 1 2 3 \
        --losses wgan_clip_paper wgan_gp_paper \
        --out benchmarks/results/gan_ring_wgan_paper.json
Writes benchmarks/results/gan_<data>-DATE.json (or --out; --merge keeps the rows of an existing --out).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gan_common import single_thread, train_once  # noqa: E402
from report import timestamped, write_report  # noqa: E402

CONFIGS = {"ring": "configs/gan_ring.yaml", "grid": "configs/gan_grid.yaml"}
# Every row runs the config file's schedule (linear lr decay to 0) with only the loss and its optimiser changed.
# The WGAN rows take 5 critic steps per generator step, so they get fewer generator steps in a similar budget.
# Tuned on the ring (seed 1, then fixed): the WGAN paper's clip of 0.01 leaves a 2-input critic almost no range,
# and the WGAN-GP paper's toy code uses a penalty weight of 0.1, not 10, for 2-D data. The *_paper rows keep the
# image-paper values (clip 0.01; weight 10), all else equal, to show, measured, what they do on the ring.
WGAN_CLIP = [
    "loss.type=wasserstein", "train.optimizer=rmsprop", "train.n_critic=5", "train.g_lr=0.0005", "train.d_lr=0.0005",
    "train.steps=5000", "train.eval_every=2500"
]
WGAN_GP = ["loss.type=wgan_gp", "train.beta2=0.9", "train.n_critic=5", "train.g_lr=0.0005", "train.d_lr=0.0005",
           "train.steps=3000", "train.eval_every=1500"]
LOSSES = {
    "minimax": ["loss.type=minimax"],
    "nonsaturating": ["loss.type=nonsaturating"],
    "wgan_clip": WGAN_CLIP + ["loss.weight_clip=0.1"],
    "wgan_gp": WGAN_GP + ["loss.gp_weight=0.1"],
    "wgan_clip_paper": WGAN_CLIP + ["loss.weight_clip=0.01"],
    "wgan_gp_paper": WGAN_GP + ["loss.gp_weight=10"],
}
DEFAULT_LOSSES = ["minimax", "nonsaturating", "wgan_clip", "wgan_gp"]
ANCHORS = {
    "ring": {"PacGAN Table 1 (modes of 8)": {"GAN": 6.3, "PacGAN4": 7.8},
             "VEEGAN Table 1 (modes, % high quality)": {"GAN": [1, 99.3], "VEEGAN": [8, 52.9]}},
    "grid": {"VEEGAN Table 1 (modes of 25, % high quality)": {"GAN": [3.3, 0.5], "VEEGAN": [24.6, 40.0]}},
}
KEYS = ("modes_captured", "high_quality_percent", "reverse_kl", "emd", "seconds")


def summarise(runs: list[dict]) -> dict:
    return {
        key: {
            "mean": statistics.mean(r[key] for r in runs), "min": min(r[key] for r in runs),
            "max": max(r[key] for r in runs)
        }
        for key in KEYS
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", choices=sorted(CONFIGS), default="ring")
    parser.add_argument("--losses", nargs="+", choices=sorted(LOSSES), default=DEFAULT_LOSSES)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra override for every row")
    parser.add_argument("--merge", action="store_true", help="keep the rows of an existing --out that are not rerun")
    parser.add_argument("--out", type=Path, help="JSON to write (default benchmarks/results/gan_<data>-DATE.json)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    args = parser.parse_args()
    single_thread()
    if args.merge and not args.out:
        parser.error("--merge adds to an existing result: name it with --out")
    out = args.out or timestamped(f"gan_{args.data}")
    results = {"data": args.data, "config": CONFIGS[args.data], "anchors": ANCHORS[args.data], "losses": {}}
    if args.merge and out.exists():  # rerun some rows, keep the others
        results["losses"] = json.loads(out.read_text())["losses"]
    for loss in args.losses:
        runs = []
        for seed in args.seeds:
            overrides = LOSSES[loss] + args.set + [f"train.seed={seed}"]
            run = train_once(CONFIGS[args.data], overrides, f"{args.data}-{loss}-seed{seed}")
            print(json.dumps({k: run[k] for k in ("name", *KEYS)}), flush=True)
            runs.append(run)
        results["losses"][loss] = {"overrides": LOSSES[loss] + args.set, "runs": runs, "summary": summarise(runs)}
    write_report(out, results)


if __name__ == "__main__":
    main()
