"""The aten operators a stretch of training dispatches, counted the same way in unmt's process and in fairseq's
(torch only: imported by benchmarks/speed_fixed_cost.py and by the obt_timing plugin, never importing either
project).

Two counts of a torch.profiler trace's aten:: events: every one (each is a pass through the dispatcher, the ops
that composite ops call included: aten::linear's aten::t and aten::addmm...), and the top-level ones, those
without an aten:: ancestor: what Python code or the autograd engine asked for. At a shape whose kernels cost
nothing, the first tracks the dispatcher's and allocator's share of the fixed cost, the second the
Python-binding share; neither counts the Python between the calls.
"""
from __future__ import annotations

GENERATION = "bench.generation"  # the record_function label both sides put around back-translation generation


def ancestor_names(event) -> list[str]:
    """The names of the events a profiler event is nested in, innermost first."""
    names, parent = [], event.cpu_parent
    while parent is not None:
        names.append(parent.name)
        parent = parent.cpu_parent
    return names


def operator_counts(events, label: str = GENERATION) -> dict[str, int]:
    """aten:: events of a profiler trace (`profiler.events()`), all and top-level, overall and inside `label`."""
    counts = dict.fromkeys(("all", "top_level", "generation_all", "generation_top_level"), 0)
    for event in events:
        if not event.name.startswith("aten::"):
            continue
        above = ancestor_names(event)
        top = not any(name.startswith("aten::") for name in above)
        inside = label in above
        counts["all"] += 1
        counts["top_level"] += top
        counts["generation_all"] += inside
        counts["generation_top_level"] += inside and top
    return counts


def per_unit(counts: dict[str, int], updates: int, decode_steps: int, decoded_tokens: int) -> dict[str, float]:
    """Counts of `updates` steps as ops per step and, for the generation part, per decoding step (one position of
    the whole batch) and per decoded token (one position of one sentence)."""
    out = {f"ops_per_step_{kind}": round(counts[kind] / updates, 1) for kind in ("all", "top_level")}
    for kind in ("all", "top_level"):
        generated = counts[f"generation_{kind}"]
        out[f"generation_ops_per_step_{kind}"] = round(generated / updates, 1)
        out[f"ops_per_decode_step_{kind}"] = round(generated / decode_steps, 2) if decode_steps else None
        out[f"ops_per_decoded_token_{kind}"] = round(generated / decoded_tokens, 3) if decoded_tokens else None
    return out
