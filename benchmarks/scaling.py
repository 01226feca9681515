"""Training throughput at world size 1 and 2 (torchrun, gloo, one thread per process) on the Multi30k recipe shape,
and the scaling efficiency: tokens/s at 2 over twice tokens/s at 1. Writes one JSON.

A control tells the cost of distribution from the cost of the machine: two independent single-process runs side by
side, whose summed tokens/s over twice one run alone is what this machine gives two processes at best.

Every run trains the recipe (configs/multi30k_en_fr.yaml) from scratch for --steps steps with denoising,
back-translation and the adversarial term all on, back-translating word by word through one lexicon induced once
and copied into every run folder (so the runs time training, not the lexicon's setup, and every step's work is the
same whatever the model has learned). Throughput counts the target tokens of the world's whole batch over the
training clock between the first and the last metrics line; world sizes alternate, and the median repetition is
reported.

    python benchmarks/scaling.py --raw ../shared/data/multi30k --steps 60 --repeats 3
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import timestamped, write_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OVERRIDES = ["losses.ae=1", "losses.bt=1", "losses.adv=0.1", "back_translation.word_by_word_steps=1000000",
             "pretraining.init_embeddings=random", "evaluation.every=1000000", "runtime.max_minutes=0",
             "runtime.threads=1", "model.dropout=0"]


def command_for(checkpoints: Path, run: str, data: Path, steps: int, world: int, lexicon: Path | None) -> list[str]:
    if lexicon is not None:
        (checkpoints / run).mkdir(parents=True)
        shutil.copy(lexicon, checkpoints / run / "lexicon.json")
    launcher = (
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(world), "-m", "unmt"]
        if world > 1
        else [sys.executable, "-m", "unmt"]
    )
    command = [*launcher, "--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr",
               "--data", str(data), "--config", str(ROOT / "configs" / "multi30k_en_fr.yaml"), "--run-name", run,
               "--max-steps", str(steps)]
    for assignment in OVERRIDES:
        command += ["--set", assignment]
    return command


def train_side_by_side(
    runs: list[tuple[Path, str, int]], data: Path, steps: int, lexicon: Path | None
) -> list[list[dict]]:
    """Starts every (checkpoints, run, world size) at once and returns each run's metrics records."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    processes = [subprocess.Popen(command_for(c, r, data, steps, w, lexicon), stdout=subprocess.DEVNULL, env=env)
                 for c, r, w in runs]
    if any(process.wait() != 0 for process in processes):
        raise SystemExit("a training run failed: see its message above")
    return [[json.loads(line) for line in (c / r / "metrics.jsonl").read_text().splitlines()] for c, r, _ in runs]


def train(checkpoints: Path, run: str, data: Path, steps: int, world: int, lexicon: Path | None) -> list[dict]:
    return train_side_by_side([(checkpoints, run, world)], data, steps, lexicon)[0]


def tokens_per_second(records: list[dict]) -> float:
    lines = [r for r in records if r.get("kind") == "train"]
    first, last = lines[0], lines[-1]  # the first line's steps include warm-up: count from its end
    steps_between = last["step"] - first["step"]
    tokens = sum(r["target_tokens"] * 10 for r in lines[1:])  # each line holds the mean over its 10 steps
    assert steps_between == 10 * (len(lines) - 1)
    return tokens / (last["seconds"] - first["seconds"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=ROOT.parent / "shared" / "data" / "multi30k")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=timestamped("scaling"))
    args = parser.parse_args()
    if args.steps < 30 or args.steps % 10:
        parser.error("--steps must be a multiple of 10, at least 30")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        data = scratch / "data"
        subprocess.run(
            [sys.executable, str(ROOT / "data_scripts" / "prepare_multi30k.py"), str(args.raw), str(data)], check=True
        )
        train(scratch / "prep", "prep", data, 10, 1, None)  # induces the lexicon once
        lexicon = scratch / "prep" / "prep" / "lexicon.json"
        rates: dict[str, list[float]] = {"1": [], "2": [], "two_independent": []}
        for repeat in range(args.repeats):
            for world in (1, 2):
                records = train(scratch / f"r{repeat}w{world}", "run", data, args.steps, world, lexicon)
                rates[str(world)].append(tokens_per_second(records))
                print(f"repeat {repeat} world {world}: {rates[str(world)][-1]:.0f} target tokens/s", flush=True)
            pair = [(scratch / f"r{repeat}p{i}", "run", 1) for i in range(2)]
            rates["two_independent"].append(
                sum(map(tokens_per_second, train_side_by_side(pair, data, args.steps, lexicon)))
            )
            print(
                f"repeat {repeat} two independent runs: {rates['two_independent'][-1]:.0f} target tokens/s", flush=True
            )
    median = {name: statistics.median(values) for name, values in rates.items()}
    result = {
        "config": "configs/multi30k_en_fr.yaml", "overrides": OVERRIDES, "steps": args.steps,
        "per_rank_batch": "data.max_tokens=500 per language (world 2: global batch twice that)",
        "target_tokens_per_second": {name: [round(v, 1) for v in values] for name, values in rates.items()},
        "median": {name: round(v, 1) for name, v in median.items()},
        "scaling_efficiency": round(median["2"] / (2 * median["1"]), 3),
        # what two processes get from this machine at all, and the distributed run against that
        "machine_efficiency_two_independent": round(median["two_independent"] / (2 * median["1"]), 3),
        "distributed_against_two_independent": round(median["2"] / median["two_independent"], 3),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "overrides"}))
    write_report(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
