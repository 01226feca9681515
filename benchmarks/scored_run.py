"""What the checkpoint-scoring benchmarks share: the arguments that name a run and its data, and a loader for the
run's round-trip-selected checkpoint and the text files to score it on that answers a folder which is not a run, or a
missing file, with one clear error through the parser; and the JSON header they all write."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def run_parser(description: str, data_help: str) -> argparse.ArgumentParser:
    """The arguments every checkpoint-scoring benchmark takes: the run, its data folder, the pair, the JSON to write."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--run", type=Path, required=True, help="run folder; its round-trip-selected ('best') checkpoint translates"
    )
    parser.add_argument("--data", type=Path, required=True, help=data_help)
    parser.add_argument("--src", default="en")
    parser.add_argument("--tgt", default="fr")
    parser.add_argument("--out", type=Path, required=True, help="JSON to write")
    return parser


def load_scored_run(parser: argparse.ArgumentParser, run: Path, data: Path, files: list[str]):
    """(translator, {file name: lines}, checkpoint name) for the run's 'best' checkpoint, falling back to 'latest' as
    the project's loader does; `files` are names under `data`, e.g. ["test.en", "test.fr"]."""
    from unmt.checkpoint import read_pointer
    from unmt.errors import USER_ERRORS
    from unmt.translation.model_io import load_translator

    try:  # the run's own loader names what is missing or damaged; say it in one line
        translator, _ = load_translator(run, "best")
    except USER_ERRORS as error:
        parser.error(str(error))
    missing = [str(data / name) for name in files if not (data / name).is_file()]
    if missing:
        parser.error(f"missing data file(s): {', '.join(missing)}")
    lines = {name: (data / name).read_text(encoding="utf-8").splitlines() for name in files}
    checkpoint = read_pointer(run, "best") or read_pointer(run, "latest")  # the one load_translator used
    return translator, lines, checkpoint.name


def write_result(path: Path, run: Path, checkpoint: str, **fields) -> None:
    """The JSON every checkpoint-scoring benchmark writes: which run and checkpoint, then the script's own fields
    (report.write_report puts the machine, versions and command line in front)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from report import write_report

    write_report(path, {"run": str(run), "checkpoint": checkpoint, **fields})
