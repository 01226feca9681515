"""Seconds per UNMT training step of config variants, measured side by side: every variant trains on the same
batches, in turns (variant A's steps, then B's, then A's again...), so the machine's drift lands on all of them
alike. Reports each variant's median seconds per step and its ratio to the first variant; writes JSON.

    python benchmarks/step_cost.py --data DATA --variant none=model.dropout=0 --variant d01=model.dropout=0.1
    python benchmarks/step_cost.py --data DATA --from-run RUNS/multi30k-recipe --variant ...

An untrained model back-translates max-length garbage, so its steps cost more than a trained one's: `--from-run`
starts every variant from a trained run's latest checkpoint (weights, optimiser, step) instead. The lexicon and
embedding initialisation are switched off: they cost setup time, not step time.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import timestamped, write_report  # noqa: E402
from unmt.checkpoint import read_pointer  # noqa: E402
from unmt.config import load_config  # noqa: E402
from unmt.translation.train import TrainingRun  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# The loss weights of each training phase of the Multi30k recipe, held constant while timing.
PHASES = {
    "bt": ["losses.ae=0", "losses.bt=1"],  # after step 1200: back-translation only
    "denoise+bt": ["losses.ae=1", "losses.bt=1"],  # steps 200-1200
}


def variant(spec: str) -> tuple[str, list[str]]:
    name, _, overrides = spec.partition("=")
    return name, [o for o in overrides.split(";") if o]


def copy_latest_checkpoint(run: Path, into: Path) -> None:
    """The trained run's vocabulary and latest checkpoint, laid out so that resuming in `into` restores them."""
    checkpoint = read_pointer(run, "latest")
    if checkpoint is None:
        raise SystemExit(f"{run} holds no checkpoint to start from")
    into.mkdir(parents=True)
    shutil.copy(run / "spm.model", into / "spm.model")
    shutil.copy(run / "run.json", into / "run.json")  # the model shape the resume is checked against
    shutil.copytree(checkpoint, into / checkpoint.name)
    (into / "latest").write_text(checkpoint.name + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="prepared data directory (train.<lang>, valid.<lang>)")
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "multi30k_en_fr.yaml")
    parser.add_argument("--set", action="append", default=[], help="override for every variant, e.g. runtime.threads=2")
    parser.add_argument("--variant", action="append", type=variant, required=True,
                        help="NAME=key=value;key=value (the first variant is the reference)")
    parser.add_argument("--phase", choices=sorted(PHASES), default="bt")
    parser.add_argument("--from-run", type=Path, help="start every variant from this trained run's latest checkpoint")
    parser.add_argument("--steps", type=int, default=10, help="steps per turn")
    parser.add_argument("--turns", type=int, default=5, help="turns per variant; the median turn is reported")
    parser.add_argument("--out", type=Path, default=timestamped("step_cost"))
    args = parser.parse_args()

    common = [
        *args.set, *PHASES[args.phase], "back_translation.word_by_word_steps=0", "pretraining.init_embeddings=random"
    ]
    runs = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, overrides in args.variant:
            config = load_config(args.config, [*common, *overrides])
            if args.from_run:
                copy_latest_checkpoint(args.from_run, Path(scratch) / name)
            run = TrainingRun(config, "en", "fr", Path(scratch) / name, args.data, resume=bool(args.from_run))
            run.model.train()
            run.discriminator.train()
            runs[name] = run
        seconds: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.turns):
            for name, run in runs.items():
                # Every variant starts from the same seed or checkpoint: turn t of each sees the same batches.
                started = time.perf_counter()
                for _ in range(args.steps):
                    run.train_step(lambda run=run: {lang: next(s) for lang, s in run.streams.items()})
                seconds[name].append((time.perf_counter() - started) / args.steps)

    reference = statistics.median(seconds[args.variant[0][0]])
    results = {
        name: {"overrides": overrides, "seconds_per_step_median": round(statistics.median(seconds[name]), 4),
               "ratio_to_first": round(statistics.median(seconds[name]) / reference, 3),
               "seconds_per_step_per_turn": [round(s, 4) for s in seconds[name]]}
        for name, overrides in args.variant
    }
    report = {"config": str(args.config), "from_run": str(args.from_run) if args.from_run else None,
              "common_overrides": common, "phase": args.phase, "steps_per_turn": args.steps, "turns": args.turns,
              "variants": results}
    write_report(args.out, report)
    for name, result in results.items():
        print(f"{name:>16}: {result['seconds_per_step_median']:.3f} s/step, x{result['ratio_to_first']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
