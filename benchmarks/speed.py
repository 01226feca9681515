"""Training and translation speed against the machine's own matrix-multiply ceiling and against fairseq, in one run.

    python benchmarks/speed.py --run toy=RUNS/toy300 --run multi30k=RUNS/enfr1h:DATA \
        --peer-python benchmarks/peers/.venv/bin/python --out benchmarks/results/speed-DATE.json
    python benchmarks/speed.py --quick --out /tmp/speed-quick.json   # a tiny run trained on the spot: a smoke test

One JSON holds:
- the ceiling: the measured dense matmul rate, fp32 (and bf16 where the hardware has it), square and at the
  model's own shapes;
- per trained run (`--run NAME=RUN_DIR[:DATA_DIR]`; a run trained without --data keeps its toy corpus in RUN/data):
  the UNMT step resumed from the run's latest checkpoint, with and without the latent discriminator (losses.adv=0,
  what fairseq's online back-translation lacks), both with denoising and back-translation weighted 1 (the phase
  fairseq trains in). Target tokens/s of the median turn; the step's time split by wrapping unmt's own functions
  from here (nothing under unmt/ is edited): host work (noise, batching, padding), back-translation generation,
  the one batched forward pass of denoising + back-translation and its backward, the discriminator, the
  optimisers; analytic FLOPs of the step over its time over the ceiling (MFU);
- translation sentences/s, greedy and beam 5, at batch sizes 1, 16 and 64 (`Translator.translate`: raw text in,
  detokenised text out), en->fr, on the first N test sentences;
- with `--peer-python`, fairseq's online_backtranslation at the same shape, data, batch and starting weights
  (benchmarks/peers/fairseq_obt.py in its own environment), run between two halves of our turns;
- the peak RSS, the machine, the commands' arguments.

Denoising and back-translation share the step's forward and backward passes (unmt.translation.objectives, rows
grouped by length, not by objective): their split is the ratio of the two measured apart on the same captured
batches (`ae_share`), applied to the shared passes.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from machine_info import machine  # noqa: E402
from step_cost import copy_latest_checkpoint  # noqa: E402

import unmt.models.dropout as dropout_module  # noqa: E402
import unmt.translation.back_translator as back_translator_module  # noqa: E402
import unmt.translation.objectives as objectives_module  # noqa: E402
import unmt.translation.step as step_module  # noqa: E402
from unmt.adversarial.trainer import AlternatingTrainer  # noqa: E402
from unmt.config import load_config  # noqa: E402
from unmt.data.corpus import read_lines  # noqa: E402
from unmt.data.vocab import EOS, PAD  # noqa: E402
from unmt.hardware import has_bf16  # noqa: E402
from unmt.models.discriminators import LatentDiscriminator  # noqa: E402
from unmt.models.transformer import Transformer  # noqa: E402
from unmt.translation.averaging import WeightAverage  # noqa: E402
from unmt.translation.train import TrainingRun  # noqa: E402

ROOT = HERE.parent
PHASE = ["losses.ae=1", "losses.bt=1", "back_translation.word_by_word_steps=0"]  # held constant while timing
VARIANTS = {"with_discriminator": [], "without_discriminator": ["losses.adv=0"]}


@contextlib.contextmanager
def torch_dropout():
    """unmt's dropout layers with torch's own masks (one draw of the CPU generator per element), as before
    unmt.models.dropout."""
    original = dropout_module.dropout
    dropout_module.dropout = lambda x, p, training=True: torch.nn.functional.dropout(x, p, training)
    try:
        yield
    finally:
        dropout_module.dropout = original


# Variants that differ in code, not in configuration: "@NAME" among a variant's overrides runs its turns inside this.
CODE_VARIANTS = {"torch_dropout": torch_dropout}


def code_variant(overrides: list[str]) -> contextlib.AbstractContextManager:
    names = [o[1:] for o in overrides if o.startswith("@")]
    unknown = [n for n in names if n not in CODE_VARIANTS]
    if unknown or len(names) > 1:
        raise SystemExit(f"a variant takes at most one of @{', @'.join(CODE_VARIANTS)}, not {names}")
    return CODE_VARIANTS[names[0]]() if names else contextlib.nullcontext()


# region -> what the issue calls it; the shared forward/backward pass is split by ae_share afterwards
CATEGORIES = {
    "host.noise": "host", "host.padding": "host", "host.batching": "host", "host.groups": "host",
    "bt.generation": "bt_generation",
    "g.forward": "denoise_bt_forward_backward", "generator.backward": "denoise_bt_forward_backward",
    "discriminator": "discriminator", "discriminator.backward": "discriminator", "adv.fooling_forward": "discriminator",
    "generator": "optimizer_and_average", "ema": "optimizer_and_average",
    "step": "other", "generator.loss_glue": "other",
}


# --- the ceiling -----------------------------------------------------------------------------------------
def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_rate(m: int, k: int, n: int, dtype: torch.dtype, device: torch.device, seconds: float, reps: int = 5) -> float:
    """Median GFLOP/s of (m, k) @ (k, n) over `reps` timed repetitions of about seconds/reps each."""
    a, b = torch.randn(m, k, device=device).to(dtype), torch.randn(k, n, device=device).to(dtype)
    for _ in range(2):
        a @ b
    _sync(device)
    started = time.perf_counter()
    a @ b
    _sync(device)
    iterations = max(1, int(seconds / reps / max(time.perf_counter() - started, 1e-7)))
    rates = []
    for _ in range(reps):
        started = time.perf_counter()
        for _ in range(iterations):
            a @ b
        _sync(device)
        rates.append(2 * m * k * n * iterations / (time.perf_counter() - started) / 1e9)
    return statistics.median(rates)


def ceiling(device: torch.device, shapes: dict[str, tuple[int, int, int]], seconds: float) -> dict:
    dtypes = {"fp32": torch.float32, **({"bf16": torch.bfloat16} if has_bf16(device) else {})}
    rates = {name: {label: round(matmul_rate(*shape, dtype, device, seconds), 1) for label, shape in shapes.items()}
             for name, dtype in dtypes.items()}
    return {"gflops": rates, "shapes_mkn": shapes, "fp32_ceiling_gflops": max(rates["fp32"].values()),
            "hardware_bf16": has_bf16(device),
            "cpu_capability": torch.backends.cpu.get_cpu_capability() if device.type == "cpu" else None}


# --- timing regions and FLOPs, wrapped around unmt's functions -------------------------------------------
class Regions:
    """Exclusive wall time per named region: a region's time excludes the regions nested in it."""

    def __init__(self, device: torch.device):
        self.device, self.seconds, self._stack = device, defaultdict(float), []

    @contextlib.contextmanager
    def region(self, name: str):
        frame = [name, 0.0]
        self._stack.append(frame)
        started = time.perf_counter()
        try:
            yield
        finally:
            _sync(self.device)
            elapsed = time.perf_counter() - started
            self._stack.pop()
            self.seconds[name] += elapsed - frame[1]
            if self._stack:
                self._stack[-1][1] += elapsed

    def parent(self) -> str:
        return self._stack[-1][0] if self._stack else "none"

    def wrap(self, function, name):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.region(name(*args, **kwargs) if callable(name) else name):
                return function(*args, **kwargs)
        return wrapper


