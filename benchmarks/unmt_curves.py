"""Shared by the UNMT benchmarks: train one `unmt train` run for a wall-clock budget, read its BLEU-over-time
curve from metrics.jsonl, and plot curves of several runs."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def train_run(checkpoints: Path, run: str, train_args: list[str], overrides: list[str]) -> tuple[list[dict], float]:
    """Runs `unmt train` with `train_args` and `--set` overrides; returns the evaluation records and the seconds
    spent before the first step (vocabulary, lexicon, embedding initialisation), which the budget does not count."""
    args = [
        sys.executable, "-m", "unmt.cli", "--quiet", "--checkpoints-dir", str(checkpoints), "train", "--run", run,
        *train_args
    ]
    for assignment in overrides:
        args += ["--set", assignment]
    code = subprocess.run(args, stdout=subprocess.DEVNULL).returncode
    if code != 0:  # `unmt train` has already said why on stderr, in one line; a traceback here would bury it
        raise SystemExit(f"unmt train stopped with exit status {code}: see its message above")
    records = [json.loads(line) for line in (checkpoints / run / "metrics.jsonl").read_text().splitlines()]
    setup = sum(r["setup_seconds"] for r in records if "setup_seconds" in r)
    # runs written before metrics lines named their kind marked evaluations with "eval": true
    return [r for r in records if r.get("kind") == "eval" or r.get("eval") is True], setup


def plot_curves(curves: dict[str, list[dict]], path: Path, ylabel: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, curve in curves.items():
        minutes = [r["seconds"] / 60 for r in curve]
        directions = sorted(
            {key[len("test_bleu_") :] for r in curve for key in r if key.startswith("test_bleu_") and "live" not in key}
        )
        for direction, style in zip(directions, ("-", "--")):
            ax.plot(
                minutes, [r[f"test_bleu_{direction}"] for r in curve], style, marker=".", label=f"{name} {direction}"
            )
            if curve and f"test_bleu_live_{direction}" in curve[0]:  # a weight-averaged run: its live weights, thin
                live = [r[f"test_bleu_live_{direction}"] for r in curve]
                ax.plot(minutes, live, style, linewidth=0.8, alpha=0.6, label=f"{name} {direction} (live weights)")
    ax.set_xlabel("training minutes (evaluation included)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
