"""`unmt evaluate`: BLEU, chrF, chrF++ and TER of a run (both directions of a parallel set) or of a file of
translations (--hyp), and the paired bootstrap against a second system (--compare)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Callable

from unmt.checkpoint import atomic_write_text, find_run, load_json
from unmt.config import ConfigError
from unmt.data.corpus import DataError, read_lines
from unmt.run_layout import RUN_INFO
from unmt.translation.decode_options import (
    add_batching_arguments,
    add_device_argument,
    add_search_arguments,
    batching_from_args,
    options_from_args,
)
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
    parser.add_argument(
        "--compare",
        help="a second system, compared by paired bootstrap: a run (or, with --engine "
        "ctranslate2, an exported folder), or with --hyp a second file of translations",
    )


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


def run_evaluate(args, load: Callable) -> int:
    """The command; `load(args, checkpoints)` is the command line's loader: (run folders, translator, run.json)."""
    if args.hyp:
        if args.checkpoint and len(args.checkpoint) > 1:
            raise ConfigError("--hyp scores a file: give at most one --checkpoint (for its languages and data)")
        info = _run_info(args) if args.checkpoint or not args.ref else None
        scores, comparison = evaluate_files(args, info)
        report(scores, comparison, args.json, {"hyp": str(args.hyp), "compare_with": args.compare})
        return 0
    if args.ref:
        raise ConfigError("--ref gives the references of --hyp: without --hyp, pass --data")
    options, (batch_size, max_tokens) = options_from_args(args), batching_from_args(args)
    run_dirs, translator, info = load(args)
    src, tgt = info["src"], info["tgt"]
    src_lines, tgt_lines = _parallel_set(args, info, src, tgt)

    def decoder(model):
        return lambda lines, to: [
            h[0].text for h in model.translate_hypotheses(lines, to, options, batch_size, max_tokens)
        ]

    other = None
    if args.compare:
        if Path(args.compare).is_file():
            raise ConfigError("--compare names a file: compare files with --hyp FILE --compare FILE")
        other = decoder(load(args, [args.compare])[1])
    scores, comparison = evaluate_runs(decoder(translator), other, src_lines, tgt_lines, src, tgt)
    ensemble = {"ensemble": [str(run) for run in run_dirs]} if len(run_dirs) > 1 else {}
    compared = {"compare_with": args.compare} if args.compare else {}
    report(scores, comparison, args.json, {"run": str(run_dirs[0]), **ensemble, **compared, "split": args.split})
    return 0


def _run_info(args) -> dict:
    return load_json(find_run(args.checkpoints_dir, (args.checkpoint or [None])[0]) / RUN_INFO)


def _parallel_set(args, info: dict, src: str, tgt: str) -> tuple[list[str], list[str]]:
    data = args.data or Path(info["data"])
    paths = [data / f"{args.split}.{lang}" for lang in (src, tgt)]
    for path in paths:
        if not path.is_file():
            raise DataError(
                f"parallel file {path} is missing; pass --data with {args.split}.{src} and {args.split}.{tgt}"
            )
    src_lines, tgt_lines = read_lines(paths[0]), read_lines(paths[1])
    if len(src_lines) != len(tgt_lines):
        raise DataError(f"{paths[0]} has {len(src_lines)} lines but {paths[1]} has {len(tgt_lines)}: not parallel")
    return src_lines, tgt_lines
