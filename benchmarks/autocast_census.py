"""What bf16 autocast adds to a UNMT training step, counted rather than timed: the aten operators dispatched per
step and the casts among them (calls and elements converted), in fp32 and under autocast, split between
back-translation generation and the rest, with the largest casts by shape. Counts do not depend on whether the CPU
has bf16 units, so they can be taken on any machine; they say where a step spends what bf16's faster matrix
products win (issue 44, part 3).

    python benchmarks/autocast_census.py --run multi30k=RUN_DIR:DATA_DIR --steps 3

Variants: fp32, bf16 (runtime.precision=bf16) and, with `--before`, bf16 with the code before issue 44's cuts
(speed_instruments' @before_host_cuts), each resumed from the run's latest checkpoint on the same batches.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))
from op_count import GENERATION, ancestor_names, operator_counts  # noqa: E402
from report import timestamped, write_report  # noqa: E402
from speed import parse_run  # noqa: E402
from speed_fixed_cost import Probe  # noqa: E402
from speed_instruments import code_variant  # noqa: E402
from speed_training import build_runs  # noqa: E402

VARIANTS = {"fp32": [], "bf16": ["runtime.precision=bf16"]}
BEFORE = {"bf16_before_host_cuts": ["runtime.precision=bf16", "@before_host_cuts"]}
CAST = "aten::_to_copy"


def census(events, steps: int, decode_steps: int, largest: int = 8) -> dict:
    """Per training step: operators (all, top level), casts and the elements they convert, overall and in
    generation; per decoding step for generation; the casts' largest shapes."""
    counts = operator_counts(events)
    casts = {"generation": [0, 0], "other": [0, 0]}
    by_shape: Counter = Counter()
    for event in events:
        if event.name != CAST or not event.input_shapes or not event.input_shapes[0]:
            continue
        shape = tuple(event.input_shapes[0])
        elements = math.prod(shape)
        where = "generation" if GENERATION in ancestor_names(event) else "other"
        casts[where][0] += 1
        casts[where][1] += elements
        by_shape[shape] += elements
    per_step = {
        "ops_all": counts["all"] / steps, "ops_top_level": counts["top_level"] / steps,
        "generation_ops_all": counts["generation_all"] / steps,
        "casts": (casts["generation"][0] + casts["other"][0]) / steps,
        "cast_elements": (casts["generation"][1] + casts["other"][1]) / steps,
        "generation_casts": casts["generation"][0] / steps, "generation_cast_elements": casts["generation"][1] / steps,
    }
    out = {key: round(value, 1) for key, value in per_step.items()}
    out["decode_steps_per_step"] = round(decode_steps / steps, 1)
    if decode_steps:
        out["generation_cast_elements_per_decode_step"] = round(casts["generation"][1] / decode_steps, 1)
        out["generation_ops_per_decode_step"] = round(counts["generation_all"] / decode_steps, 1)
    out["largest_casts"] = [
        {"shape": list(shape), "elements_per_step": round(elements / steps, 1)}
        for shape, elements in by_shape.most_common(largest)
    ]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", type=parse_run, required=True, help="NAME=RUN_DIR[:DATA_DIR]")
    parser.add_argument("--steps", type=int, default=3, help="profiled steps per variant")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--before", action="store_true", help="also bf16 with the code before issue 44's cuts")
    parser.add_argument("--out", type=Path, default=timestamped("autocast_census"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    variants = {**VARIANTS, **(BEFORE if args.before else {})}
    report = {"variants": variants, "steps": args.steps, "shapes": {}}
    with tempfile.TemporaryDirectory() as scratch:
        for name, run_dir, data_dir in args.run:
            runs = build_runs(run_dir, data_dir, Path(scratch) / name, [f"runtime.threads={args.threads}"], variants)
            shape = report["shapes"][name] = {"run": str(run_dir)}
            for variant, run in runs.items():
                with code_variant(variants[variant]):
                    for _ in range(args.warmup):
                        run.train_step()
                    probe = Probe()
                    with probe.active(), torch.profiler.profile(record_shapes=True) as profiler:
                        for _ in range(args.steps):
                            run.train_step()
                shape[variant] = census(profiler.events(), args.steps, probe.decode_steps)
                print(f"{name} {variant}: {shape[variant]['ops_all']} ops, {shape[variant]['casts']} casts of "
                      f"{shape[variant]['cast_elements']:.3g} elements a step", file=sys.stderr, flush=True)
            fp32, bf16 = shape["fp32"], shape["bf16"]
            shape["bf16_over_fp32_ops_all"] = round(bf16["ops_all"] / fp32["ops_all"], 3)
            del runs
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "FATAL")
    sys.exit(main())