class Flops:
    """Analytic matmul FLOPs of what the model computes (padded shapes, `executed`) and of the real tokens alone
    (`model`); a call with gradients enabled counts its backward pass as twice its forward."""

    def __init__(self):
        self.executed = self.model = 0.0
        self.bt_source_tokens = self.bt_output_tokens = 0  # back-translation lengths (EOS excluded), beside the FLOPs

    def back_translation(self, rows, outputs):
        self.bt_source_tokens += sum(len(r) for r in rows)
        self.bt_output_tokens += sum(len(r) for r in outputs)

    def add(self, per_token: float, padded: float, real: float) -> None:
        factor = 3.0 if torch.is_grad_enabled() else 1.0
        self.executed += factor * per_token * padded
        self.model += factor * per_token * real

    def encode(self, model, src, mask):
        c = model.config
        d, f, S = c.d_model, c.ffn_dim, src.shape[1]
        self.add(c.encoder_layers * (2 * (4 * d * d + 2 * d * f) + 4 * S * d), src.numel(), float(mask.sum()))

    def decoder_states(self, model, tgt_in, memory, mask):
        """The teacher-forced decoder body; its output layer is counted where it runs (output_logits)."""
        c = model.config
        d, f, S, T = c.d_model, c.ffn_dim, memory.shape[1], tgt_in.shape[1]
        per_token = c.decoder_layers * (2 * (6 * d * d + 2 * d * f) + 4 * T * d + 4 * S * d)
        self.add(per_token, tgt_in.numel(), float((tgt_in != PAD).sum()))
        self.add(c.decoder_layers * 4 * d * d, memory.shape[0] * S, float(mask.sum()))  # cross-attention keys/values

    def output_logits(self, model, states):
        """The tied output layer on the rows it is given (the loss gives only real target positions)."""
        rows = states.numel() // states.shape[-1]
        self.add(2 * model.config.d_model * model.config.vocab_size, rows, rows)

    def decode_step(self, model, token, memory, mask, cache, step):
        c = model.config
        d, f, V, S = c.d_model, c.ffn_dim, c.vocab_size, memory.shape[1]
        B = token.shape[0]
        self.add(c.decoder_layers * (2 * (6 * d * d + 2 * d * f) + 4 * (step + 1) * d + 4 * S * d) + 2 * d * V, B, B)
        if "cross_k" not in cache[0]:  # the first step projects the source's keys and values once
            self.add(c.decoder_layers * 4 * d * d, B * S, float(mask.sum()))

    def discriminator(self, module, states):
        per_state = sum(2 * layer.in_features * layer.out_features for layer in module.net if isinstance(layer, torch.nn.Linear))
        self.add(per_state, states.shape[0], states.shape[0])


