"""DCGAN and WGAN on scikit-learn's 8x8 digits, and the WGAN paper's robustness comparison (Arjovsky et al.
2017, Figure 6): remove the generator's "tweaks" (batch norm, and the halving of filters towards the output)
and see which loss still trains.

    OMP_NUM_THREADS=1 python benchmarks/gan_digits.py --variants dcgan wgan dcgan_no_tweaks wgan_no_tweaks
Writes benchmarks/results/gan_digits-DATE.json: classes covered, classifier-feature Frechet distance and its
real-vs-real floor, classifier score, per variant.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gan_common import single_thread, train_once  # noqa: E402
from report import timestamped, write_report  # noqa: E402

NO_TWEAKS = ["model.g_batch_norm=false", "model.constant_filters=true"]
VARIANTS = {  # name: (config, overrides, label in the WGAN paper's terms)
    "dcgan": ("configs/gan_dcgan_digits.yaml", [], "DC"),
    "wgan": ("configs/gan_wgan_digits.yaml", [], "W + DC"),
    "dcgan_no_tweaks": ("configs/gan_dcgan_digits.yaml", NO_TWEAKS, "DC (tweaks removed)"),
    "wgan_no_tweaks": ("configs/gan_wgan_digits.yaml", NO_TWEAKS, "W + DC (tweaks removed)"),
}
KEYS = ("classes_covered", "frechet", "frechet_real_floor", "classifier_score", "classifier_score_real", "seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    single_thread()
    results = {"data": "sklearn digits 8x8 (1,797 images)", "variants": {}}
    for name in args.variants:
        config, overrides, label = VARIANTS[name]
        run = train_once(config, overrides + [f"train.seed={args.seed}"], f"digits-{name}-seed{args.seed}")
        print(json.dumps({"variant": label, **{k: run[k] for k in KEYS}}), flush=True)
        results["variants"][name] = {"label": label, "config": config, **run}
    write_report(timestamped("gan_digits"), results)


if __name__ == "__main__":
    main()
