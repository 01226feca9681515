"""The README's toy demo row: `unmt train --src en --tgt fr` once per seed, one run after another, and the median
test BLEU of the checkpoints the runs keep as `best` (chosen by the unsupervised round trip, as `unmt translate`
and `unmt evaluate` use them).

    python benchmarks/toy_demo_seeds.py --checkpoints CK --seeds 1 2 3 --name grammar
    python benchmarks/toy_demo_seeds.py --checkpoints CK --seeds 1 2 3 --name grammar --collect

`--collect` trains nothing and reads runs already in CK (named NAME-sSEED), for runs started by hand.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import RESULTS, timestamped, write_report  # noqa: E402

DIRECTIONS = ("en-fr", "fr-en")


def train(checkpoints: Path, run: str, seed: int, overrides: list[str]) -> None:
    command = [sys.executable, "-m", "unmt", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt",
               "fr", "--run", run, "--set", f"runtime.seed={seed}"]
    for override in overrides:
        command += ["--set", override]
    subprocess.run(command, check=True)


def evaluations(run: Path) -> list[dict]:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r for r in records if r.get("kind") == "eval"]


def chosen(evals: list[dict], select_by: str = "round_trip") -> dict:
    """The evaluation `best` points at: the first to reach the highest round trip (the trainer keeps a later one
    only when it is strictly better)."""
    if not evals:
        raise SystemExit("toy_demo_seeds: a run has no evaluation; did it train?")
    return max(evals, key=lambda e: (e[select_by], -e["step"]))


def summary(runs: dict[int, Path]) -> dict:
    evals = {seed: evaluations(run) for seed, run in runs.items()}  # each run's metrics read once
    per_seed = {seed: {**chosen(e), "last_step": e[-1]["step"]} for seed, e in evals.items()}
    median = {d: statistics.median(s[f"test_bleu_{d}"] for s in per_seed.values()) for d in DIRECTIONS}
    # The median seed: the one whose BLEU is the median in the most directions (ties to the lower seed).
    middle = max(per_seed, key=lambda seed: (sum(per_seed[seed][f"test_bleu_{d}"] == median[d] for d in DIRECTIONS),
                                              -seed))
    return {"median_test_bleu": median, "median_seed": middle,
            "span": {d: [min(s[f"test_bleu_{d}"] for s in per_seed.values()),
                         max(s[f"test_bleu_{d}"] for s in per_seed.values())] for d in DIRECTIONS},
            "seeds": per_seed, "evaluations": evals[middle]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoints", type=Path, required=True, help="the runs' checkpoints folder")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--name", default="toy", help="runs are named NAME-sSEED")
    parser.add_argument("--set", action="append", default=[], help="a config override for every run")
    parser.add_argument("--collect", action="store_true", help="read existing runs instead of training")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = {seed: args.checkpoints / f"{args.name}-s{seed}" for seed in args.seeds}
    if not args.collect:
        for seed, run in runs.items():
            train(args.checkpoints, run.name, seed, args.set)
    missing = [str(run) for run in runs.values() if not (run / "metrics.jsonl").exists()]
    if missing:
        raise SystemExit(f"toy_demo_seeds: no metrics.jsonl in {', '.join(missing)}")
    result = summary(runs)
    path = write_report(timestamped(f"toy_demo-{args.name}", args.out),
                        {"overrides": args.set, "runs": {s: str(r) for s, r in runs.items()}, **result})
    print(f"median test BLEU en-fr / fr-en: {result['median_test_bleu']['en-fr']} / "
          f"{result['median_test_bleu']['fr-en']} over seeds {args.seeds}: {path}")


if __name__ == "__main__":
    main()
