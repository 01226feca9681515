"""The UNMT step as benchmarks/speed.py times it: one resumed copy of a trained run per variant, turns of steps in
alternation, the time split into the issue's categories, and denoising told apart from back-translation on the
same captured batches."""
from __future__ import annotations

import contextlib
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

import unmt.translation.objectives as objectives_module
from speed_ceiling import sync
from speed_instruments import CATEGORIES, Flops, Regions, code_variant, instrumented
from step_cost import copy_latest_checkpoint
from unmt.config import load_config
from unmt.translation.train import TrainingRun

# Held constant while timing. A run's bilingual dictionary only feeds the word-by-word phase, which is off here
# (and the configuration refuses a dictionary without it).
PHASE = ["losses.ae=1", "losses.bt=1", "back_translation.word_by_word_steps=0", "back_translation.dictionary="]
VARIANTS = {"with_discriminator": [], "without_discriminator": ["losses.adv=0"]}


def build_runs(
    run_dir: Path, data_dir: Path, scratch: Path, settings: list[str], variants: dict[str, list[str]]
) -> dict[str, TrainingRun]:
    """One resumed copy of the trained run per variant: every variant starts from the same weights and batches."""
    runs = {}
    for name, overrides in variants.items():
        config = load_config(
            run_dir / "config.yaml", [*settings, *PHASE, *(o for o in overrides if not o.startswith("@"))]
        )
        copy_latest_checkpoint(run_dir, scratch / name)
        run = TrainingRun(config, *languages(run_dir), scratch / name, data_dir, resume=True)
        run.model.train()
        run.discriminator.train()
        runs[name] = run
    return runs


def languages(run_dir: Path) -> tuple[str, str]:
    return tuple(json.loads((run_dir / "run.json").read_text())["languages"])


def timed_turn(run: TrainingRun, steps: int, regions: Regions, flops: Flops) -> dict:
    regions.seconds.clear()
    flops.executed = flops.model = 0.0
    flops.bt_source_tokens = flops.bt_output_tokens = 0
    tokens = 0

    def draw():
        with regions.region("host.batching"):
            return {lang: next(stream) for lang, stream in run.streams.items()}

    started = time.perf_counter()
    for _ in range(steps):
        with regions.region("step"):
            tokens += run.train_step(draw)["target_tokens"]
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "target_tokens": tokens, "regions": dict(regions.seconds),
            "flops_executed": flops.executed, "flops_model": flops.model,
            "bt_source_tokens": flops.bt_source_tokens, "bt_output_tokens": flops.bt_output_tokens}


def split_denoising_from_back_translation(run: TrainingRun, groups_per_step: list, reps: int) -> dict:
    """Forward + backward of the denoising groups alone, of the back-translation groups alone, and of both as the
    step does it (rows of alike length in a pass of their own, objectives.length_passes), on the same captured
    batches; also back-translation alone and both forced into one padded pass (the step before length passes).
    The kinds alternate within each repetition, so drift lands on all of them; each kind's median is kept."""
    config = run.config

    def fwd_bwd(groups, max_passes: int) -> float:
        default, objectives_module.MAX_PASSES = objectives_module.MAX_PASSES, max_passes
        try:
            run.model.zero_grad(set_to_none=True)
            started = time.perf_counter()
            computed = objectives_module.sequence_losses(
                run.model, groups, run.vocab.lang_ids, run.device, config.optim.label_smoothing
            )
            sum(g.weight * loss for g, loss in zip(groups, computed.losses)).backward()
            sync(run.device)
            return time.perf_counter() - started
        finally:
            objectives_module.MAX_PASSES = default

    def denoising(groups):
        return [g for g in groups if g.name.startswith("ae_")]

    def back_translation(groups):
        return [g for g in groups if g.name.startswith("bt_")]

    step_passes = objectives_module.MAX_PASSES
    kinds = {"denoising": (denoising, step_passes), "back_translation": (back_translation, step_passes),
             "both_as_the_step_does": (lambda groups: groups, step_passes),
             "back_translation_in_one_pass": (back_translation, 1), "both_in_one_pass": (lambda groups: groups, 1)}
    times = {kind: [] for kind in kinds}
    for _ in range(reps):
        for kind, (pick, max_passes) in kinds.items():
            times[kind].append(sum(fwd_bwd(pick(groups), max_passes) for groups in groups_per_step))
    run.model.zero_grad(set_to_none=True)
    seconds = {kind: statistics.median(values) for kind, values in times.items()}
    apart = seconds["denoising"] + seconds["back_translation"]
    passes = [
        len(
            objectives_module.length_passes(
                [len(r) + 1 for g in groups for r in g.source], [len(r) + 1 for g in groups for r in g.target]
            )
        )
        for groups in groups_per_step
    ]
    return {
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
        "ae_share": round(seconds["denoising"] / apart, 4),
        "step_over_apart": round(seconds["both_as_the_step_does"] / apart, 4),
        "one_pass_over_step": round(seconds["both_in_one_pass"] / seconds["both_as_the_step_does"], 4),
        "back_translation_one_pass_over_step": round(
            seconds["back_translation_in_one_pass"] / seconds["back_translation"], 4
        ),
        "passes_per_step": passes,
        "steps": len(groups_per_step),
        "reps": reps,
    }


