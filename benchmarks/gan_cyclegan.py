"""CycleGAN MNIST <-> USPS: label preservation of the translations in both directions, against the
source-only baseline (the target-domain classifier applied to untranslated images).

    OMP_NUM_THREADS=1 python benchmarks/gan_cyclegan.py --data ../shared/data/digits --seeds 1 2
    OMP_NUM_THREADS=1 python benchmarks/gan_cyclegan.py --seeds 3 --merge --out benchmarks/results/gan_cyclegan.json
    OMP_NUM_THREADS=1 python benchmarks/gan_cyclegan.py --name cycle3 --set loss.cycle_weight=3   # a variant
Writes benchmarks/results/gan_cyclegan-DATE.json (a named variant: gan_cyclegan-NAME-DATE.json), or --out; --merge
adds the runs to those of an existing --out.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gan_common import DIGITS, single_thread, train_once  # noqa: E402
from report import timestamped, write_report  # noqa: E402

CONFIG = "configs/gan_cyclegan_mnist_usps.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DIGITS, help="folder with the MNIST/USPS files")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--merge", action="store_true", help="keep the runs of other seeds in an existing --out")
    parser.add_argument(
        "--out", type=Path, help="JSON to write (default benchmarks/results/gan_cyclegan[-NAME]-DATE.json)"
    )
    parser.add_argument("--name", help="label of a variant (with --set): its own JSON and run folders")
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"gan_cyclegan: digits folder {args.data} does not exist; run data_scripts/download_digits.sh")
    single_thread()
    if args.merge and not args.out:
        parser.error("--merge adds to an existing result: name it with --out")
    out = args.out or timestamped(f"gan_cyclegan-{args.name}" if args.name else "gan_cyclegan")

    def run_name(seed: int) -> str:
        return f"cyclegan-{args.name}-mnist-usps-seed{seed}" if args.name else f"cyclegan-mnist-usps-seed{seed}"

    names = {run_name(seed) for seed in args.seeds}
    kept = (
        [r for r in json.loads(out.read_text())["runs"] if r["name"] not in names]
        if args.merge and out.is_file()
        else []
    )
    runs = []
    for seed in args.seeds:
        overrides = [f"data.folder={args.data.resolve()}", f"train.seed={seed}", *args.set]
        run = train_once(CONFIG, overrides, run_name(seed))
        for direction in ("x_to_y", "y_to_x"):  # percentage points gained over the untranslated images
            run[f"{direction}_gain"] = 100 * (run[f"{direction}_accuracy"] - run[f"{direction}_source_only"])
        print(json.dumps(run, indent=1), flush=True)
        runs.append(run)
    runs = sorted(kept + runs, key=lambda r: r["name"])
    summary = {
        key: statistics.mean(r[key] for r in runs)
        for key in (
            "x_to_y_accuracy", "x_to_y_source_only", "x_to_y_gain", "y_to_x_accuracy", "y_to_x_source_only",
            "y_to_x_gain"
        )
    }
    write_report(
        out, {"config": CONFIG, "overrides": args.set, "x": "MNIST", "y": "USPS", "runs": runs, "mean": summary}
    )


if __name__ == "__main__":
    main()
