"""Where a step's time goes, for benchmarks/speed.py: operator and Python-function profiles of a few steps, and
the changes a profile points at, each timed in isolation against what unmt does now."""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import torch

from unmt.data.vocab import EOS, PAD
from unmt.translation.train import TrainingRun


def profile_steps(run: TrainingRun, steps: int, top: int = 25) -> dict:
    """Where a step's time goes by operator (torch.profiler, self time) and by Python function (cProfile, own time),
    each over `steps` further steps of the run; both add overhead, so read shares, not seconds."""
    import cProfile
    import pstats

    draw = lambda: {lang: next(stream) for lang, stream in run.streams.items()}  # noqa: E731
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        started = time.perf_counter()
        for _ in range(steps):
            run.train_step(draw)
        wall = time.perf_counter() - started
    events = [e for e in profiler.key_averages() if e.self_cpu_time_total > 0]
    total = sum(e.self_cpu_time_total for e in events)
    operators = [
        {
            "op": e.key, "self_share": round(e.self_cpu_time_total / total, 4),
            "calls_per_step": round(e.count / steps, 1)
        }
        for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[:top]
    ]
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(steps):
        run.train_step(draw)
    profile.disable()
    stats = pstats.Stats(profile).stats  # (file, line, name) -> (calls, primitive calls, own time, cumulative, callers)
    own_total = sum(v[2] for v in stats.values())
    functions = [{"function": f"{Path(k[0]).name}:{k[1]}:{k[2]}", "own_share": round(v[2] / own_total, 4),
                  "cumulative_share": round(v[3] / own_total, 4), "calls_per_step": round(v[0] / steps, 1)}
                 for k, v in sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]]
    return {"steps": steps, "profiled_wall_seconds": round(wall, 2), "operators_by_self_time": operators,
            "python_functions_by_own_time": functions}


def candidate_optimisations(run: TrainingRun, groups: list, reps: int) -> dict:
    """Changes that a profile points at, each timed in isolation against what unmt does now, on this run's own
    parameters and a captured batch's shapes (median of `reps`); none of them touches unmt's code."""
    def median_time(function) -> float:
        function()
        times = []
        for _ in range(reps):
            started = time.perf_counter()
            function()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    out = {}
    # 1. the generator's Adam step: the default (a loop over tensors on CPU) against the multi-tensor and fused kernels
    params = [p.detach().clone().requires_grad_(True) for p in run.model.parameters()]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    adam = {}
    for name, options in {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}.items():
        try:
            optimizer = torch.optim.Adam(params, lr=1e-4, betas=(0.9, 0.98), **options)
            adam[name] = median_time(optimizer.step)
        except (RuntimeError, TypeError) as error:  # a build without the kernel
            adam[name] = f"unavailable: {error}"
    out["adam_step_seconds"] = {k: round(v, 5) if isinstance(v, float) else v for k, v in adam.items()}
    # 2. the weight average: a lerp_ per tensor (WeightAverage.update) against one multi-tensor lerp
    averaged = [p.detach().clone() for p in run.model.parameters()]
    live = [p.detach() for p in run.model.parameters()]
    out["weight_average_seconds"] = {
        "per_tensor_lerp": round(median_time(lambda: [a.lerp_(c, 0.005) for a, c in zip(averaged, live)]), 5),
        "foreach_lerp": round(median_time(lambda: torch._foreach_lerp_(averaged, live, 0.005)), 5),
    }
    # 3. the teacher-forced output layer + label-smoothed loss (objectives.sequence_losses): logits at every padded
    #    position, class axis moved by transpose, against logits at the real positions only, rows contiguous
    targets = [r for g in groups[-1] for r in g.target]
    B, T, d = len(targets), max(len(r) for r in targets) + 1, run.model.config.d_model
    gold = torch.full((B, T), PAD, dtype=torch.long)
    for i, row in enumerate(targets):
        gold[i, : len(row) + 1] = torch.tensor(row + [EOS])
    hidden = torch.randn(B, T, d, requires_grad=True)
    weight = run.model.embed.weight.detach().clone().requires_grad_(True)
    smoothing = run.config.optim.label_smoothing
    real = gold != PAD

    def padded():
        logits = hidden @ weight.T
        torch.nn.functional.cross_entropy(logits.transpose(1, 2), gold, ignore_index=PAD, reduction="none",
                                          label_smoothing=smoothing).sum().backward()

    def rows_contiguous():  # every padded position still, but (B*T, V) rows instead of the transposed (B, V, T)
        logits = hidden @ weight.T
        torch.nn.functional.cross_entropy(logits.view(B * T, -1), gold.view(-1), ignore_index=PAD, reduction="none",
                                          label_smoothing=smoothing).view(B, T).sum().backward()

    def packed():
        logits = hidden[real] @ weight.T
        torch.nn.functional.cross_entropy(logits, gold[real], reduction="sum", label_smoothing=smoothing).backward()

    out["output_layer_and_loss_seconds"] = {"all_padded_positions": round(median_time(padded), 5),
                                             "all_positions_rows_contiguous": round(median_time(rows_contiguous), 5),
                                             "real_positions_only": round(median_time(packed), 5),
                                             "rows": B, "padded_positions": B * T, "real_positions": int(real.sum())}
    return out
