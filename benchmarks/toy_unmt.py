"""Trains UNMT on the embedded toy corpus for a wall-clock budget, once per variant (full recipe and ablations),
and records the BLEU-over-time curves, the copy-the-input baseline and the machine, as JSON and a PNG plot.

    python benchmarks/toy_unmt.py --minutes 10 --variants full no_adversarial no_backtranslation no_noise
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import sacrebleu

logging.getLogger("sacrebleu").setLevel(logging.ERROR)  # the toy text keeps its periods separated on purpose

VARIANTS = {
    "full": [],
    "no_adversarial": ["train.lambda_adv=0"],
    "no_backtranslation": ["train.lambda_bt=0"],
    "no_noise": ["noise.word_dropout=0", "noise.word_shuffle=0", "noise.word_blank=0"],
    "no_word_by_word": ["train.word_by_word_steps=0"],
    "no_output_restriction": ["train.restrict_output=false"],
}


def machine() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    import torch

    return {"cpu": cpu, "cores": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version()}


def copy_baseline(data: Path) -> dict:
    """BLEU of returning the input unchanged: what shared names and numbers alone are worth."""
    en, fr = (data / "test.en").read_text().splitlines(), (data / "test.fr").read_text().splitlines()
    return {"en-fr": sacrebleu.corpus_bleu(en, [fr]).score, "fr-en": sacrebleu.corpus_bleu(fr, [en]).score}


def run_variant(name: str, minutes: float, out: Path, extra: list[str]) -> dict:
    checkpoints = out / "runs"
    run = f"{name}-{time.strftime('%H%M%S')}"
    args = [sys.executable, "-m", "unmt.cli", "--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--run", run, "--max-minutes", str(minutes)]
    for assignment in VARIANTS[name] + extra:
        args += ["--set", assignment]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    records = [json.loads(l) for l in (checkpoints / run / "metrics.jsonl").read_text().splitlines()]
    curve = [r for r in records if r.get("eval")]
    return {"run": str(checkpoints / run), "overrides": VARIANTS[name] + extra, "curve": curve, "final": curve[-1], "copy_baseline": copy_baseline(checkpoints / run / "data")}


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, result in results.items():
        seconds = [r["seconds"] / 60 for r in result["curve"]]
        for direction, style in (("en-fr", "-"), ("fr-en", "--")):
            ax.plot(seconds, [r[f"test_bleu_{direction}"] for r in result["curve"]], style, label=f"{name} {direction}")
    ax.set_xlabel("training minutes (evaluation included)")
    ax.set_ylabel("toy test BLEU")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--variants", nargs="+", default=["full"], choices=sorted(VARIANTS))
    parser.add_argument("--set", action="append", default=[], help="extra config override for every variant")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = {name: run_variant(name, args.minutes, args.out, args.set) for name in args.variants}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"toy_unmt-{stamp}.json").write_text(json.dumps({"machine": machine(), "minutes": args.minutes, "results": results}, indent=1))
    plot(results, args.out / f"toy_unmt-{stamp}.png")
    for name, result in results.items():
        final = result["final"]
        print(f"{name}: en-fr {final['test_bleu_en-fr']:.1f} fr-en {final['test_bleu_fr-en']:.1f} after {final['seconds']:.0f}s (copy baseline {result['copy_baseline']['en-fr']:.1f}/{result['copy_baseline']['fr-en']:.1f})")


if __name__ == "__main__":
    main()