@contextlib.contextmanager
def instrumented(regions: Regions, flops: Flops, captured: list):
    """Wraps unmt's step functions for the duration; every original is put back on exit."""
    def counting(function, count):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            count(*args, **kwargs)
            return function(*args, **kwargs)
        return wrapper

    def capturing(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            groups = function(*args, **kwargs)
            captured.append(groups)
            del captured[:-4]  # the last few steps' loss groups, for the denoising/back-translation split
            return groups
        return wrapper

    def lengths(function):
        @functools.wraps(function)
        def wrapper(translator, rows, to_langs):
            outputs = function(translator, rows, to_langs)
            flops.back_translation(rows, outputs)
            return outputs
        return wrapper

    patches = [
        (step_module.UNMTStep, "noisy", lambda f: regions.wrap(f, "host.noise")),
        (step_module.UNMTStep, "loss_groups", lambda f: capturing(regions.wrap(f, "host.groups"))),
        (step_module.UNMTStep, "generator_loss", lambda f: regions.wrap(f, "generator.loss_glue")),
        (step_module.UNMTStep, "discriminator_loss", lambda f: regions.wrap(f, "discriminator")),
        (step_module.UNMTStep, "fooling_loss", lambda f: regions.wrap(f, "adv.fooling_forward")),
        (step_module, "source_batch", lambda f: regions.wrap(f, "host.padding")),
        (objectives_module, "source_batch", lambda f: regions.wrap(f, "host.padding")),
        (objectives_module, "target_batch", lambda f: regions.wrap(f, "host.padding")),
        (back_translator_module, "source_batch", lambda f: regions.wrap(f, "host.padding")),
        (back_translator_module.BackTranslator, "_decode", lambda f: lengths(regions.wrap(f, "bt.generation"))),
        (objectives_module, "sequence_losses", lambda f: regions.wrap(f, "g.forward")),
        (AlternatingTrainer, "_update", lambda f: regions.wrap(f, lambda *a, **k: a[5] if len(a) > 5 else k["side"])),
        (torch.Tensor, "backward", lambda f: regions.wrap(f, lambda *a, **k: f"{regions.parent()}.backward")),
        (WeightAverage, "update", lambda f: regions.wrap(f, "ema")),
        (Transformer, "encode", lambda f: counting(f, flops.encode)),
        (Transformer, "decoder_states", lambda f: counting(f, flops.decoder_states)),
        (Transformer, "output_logits", lambda f: counting(f, flops.output_logits)),
        (Transformer, "decode_step", lambda f: counting(f, flops.decode_step)),
        (LatentDiscriminator, "forward", lambda f: counting(f, flops.discriminator)),
    ]
    originals = [(owner, name, owner.__dict__[name]) for owner, name, _ in patches]
    try:
        for owner, name, make in patches:
            setattr(owner, name, make(getattr(owner, name)))
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


# --- the training step -------------------------------------------------------------------------------
def build_runs(run_dir: Path, data_dir: Path, scratch: Path, settings: list[str], variants: dict[str, list[str]]) -> dict[str, TrainingRun]:
    """One resumed copy of the trained run per variant: every variant starts from the same weights and batches."""
    runs = {}
    for name, overrides in variants.items():
        config = load_config(run_dir / "config.yaml", [*settings, *PHASE, *(o for o in overrides if not o.startswith("@"))])
        copy_latest_checkpoint(run_dir, scratch / name)
        run = TrainingRun(config, *_languages(run_dir), scratch / name, data_dir, resume=True)
        run.model.train()
        run.discriminator.train()
        runs[name] = run
    return runs


def _languages(run_dir: Path) -> tuple[str, str]:
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
            computed = objectives_module.sequence_losses(run.model, groups, run.vocab.lang_ids, run.device, config.optim.label_smoothing)
            sum(g.weight * loss for g, loss in zip(groups, computed.losses)).backward()
            _sync(run.device)
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
    passes = [len(objectives_module.length_passes([len(r) + 1 for g in groups for r in g.source],
                                                  [len(r) + 1 for g in groups for r in g.target])) for groups in groups_per_step]
    return {"seconds": {k: round(v, 4) for k, v in seconds.items()}, "ae_share": round(seconds["denoising"] / apart, 4),
            "step_over_apart": round(seconds["both_as_the_step_does"] / apart, 4),
            "one_pass_over_step": round(seconds["both_in_one_pass"] / seconds["both_as_the_step_does"], 4),
            "back_translation_one_pass_over_step": round(seconds["back_translation_in_one_pass"] / seconds["back_translation"], 4),
            "passes_per_step": passes, "steps": len(groups_per_step), "reps": reps}


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
        "bt_output_over_source_tokens": round(sum(t["bt_output_tokens"] for t in turns) / max(1, sum(t["bt_source_tokens"] for t in turns)), 3),
    }


