"""Multi30k English-French (or English and any other Multi30k language) without parallel data (Lample et al. 2018's
split): trains for a wall-clock budget, records test BLEU and chrF in both directions at every evaluation (sacreBLEU
on detokenized text; the test set is only scored, never used to choose anything), scores the round-trip-selected best
checkpoint at the end with `unmt evaluate`, and writes JSON and a PNG of BLEU over training time, with the machine.

    python benchmarks/multi30k.py --minutes 60
    python benchmarks/multi30k.py --minutes 20 --name random_init --set pretraining.init_embeddings=random
    python benchmarks/multi30k.py --minutes 60 --resume RUN      # carry an earlier run on to 60 minutes in total
    python benchmarks/multi30k.py --minutes 60 --supervised       # the same model on the 29,000 parallel pairs instead
    python benchmarks/multi30k.py --minutes 60 --tgt cs --name en-cs  # English-Czech, the French recipe unchanged

--supervised is the reference that says what the model and the budget can do with parallel data (Lample et al.'s
"supervised" row); its numbers used parallel data and are reported apart from the unsupervised ones.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import RESULTS, stamp, write_report  # noqa: E402
from unmt_curves import plot_curves, train_run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Lample et al. (ICLR 2018), Multi30k test_2016_flickr: greedy unsupervised NMT, its word-by-word baseline, and the
# same architecture trained on the parallel training pairs (the reference that `--supervised` runs here).
PUBLISHED = {
    "lample2018_unsupervised": {"en-fr": 32.76, "fr-en": 32.07},
    "lample2018_word_by_word": {"en-fr": 8.54, "fr-en": 16.77},
    "lample2018_supervised": {"en-fr": 56.83, "fr-en": 50.77}
}


# Supervised translation on the parallel pairs and nothing else: no denoising, back-translation, discriminator or
# lexicon.
SUPERVISED = ["losses.mt=1", "losses.ae=0", "losses.bt=0", "losses.adv=0", "back_translation.word_by_word_steps=0"]


def prepare(raw: Path, data: Path, tgt: str, parallel: bool) -> None:
    if not (data / f"train.{tgt}").is_file() or (parallel and not (data / "parallel.en").is_file()):
        command = [
            sys.executable, str(ROOT / "data_scripts" / "prepare_multi30k.py"), str(raw), str(data), "--tgt", tgt
        ]
        subprocess.run(command + ["--parallel"] * parallel, check=True)


def score_best(checkpoints: Path, run: str, beam: int) -> dict:
    """Test BLEU and chrF of the run's round-trip-selected checkpoint, via `unmt evaluate`."""
    scores = checkpoints / run / f"test_scores_beam{beam}.json"
    subprocess.run(
        [
            sys.executable, "-m", "unmt.cli", "--quiet", "--checkpoints-dir", str(checkpoints), "evaluate",
            "--checkpoint", run, "--beam", str(beam), "--json", str(scores)
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return json.loads(scores.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--minutes", type=float, required=True,
        help="training budget in minutes: checkpoint selection counts, test scoring does not"
    )
    parser.add_argument(
        "--raw", type=Path, default=ROOT.parent / "shared" / "data" / "multi30k", help="raw Multi30k files"
    )
    parser.add_argument("--tgt", default="fr", help="the language paired with English (default fr; e.g. cs, de)")
    parser.add_argument("--data", type=Path, help="prepared split (default: benchmarks/results/runs/multi30k-data, "
                        "-data-TGT for a language other than French, with --supervised -parallel added: the split "
                        "plus the parallel pairs, kept apart)")
    parser.add_argument(
        "--supervised", action="store_true",
        help="train the same model on the parallel training pairs instead (a reference; uses parallel data)"
    )
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "multi30k_en_fr.yaml")
    parser.add_argument("--set", action="append", default=[], help="config override, e.g. runtime.threads=1")
    parser.add_argument("--name", default="recipe", help="label of this run in the JSON and plot")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--resume", metavar="RUN", help="continue this earlier run (under OUT/runs) until --minutes in total"
    )
    parser.add_argument(
        "--beam", type=int, default=1, help="also score the best checkpoint with this beam size (curves stay greedy)"
    )
    args = parser.parse_args()
    default_data = (
        "multi30k-data" + ("" if args.tgt == "fr" else f"-{args.tgt}") + ("-parallel" if args.supervised else "")
    )
    args.data = args.data or Path("benchmarks/results/runs") / default_data
    prepare(args.raw, args.data, args.tgt, parallel=args.supervised)
    overrides = (SUPERVISED if args.supervised else []) + args.set  # the command line's own --set come last and win
    checkpoints = args.out / "runs"
    run = args.resume or f"multi30k-{args.name}-{stamp()}"
    train_args = [
        "--src", "en", "--tgt", args.tgt, "--data", str(args.data), "--config", str(args.config), "--max-minutes",
        str(args.minutes)
    ]
    if args.resume:
        train_args.append("--resume")
    curve, setup_seconds = train_run(checkpoints, run, train_args, overrides)
    best = score_best(checkpoints, run, beam=1)
    result = {
        "name": args.name, "pair": f"en-{args.tgt}", "minutes": args.minutes, "config": str(args.config),
        "overrides": overrides, "supervised": args.supervised, "setup_seconds": setup_seconds, "curve": curve,
        "best_checkpoint_test": best, "published": PUBLISHED
    }
    if args.beam > 1:
        result[f"best_checkpoint_test_beam{args.beam}"] = score_best(checkpoints, run, args.beam)
    stem = args.out / f"multi30k-{args.name}-{stamp()}"
    write_report(stem.with_suffix(".json"), result)
    plot_curves({args.name: curve}, stem.with_suffix(".png"), "Multi30k test BLEU (test_2016_flickr)")
    forward, backward = f"en-{args.tgt}", f"{args.tgt}-en"
    print(f"{args.name}: best checkpoint (round-trip criterion) {forward} BLEU {best[forward]['bleu']:.2f}, "
          f"{backward} {best[backward]['bleu']:.2f}; wrote {stem}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
