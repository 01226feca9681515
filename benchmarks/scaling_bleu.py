"""Does training on two processes learn what one process learns from the same global batches? The toy demo's
recipe for --steps steps at equal global batch: world size 2 (torchrun, gloo, data.max_tokens=500 per rank) against
world size 1 with the batch doubled (data.max_tokens=1000), for each seed; test BLEU of both directions at the end.
Writes one JSON.

    python benchmarks/scaling_bleu.py --steps 1000 --seeds 1 2
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import timestamped, write_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def final_bleu(checkpoints: Path, world: int, seed: int, steps: int) -> dict:
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "unmt"] if world == 2 \
        else [sys.executable, "-m", "unmt"]
    max_tokens, threads = (500, 1) if world == 2 else (1000, 2)  # the same global batch and the same two cores
    command = [*launcher, "--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr",
               "--run-name", f"w{world}s{seed}", "--max-steps", str(steps), "--set", f"data.max_tokens={max_tokens}",
               "--set", f"runtime.seed={seed}", "--set", f"runtime.threads={threads}", "--set", "runtime.max_minutes=0",
               "--set", f"evaluation.every={steps}"]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    if subprocess.run(command, stdout=subprocess.DEVNULL, env=env).returncode != 0:
        raise SystemExit(f"training at world size {world}, seed {seed} failed: see its message above")
    records = [
        json.loads(line) for line in (checkpoints / f"w{world}s{seed}" / "metrics.jsonl").read_text().splitlines()
    ]
    last = [r for r in records if r.get("kind") == "eval"][-1]
    return {
        "step": last["step"], "seconds": last["seconds"], "en-fr": last["test_bleu_en-fr"],
        "fr-en": last["test_bleu_fr-en"]
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path, default=timestamped("scaling_bleu"))
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"world_1_batch_1000": [], "world_2_batch_500_each": []}
    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            for world, name in ((1, "world_1_batch_1000"), (2, "world_2_batch_500_each")):
                runs[name].append({"seed": seed, **final_bleu(Path(scratch), world, seed, args.steps)})
                print(name, runs[name][-1], flush=True)
    means = {
        name: {d: round(statistics.mean(r[d] for r in rs), 2) for d in ("en-fr", "fr-en")} for name, rs in runs.items()
    }
    result = {"steps": args.steps, "runs": runs, "mean": means}
    print(json.dumps(means))
    write_report(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
