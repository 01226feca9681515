"""Trains UNMT on the embedded toy corpus for a wall-clock budget, once per variant (full recipe and ablations),
and records the BLEU-over-time curves, the copy-the-input baseline and the machine, as JSON and a PNG plot.

    python benchmarks/toy_unmt.py --minutes 10 --variants full no_adversarial no_backtranslation no_noise
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import sacrebleu

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import RESULTS, stamp, write_report  # noqa: E402
from unmt_curves import plot_curves, train_run  # noqa: E402

logging.getLogger("sacrebleu").setLevel(logging.ERROR)  # the toy text keeps its periods separated on purpose

VARIANTS = {
    "full": [],
    "no_adversarial": ["losses.adv=0"],
    "no_backtranslation": ["losses.bt=0"],
    "no_noise": ["noise.word_dropout=0", "noise.word_shuffle=0", "noise.word_blank=0"],
    "no_word_by_word": ["back_translation.word_by_word_steps=0"],
    "no_output_restriction": ["data.restrict_output=false"],
    "random_init": ["pretraining.init_embeddings=random"],  # no aligned skip-gram start for the subword embeddings
}


def copy_baseline(data: Path) -> dict:
    """BLEU of returning the input unchanged: what shared names and numbers alone are worth."""
    en, fr = (data / "test.en").read_text().splitlines(), (data / "test.fr").read_text().splitlines()
    return {"en-fr": sacrebleu.corpus_bleu(en, [fr]).score, "fr-en": sacrebleu.corpus_bleu(fr, [en]).score}


def run_variant(name: str, minutes: float, out: Path, extra: list[str]) -> dict:
    checkpoints = out / "runs"
    run = f"{name}-{time.strftime('%H%M%S')}"
    overrides = VARIANTS[name] + extra
    curve, setup = train_run(checkpoints, run, ["--src", "en", "--tgt", "fr", "--max-minutes", str(minutes)], overrides)
    return {
        "run": str(checkpoints / run), "overrides": overrides, "setup_seconds": setup, "curve": curve,
        "final": curve[-1], "copy_baseline": copy_baseline(checkpoints / run / "data")
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--variants", nargs="+", default=["full"], choices=sorted(VARIANTS))
    parser.add_argument("--set", action="append", default=[], help="extra config override for every variant")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder of the JSON, the plot and runs/")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = {name: run_variant(name, args.minutes, args.out, args.set) for name in args.variants}
    made = stamp()
    write_report(args.out / f"toy_unmt-{made}.json", {"minutes": args.minutes, "results": results})
    plot_curves({name: r["curve"] for name, r in results.items()}, args.out / f"toy_unmt-{made}.png", "toy test BLEU")
    for name, result in results.items():
        final = result["final"]
        print(
            f"{name}: en-fr {final['test_bleu_en-fr']:.1f} fr-en {final['test_bleu_fr-en']:.1f} "
            f"after {final['seconds']:.0f}s (copy baseline {result['copy_baseline']['en-fr']:.1f}/"
            f"{result['copy_baseline']['fr-en']:.1f})"
        )


if __name__ == "__main__":
    main()