def measure_training(runs: dict[str, TrainingRun], steps: int, turns: int, warmup: int, regions: Regions, flops: Flops,
                     captured: list, between=None, variants: dict[str, list[str]] | None = None) -> tuple[dict[str, list[dict]], list]:
    """Warm-up steps, then `turns` turns of `steps` steps per variant in alternation; `between` (the peer) runs
    once half the turns are done, so drift over the session lands on both sides of it. A variant with a code
    change (`variants`' "@NAME") has it applied during its own steps only."""
    variants = variants or {}
    results: dict[str, list[dict]] = {name: [] for name in runs}
    groups: list = []
    with instrumented(regions, flops, captured):
        for name, run in runs.items():
            with code_variant(variants.get(name, [])):
                timed_turn(run, warmup, regions, flops)
        for turn in range(turns):
            if between is not None and turn == (turns + 1) // 2:
                between()
            for name, run in runs.items():
                with code_variant(variants.get(name, [])):
                    results[name].append({**timed_turn(run, steps, regions, flops), "steps": steps})
                if name == next(iter(runs)):
                    groups = list(captured)
    return results, groups


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
    operators = [{"op": e.key, "self_share": round(e.self_cpu_time_total / total, 4), "calls_per_step": round(e.count / steps, 1)}
                 for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[:top]]
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


