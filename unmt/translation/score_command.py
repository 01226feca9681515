"""`unmt score SOURCE_FILE TARGET_FILE`: one force-decoding score a line, on stdout (scoring.py says what it is)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from unmt.data.corpus import DataError, read_lines
from unmt.translation.decode_options import (
    DecodeOptions,
    add_batching_arguments,
    add_device_argument,
    batching_from_args,
)
from unmt.translation.scoring import score_lines


def add_score_parser(commands, checkpoint_help: str, engine_help: str, engines: tuple[str, ...]) -> None:
    score = commands.add_parser("score", help="force-decode given translations: one log-probability a line")
    score.add_argument("source", type=Path, help="source sentences, one a line")
    score.add_argument("target", type=Path, help="their translations, line for line")
    score.add_argument("--checkpoint", action="append", help=checkpoint_help)
    score.add_argument("--engine", choices=engines, default="torch", help=engine_help)
    score.add_argument("--src", help="source language (default: the run's source)")
    score.add_argument("--tgt", help="target language (default: the run's target)")
    score.add_argument("--lenpen", type=float, default=DecodeOptions().lenpen,
                       help="divide log p by (length + 1) ** lenpen, as the beam ranks (default 1)")
    score.add_argument("--unnormalized", action="store_true", help="the plain sum of log-probabilities")
    add_batching_arguments(score)
    add_device_argument(score)


def run_score(args: argparse.Namespace, translator, tgt: str) -> int:
    for path in (args.source, args.target):
        if not path.is_file():
            raise DataError(f"{path} is not a file")
    src_lines, tgt_lines = read_lines(args.source), read_lines(args.target)
    if len(src_lines) != len(tgt_lines):
        raise DataError(
            f"{args.source} has {len(src_lines)} lines but {args.target} has {len(tgt_lines)}: not parallel"
        )
    batch_size, max_tokens = batching_from_args(args)
    scores = score_lines(translator, src_lines, tgt_lines, tgt, args.lenpen, args.unnormalized, batch_size, max_tokens)
    sys.stdout.write("".join(f"{value:.6f}\n" for value in scores))
    return 0