def turn_split(turn: dict, ae_share: float) -> dict[str, float]:
    """A turn's time by the issue's categories, as shares of the turn."""
    split = defaultdict(float)
    for name, value in turn["regions"].items():
        split[CATEGORIES.get(name, "other")] += value
    shared = split.pop("denoise_bt_forward_backward", 0.0)
    split["denoising_forward_backward"] = shared * ae_share
    split["back_translation_forward_backward"] = shared * (1 - ae_share)
    split["other"] += turn["seconds"] - sum(turn["regions"].values())  # the loop itself, outside every region
    return {k: v / turn["seconds"] for k, v in split.items()}


def summarise(turns: list[dict], ae_share: float, ceiling_gflops: float) -> dict:
    """Per-turn figures and their medians: a turn disturbed by the shared machine moves a median, not a sum."""
    rates = [t["target_tokens"] / t["seconds"] for t in turns]
    splits = [turn_split(t, ae_share) for t in turns]
    keys = sorted({k for split in splits for k in split})
    median_split = {k: statistics.median(split.get(k, 0.0) for split in splits) for k in keys}
    norm = sum(median_split.values())
    regions = defaultdict(float)
    for turn in turns:
        for name, value in turn["regions"].items():
            regions[name] += value
    steps = sum(t["steps"] for t in turns)
    per_turn = lambda key: [t[key] / t["seconds"] / 1e9 for t in turns]  # noqa: E731  GFLOP/s of each turn
    return {
        "target_tokens_per_second_median": round(statistics.median(rates), 1),
        "target_tokens_per_second_per_turn": [round(r, 1) for r in rates],
        "seconds_per_step_median": round(statistics.median(t["seconds"] / t["steps"] for t in turns), 4),
        "target_tokens_per_step": round(sum(t["target_tokens"] for t in turns) / steps, 1),
        "time_split": {k: round(v / norm, 4) for k, v in sorted(median_split.items(), key=lambda kv: -kv[1])},
        "time_split_per_turn": [{k: round(v, 4) for k, v in split.items()} for split in splits],
        "regions_seconds_all_turns": {k: round(v, 3) for k, v in sorted(regions.items(), key=lambda kv: -kv[1])},
        "gflops_per_step_executed": round(sum(t["flops_executed"] for t in turns) / steps / 1e9, 3),
        "gflops_per_step_model": round(sum(t["flops_model"] for t in turns) / steps / 1e9, 3),
        "achieved_gflops_median": round(statistics.median(per_turn("flops_executed")), 2),
        "mfu": round(statistics.median(per_turn("flops_model")) / ceiling_gflops, 4),
        "hfu": round(statistics.median(per_turn("flops_executed")) / ceiling_gflops, 4),
        "bt_output_over_source_tokens": round(
            sum(t["bt_output_tokens"] for t in turns) / max(1, sum(t["bt_source_tokens"] for t in turns)), 3
        ),
    }


def measure_training(
    runs: dict[str, TrainingRun], steps: int, turns: int, warmup: int, regions: Regions, flops: Flops, captured: list,
    between=None, variants: dict[str, list[str]] | None = None
) -> tuple[dict[str, list[dict]], list]:
    """Warm-up steps, then `turns` turns of `steps` steps per variant in alternation; `between` (the peer) runs
    once half the turns are done, so drift over the session lands on both sides of it. A variant with a code
    change (`variants`' "@NAME") has it applied during its own steps only."""
    variants = variants or {}
    results: dict[str, list[dict]] = {name: [] for name in runs}
    groups: list = []

    @contextlib.contextmanager
    def measured(name: str):  # the variant's code first, so that the instruments wrap what it put in place
        with code_variant(variants.get(name, [])), instrumented(regions, flops, captured):
            yield

    for name, run in runs.items():
        with measured(name):
            timed_turn(run, warmup, regions, flops)
    for turn in range(turns):
        if between is not None and turn == (turns + 1) // 2:
            between()
        for name, run in runs.items():
            with measured(name):
                results[name].append({**timed_turn(run, steps, regions, flops), "steps": steps})
            if name == next(iter(runs)):
                groups = list(captured)
    return results, groups
