"""The fixed cost of a UNMT step, for benchmarks/speed.py --fixed-cost: a run at a shape whose arithmetic costs
next to nothing (d_model 32, one layer each side, the smallest vocabulary SentencePiece accepts on the data), with
the recipe's batch and lengths, so that what a step takes is its host overhead: the seconds per step and per
back-translation decoding step, and the aten operators dispatched per step and per decoding step
(benchmarks/peers/op_count.py counts them the same way inside fairseq's process).

A decoding step is one position of the greedy loop for the whole batch; a decoded token, one position of one
sentence (the rows still decoding at that step, EOS included). unmt decodes both directions in one loop, fairseq
one loop per direction: the per-step figures say what a position costs, whatever the batch.
"""
from __future__ import annotations

import functools
import re
import statistics
import sys
import time
from pathlib import Path

import torch

import unmt.translation.back_translator as back_translator_module
from speed_instruments import code_variant, patched
from unmt.config import load_config
from unmt.models.transformer import Transformer
from unmt.translation.train import TrainingRun

sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))
from op_count import GENERATION, operator_counts, per_unit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RECIPE = ROOT / "configs" / "multi30k_en_fr.yaml"  # its batch (data.max_tokens) and lengths (data.max_len) are kept
SHAPE = ["model.d_model=32", "model.n_heads=2", "model.encoder_layers=1", "model.decoder_layers=1",
         "model.ffn_dim=64", "discriminator.hidden=32"]
SETUP = ["pretraining.init_embeddings=random", "back_translation.word_by_word_steps=0", "losses.bt=1",
         "evaluation.every=1000", "evaluation.sentences=10", "runtime.max_minutes=0"]
SMALLEST_VOCABULARY = 64


def fixed_cost_run(data_dir: Path, scratch: Path, threads: int, steps: int = 3,
                   languages: tuple[str, str] = ("en", "fr")) -> tuple[Path, Path, list[int]]:
    """A run at the fixed-cost shape trained `steps` steps on DATA_DIR, checkpointed to resume from; returns its
    folder, the data folder and the vocabulary sizes tried (the last one taken)."""
    tried = [SMALLEST_VOCABULARY]
    while True:
        run_dir = scratch / f"fixed_cost_v{tried[-1]}"
        config = load_config(RECIPE, [*SHAPE, *SETUP, f"data.vocab_size={tried[-1]}", f"runtime.threads={threads}"])
        try:
            run = TrainingRun(config, *languages, run_dir, data_dir)
            break
        except RuntimeError as error:  # SentencePiece names the least it accepts: every character must be a piece
            needed = re.search(r"smaller than required_chars\. \d+ vs (\d+)", str(error))
            if needed is None or int(needed.group(1)) in tried:
                raise
            tried.append(int(needed.group(1)))
    for _ in range(steps):
        run.train_step()
    run.state.save(run.directory, {})  # a checkpoint to resume from, without the end-of-run evaluation
    return run_dir, data_dir, tried


class Probe:
    """Back-translation generation timed and labelled for the profiler, its decoding steps and decoded tokens
    counted, by wrapping BackTranslator._decode and Transformer.decode_step for the duration (unmt untouched)."""

    def __init__(self):
        self.seconds, self.decode_steps, self.decoded_tokens = 0.0, 0, 0

    def active(self):
        def timed(decode):
            @functools.wraps(decode)
            def timed_decode(*args, **kwargs):
                started = time.perf_counter()
                with torch.profiler.record_function(GENERATION):
                    out = decode(*args, **kwargs)
                self.seconds += time.perf_counter() - started
                return out
            return timed_decode

        def counted(step):
            @functools.wraps(step)
            def counted_step(model, token, *args, **kwargs):
                self.decode_steps += 1
                self.decoded_tokens += token.shape[0]
                return step(model, token, *args, **kwargs)
            return counted_step

        return patched([(back_translator_module.BackTranslator, "_decode", timed),
                        (Transformer, "decode_step", counted)])


def timed_turn(run: TrainingRun, steps: int, variant: list[str] = ()) -> dict:
    probe, tokens = Probe(), 0
    with code_variant(list(variant)), probe.active():
        started = time.perf_counter()
        for _ in range(steps):
            tokens += run.train_step()["target_tokens"]
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "steps": steps, "target_tokens": tokens, "generation_seconds": probe.seconds,
            "decode_steps": probe.decode_steps, "decoded_tokens": probe.decoded_tokens}