def git_state() -> dict:
    """The commit measured, and the files under unmt/ that differ from it (others may be editing the tree)."""
    def git(*command):
        done = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip("\n") if done.returncode == 0 else None
    changed = git("status", "--porcelain", "--", "unmt")
    return {"commit": git("rev-parse", "HEAD"), "unmt_changes_uncommitted": changed.splitlines() if changed else []}


# --- translation ---------------------------------------------------------------------------------------
def measure_translation(run: TrainingRun, lines: list[str], beams: list[int], batches: list[int], reps: int) -> dict:
    src, tgt = run.languages
    out = {}
    for beam in beams:
        for batch in batches:
            rates, words = [], 0
            for _ in range(reps):
                started = time.perf_counter()
                outputs = run.translator.translate(lines, tgt, beam_size=beam, batch_size=batch)
                rates.append(len(lines) / (time.perf_counter() - started))
                words = sum(len(o.split()) for o in outputs)
            out[f"beam{beam}_batch{batch}"] = {"sentences_per_second_median": round(statistics.median(rates), 2),
                                              "per_rep": [round(r, 2) for r in rates], "output_words": words}
    return {"direction": f"{src}-{tgt}", "sentences": len(lines), "reps": reps, "results": out}


def test_sentences(data_dir: Path, lang: str, n: int) -> list[str]:
    for split in ("test", "valid", "train"):
        path = data_dir / f"{split}.{lang}"
        if path.is_file():
            return [line for line in read_lines(path) if line.strip()][:n]
    raise SystemExit(f"{data_dir} has no test/valid/train.{lang} to translate")


