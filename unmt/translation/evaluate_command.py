"""`unmt evaluate`: BLEU, chrF, chrF++ and TER of a run (both directions of a parallel set) or of a file of
translations (--hyp), and the paired bootstrap against a second system (--compare)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Callable

from unmt.checkpoint import atomic_write_text
from unmt.config import ConfigError
from unmt.data.corpus import DataError, read_lines
from unmt.translation.decode_options import add_batching_arguments, add_device_argument, add_search_arguments
from unmt.translation.significance import bootstrap_text, corpus_scores, paired_bootstrap

METRIC_NAMES = {"bleu": "BLEU", "chrf": "chrF", "chrf++": "chrF++", "ter": "TER"}


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `unmt evaluate` beyond the run, the engine and the data."""
    add_search_arguments(parser, "beam size (1 = greedy)")
    add_batching_arguments(parser)
    add_device_argument(parser)
    parser.add_argument("--hyp", type=Path, help="score this file of translations instead of translating")
    parser.add_argument("--ref", type=Path, help="the references of --hyp (default: <data>/<split>.<tgt>)")
    parser.add_argument("--src", help="with --hyp: the source language (default: the run's)")
    parser.add_argument("--tgt", help="with --hyp: the language of the translations (default: the run's target)")
    parser.add_argument("--compare", help="a second system, compared by paired bootstrap: a run (or, with --engine "
                                          "ctranslate2, an exported folder), or with --hyp a second file of translations")


def score_lines_text(direction: str, scores: dict) -> str:
    return f"{direction}: " + "  ".join(f"{label} {scores[key]:.2f}" for key, label in METRIC_NAMES.items())


def signatures_text(scores: dict) -> str:
    return "\n".join(f"{label} signature: {scores[f'{key}_signature']}" for key, label in METRIC_NAMES.items())


def evaluate_files(args, info: dict | None) -> tuple[dict, dict | None]:
    """--hyp (and a --compare file) against their references, one direction: its scores, and the paired
    bootstrap of the --compare file against it."""
    src = args.src or (info["src"] if info else None)
    tgt = args.tgt or (info["tgt"] if info else None)
    ref = args.ref
    if ref is None:
        data = args.data or (Path(info["data"]) if info else None)
        if data is None or tgt is None:
            raise ConfigError("--hyp needs its references: --ref FILE, or --data DIR with --tgt LANG")
        ref = data / f"{args.split}.{tgt}"
    references = _read(ref, "reference")
    hypotheses = _read(args.hyp, "hypothesis", len(references), ref)
    direction = f"{src}-{tgt}" if src and tgt else args.hyp.name
    comparison = None
    if args.compare:
        other = _read(Path(args.compare), "hypothesis", len(references), ref)
        comparison = {direction: paired_bootstrap(hypotheses, other, references)}
    return {direction: corpus_scores(hypotheses, references)}, comparison


def evaluate_runs(translate: Callable, other: Callable | None, src_lines: list[str], tgt_lines: list[str], src: str,
                  tgt: str) -> tuple[dict, dict | None]:
    """Both directions of a parallel set: the scores of `translate(lines, lang)`, and with `other`, the paired
    bootstrap of its translations against them."""
    scores, comparison = {}, {} if other else None
    for lines, refs, to in ((src_lines, tgt_lines, tgt), (tgt_lines, src_lines, src)):
        direction = f"{src}-{tgt}" if to == tgt else f"{tgt}-{src}"
        hypotheses = translate(lines, to)
        scores[direction] = corpus_scores(hypotheses, refs)
        if other:
            comparison[direction] = paired_bootstrap(hypotheses, other(lines, to), refs)
    return scores, comparison


def report(result: dict, comparison: dict | None, json_path: Path | None, extra: dict) -> None:
    directions = list(result)
    for direction in directions:
        print(score_lines_text(direction, result[direction]))
    print(signatures_text(result[directions[0]]))
    if comparison:
        for direction in directions:
            print(bootstrap_text(direction, comparison[direction]))
    if json_path:
        out = {**extra, **result}
        if comparison:
            out["compare"] = comparison
        atomic_write_text(json_path, json.dumps(out, indent=1))


def _read(path: Path, what: str, expected: int | None = None, ref: Path | None = None) -> list[str]:
    if not path.is_file():
        raise DataError(f"{what} file {path} is missing")
    lines = read_lines(path)
    if expected is not None and len(lines) != expected:
        raise DataError(f"{path} has {len(lines)} lines but the references {ref} have {expected}: not parallel")
    return lines