def profiled_operators(run: TrainingRun, steps: int, variant: list[str] = ()) -> dict:
    """aten operators of `steps` steps under torch.profiler, per step and per decoding step / decoded token."""
    probe = Probe()
    with code_variant(list(variant)), probe.active(), \
            torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        for _ in range(steps):
            run.train_step()
    counts = operator_counts(profiler.events())
    return {"profiled_steps": steps, **per_unit(counts, steps, probe.decode_steps, probe.decoded_tokens)}


def summarise(turns: list[dict]) -> dict:
    """Medians over turns: a turn disturbed by the shared machine moves a median, not a sum."""
    def median(key: str, per: str) -> float | None:
        values = [t[key] / t[per] for t in turns if t[per]]
        return statistics.median(values) if values else None

    def rounded(value: float | None, digits: int = 7) -> float | None:
        return None if value is None else round(value, digits)

    steps = sum(t["steps"] for t in turns)
    return {
        "seconds_per_step_median": rounded(median("seconds", "steps")),
        "seconds_per_step_per_turn": [round(t["seconds"] / t["steps"], 5) for t in turns],
        "generation_seconds_per_step_median": rounded(median("generation_seconds", "steps")),
        "seconds_per_decode_step": rounded(median("generation_seconds", "decode_steps")),
        "seconds_per_decoded_token": rounded(median("generation_seconds", "decoded_tokens")),
        "decode_steps_per_step": round(sum(t["decode_steps"] for t in turns) / steps, 1),
        "decoded_tokens_per_step": round(sum(t["decoded_tokens"] for t in turns) / steps, 1),
        "target_tokens_per_step": round(sum(t["target_tokens"] for t in turns) / steps, 1),
        "turns": len(turns),
        "steps_per_turn": turns[0]["steps"] if turns else 0,
    }


def measure_fixed_cost(runs: dict[str, TrainingRun], steps: int, turns: int, warmup: int, profile_steps: int,
                       between=None, variants: dict[str, list[str]] | None = None) -> dict[str, dict]:
    """Per variant: warm-up, `turns` timed turns of `steps` steps in alternation (`between`, the peer, once half
    are done), then `profile_steps` steps under the profiler for the operator counts (kept out of the timing). A
    variant's code change ("@NAME") is in place during its own steps only."""
    variants = variants or {}
    for name, run in runs.items():
        timed_turn(run, warmup, variants.get(name, []))
    results: dict[str, list[dict]] = {name: [] for name in runs}
    for turn in range(turns):
        if between is not None and turn == (turns + 1) // 2:
            between()
        for name, run in runs.items():
            results[name].append(timed_turn(run, steps, variants.get(name, [])))
    if between is not None and turns < 2:
        between()
    return {name: {**summarise(results[name]),
                   **profiled_operators(runs[name], max(1, profile_steps), variants.get(name, []))}
            for name in runs}


# figures of both sides divided unmt over fairseq
COMPARED = ["seconds_per_step_median", "seconds_per_decode_step", "seconds_per_decoded_token",
            "decode_steps_per_step", "decoded_tokens_per_step",
            *(f"{figure}_{kind}" for figure in ("ops_per_step", "generation_ops_per_step", "ops_per_decode_step",
                                                 "ops_per_decoded_token") for kind in ("all", "top_level"))]


def fixed_cost_section(unmt: dict[str, dict], peer: dict | None, vocabularies_tried: list[int]) -> dict:
    """The report's fixed_cost section: unmt per variant, fairseq (when it ran at this shape), their ratios."""
    section = {"recipe": str(RECIPE.relative_to(ROOT)), "overrides": SHAPE,
               "vocabulary_sizes_tried": vocabularies_tried, "unmt": unmt}  # the last size tried is the run's
    if peer is not None and "fixed_cost" in peer:
        fairseq = section["fairseq"] = peer["fixed_cost"]
        section["unmt_over_fairseq"] = {
            variant: {k: round(ours[k] / fairseq[k], 3) for k in COMPARED if ours.get(k) and fairseq.get(k)}
            for variant, ours in unmt.items()
        }
    return section