def peak_rss_mib(who=resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


# --- the peer ------------------------------------------------------------------------------------------
def run_peer(python: str, run_dir: Path, data_dir: Path, config, dropout: float, scratch: Path, args, out: Path) -> dict:
    """fairseq's online back-translation from the same weights (benchmarks/peers/), in its own environment."""
    sys.path.insert(0, str(HERE / "peers"))
    from warm_start import write_warm_start  # noqa: E402  (plain torch: no fairseq in this environment)

    work = scratch / "peer"
    checkpoint, dictionary = write_warm_start(run_dir, work)
    m = config.model
    command = [python, str(HERE / "peers" / "fairseq_obt.py"), "--work", str(work), "--data", str(data_dir),
               "--spm", str(run_dir / "spm.model"), "--dict", str(dictionary), "--warm-start", str(checkpoint),
               "--languages", *_languages(run_dir), "--d-model", str(m.d_model), "--heads", str(m.n_heads),
               "--encoder-layers", str(m.encoder_layers), "--decoder-layers", str(m.decoder_layers),
               "--ffn", str(m.ffn_dim), "--activation", m.activation, "--dropout", str(dropout),
               "--max-tokens", str(config.data.max_tokens), "--max-len", str(config.data.max_len),
               "--lr", str(config.optim.lr), "--warmup-updates", str(config.optim.warmup_steps),
               "--label-smoothing", str(config.optim.label_smoothing), "--threads", str(args.threads),
               "--updates", str(args.peer_updates), "--skip", str(args.peer_skip), "--out", str(out)]
    print("peer:", " ".join(command), file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the fairseq peer failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(out.read_text())


# --- quick mode: a tiny run trained here -----------------------------------------------------------------
QUICK = ["data.toy_sentences=400", "data.vocab_size=200", "data.max_tokens=200", "model.d_model=32", "model.n_heads=2",
         "model.encoder_layers=1", "model.decoder_layers=1", "model.ffn_dim=64", "discriminator.hidden=32",
         "evaluation.every=1000", "evaluation.sentences=10", "back_translation.word_by_word_steps=0",
         "pretraining.init_embeddings=random", "losses.bt=1", "runtime.max_minutes=0"]


def quick_run(scratch: Path, threads: int) -> tuple[Path, Path]:
    from unmt.translation.train import TrainingRun as Run
    config = load_config(ROOT / "configs" / "toy.yaml", [*QUICK, f"runtime.threads={threads}"])
    run = Run(config, "en", "fr", scratch / "quick", None)
    for _ in range(3):
        run.train_step(lambda: {lang: next(stream) for lang, stream in run.streams.items()})
    run.state.save(run.directory, {})  # a checkpoint to resume from, without the end-of-run evaluation
    return scratch / "quick", scratch / "quick" / "data"


def parse_run(spec: str) -> tuple[str, Path, Path]:
    name, _, paths = spec.partition("=")
    run_dir, _, data_dir = paths.partition(":")
    return name, Path(run_dir), Path(data_dir) if data_dir else Path(run_dir) / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", type=parse_run, default=[], help="NAME=RUN_DIR[:DATA_DIR], a trained run")
    parser.add_argument("--quick", action="store_true", help="train a tiny run here and time it briefly (smoke test)")
    parser.add_argument("--peer-python", help="python of benchmarks/peers/.venv: run fairseq on the --peer-run's shape")
    parser.add_argument("--peer-run", help="NAME of the --run the peer trains like (default: the last one)")
    parser.add_argument("--peer-updates", type=int, default=40)
    parser.add_argument("--peer-skip", type=int, default=5, help="first peer updates left out (warm-up)")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=KEY=VALUE;KEY=VALUE",
                        help="one more variant beside the two, e.g. bf16=runtime.precision=bf16; an override @NAME "
                        f"applies a code change instead ({', '.join(CODE_VARIANTS)})")
    parser.add_argument("--profile-steps", type=int, default=3, help="steps of the first variant under torch.profiler and cProfile")
    parser.add_argument("--steps", type=int, default=8, help="steps per timed turn")
    parser.add_argument("--turns", type=int, default=4, help="turns per variant, alternating; the median turn is reported")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per variant first")
    parser.add_argument("--split-reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--translate-sentences", type=int, default=64)
    parser.add_argument("--translate-reps", type=int, default=3)
    parser.add_argument("--beams", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--ceiling-seconds", type=float, default=1.0, help="time per matmul shape")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / f"speed-{time.strftime('%Y%m%d-%H%M%S')}.json")
    args = parser.parse_args()
    if not args.run and not args.quick:
        parser.error("give --run NAME=RUN_DIR[:DATA_DIR] (a trained run) or --quick")
    if args.quick:
        args.steps, args.turns, args.warmup, args.split_reps = 2, 2, 1, 1
        args.translate_sentences, args.translate_reps, args.ceiling_seconds, args.profile_steps = 4, 1, 0.05, 1
    variants = dict(VARIANTS)
    for spec in args.variant:
        name, _, overrides = spec.partition("=")
        variants[name] = [o for o in overrides.split(";") if o]
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    settings = [f"runtime.threads={args.threads}", f"runtime.device={args.device}"]
    started = time.time()
    report = {"command": sys.argv, "machine": {**machine(), "threads": args.threads}, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "phase_overrides": PHASE, "variants": variants,
              "git": git_state(), "steps_per_turn": args.steps, "turns": args.turns, "shapes": {}}

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        if args.quick:
            args.run = [("quick", *quick_run(scratch, args.threads))]
        shapes = {"square_256" if args.quick else "square_2048": (256, 256, 256) if args.quick else (2048, 2048, 2048)}
        for name, run_dir, _ in args.run:
            m = load_config(run_dir / "config.yaml", []).model
            tokens = load_config(run_dir / "config.yaml", []).data.max_tokens * 2
            vocab = len(__import__("sentencepiece").SentencePieceProcessor(model_file=str(run_dir / "spm.model")))
            shapes[f"{name}_ffn"] = (tokens, m.d_model, m.ffn_dim)
            shapes[f"{name}_output_projection"] = (tokens, m.d_model, vocab)
            shapes[f"{name}_decode_step_output"] = (64, m.d_model, vocab)
        report["ceiling"] = ceiling(device, shapes, args.ceiling_seconds)
        top = report["ceiling"]["fp32_ceiling_gflops"]
        print(f"ceiling fp32 {top} GFLOP/s", file=sys.stderr, flush=True)

        peer_name = args.peer_run or args.run[-1][0]
        for name, run_dir, data_dir in args.run:
            regions, flops, captured = Regions(device), Flops(), []
            setup_started = time.perf_counter()
            runs = build_runs(run_dir, data_dir, scratch / name, settings, variants)
            first = next(iter(runs.values()))
            start_step = first.trainer.step_count
            between = None
            if args.peer_python and name == peer_name:
                peer_out = args.out.with_name(args.out.name.replace("speed", "peer", 1)) if "speed" in args.out.name else args.out.with_suffix(".peer.json")

                def between(run_dir=run_dir, data_dir=data_dir, run=first, out=peer_out):
                    dropout = run.phases.at(run.trainer.step_count).dropout
                    report["peer"] = run_peer(args.peer_python, run_dir, data_dir, run.config, dropout, scratch, args, out)
                    report["peer"]["json"] = str(out)
            results, groups = measure_training(runs, args.steps, args.turns, args.warmup, regions, flops, captured, between, variants)
            split = split_denoising_from_back_translation(first, groups[-3:], args.split_reps)
            shape = {"run": str(run_dir), "data": str(data_dir), "checkpoint_step": start_step,
                     "model": {k: getattr(first.config.model, k) for k in ("d_model", "n_heads", "encoder_layers", "decoder_layers", "ffn_dim")},
                     "vocab_size": len(first.vocab), "max_tokens_per_language": first.config.data.max_tokens,
                     "setup_seconds": round(time.perf_counter() - setup_started, 1), "denoising_vs_back_translation": split,
                     "training": {variant: summarise(turns, split["ae_share"], top) for variant, turns in results.items()}}
            shape["candidate_optimisations"] = candidate_optimisations(first, groups, args.split_reps + 2)
            if args.profile_steps:
                shape["profile"] = profile_steps(first, args.profile_steps)
            shape["peak_rss_mib_after_training"] = peak_rss_mib()
            lines = test_sentences(data_dir, first.languages[0], args.translate_sentences)
            shape["translation"] = measure_translation(first, lines, args.beams, args.batches, args.translate_reps)
            shape["peak_rss_mib_after_translation"] = peak_rss_mib()
            report["shapes"][name] = shape
            for variant, summary in shape["training"].items():
                print(f"{name} {variant}: {summary['target_tokens_per_second_median']} target tokens/s, "
                      f"MFU {summary['mfu']:.3f}, BT length x{summary['bt_output_over_source_tokens']}, split {summary['time_split']}", file=sys.stderr, flush=True)
            del runs, first
    if "peer" in report:
        peer_rate = report["peer"]["target_tokens_per_second_median"]
        ours = report["shapes"][peer_name]["training"]
        report["ours_over_peer"] = {variant: round(s["target_tokens_per_second_median"] / peer_rate, 3) for variant, s in ours.items()}
    report["peak_rss_mib"] = peak_rss_mib()
    report["wall_seconds"] = round(time.time() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "FATAL")
    sys.exit(main())
