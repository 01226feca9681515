"""`unmt plot` and `unmt tensorboard`: reading any run folder's metrics.jsonl (translation or GAN runs)."""
from __future__ import annotations

import argparse
from pathlib import Path

from unmt.errors import UserError
from unmt.run_layout import METRICS

RUN_HELP = "run name under --checkpoints-dir, or a run folder (a GAN run's --out folder too)"


def add_run_parsers(commands) -> None:
    plot = commands.add_parser("plot", help="draw the curves of one or more runs into one PNG")
    plot.add_argument("runs", nargs="+", help=RUN_HELP)
    plot.add_argument("--out", type=Path, default=Path("curves.png"), help="the PNG to write (default: curves.png)")
    plot.add_argument("--x", choices=("step", "minutes"), default="step", help="horizontal axis (default: step)")

    events = commands.add_parser("tensorboard", help="write TensorBoard events for a run from its metrics.jsonl")
    events.add_argument("run", help=RUN_HELP)
    events.add_argument("--replace", action="store_true", help="rewrite the run's events if it has some")


def run_folder(checkpoints_dir: Path, run: str) -> Path:
    for candidate in (Path(run), checkpoints_dir / run):
        if (candidate / METRICS).is_file():
            return candidate
    raise UserError(f"no run with a metrics.jsonl at {run!r} (looked there and under {checkpoints_dir})")


def cmd_plot(args: argparse.Namespace) -> int:
    from unmt.plot import plot_runs

    if args.out.suffix.lower() != ".png":
        raise UserError(f"--out {args.out} must name a .png file")
    print(plot_runs([run_folder(args.checkpoints_dir, run) for run in args.runs], args.out, args.x))
    return 0


def cmd_tensorboard(args: argparse.Namespace) -> int:
    from unmt.tensorboard import convert_metrics

    print(convert_metrics(run_folder(args.checkpoints_dir, args.run), args.replace))
    return 0
