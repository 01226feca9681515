"""Shared by the GAN benchmarks: one thread, and one in-process training run (report.py writes their JSON)."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import torch

from report import RESULTS
from unmt.gan.config import load_gan_config
from unmt.gan.train import GanRun

RUNS = RESULTS / "runs"
DIGITS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "digits"


def single_thread() -> None:
    """The benchmark machine is shared: one thread per run, one run at a time."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)


def train_once(config_file: str, overrides: list[str], name: str) -> dict:
    """Trains one configuration from scratch in RUNS/<name> and returns its final evaluation and wall time."""
    out = RUNS / name
    shutil.rmtree(out, ignore_errors=True)
    config = load_gan_config(config_file, overrides + ["train.threads=1"])
    started = time.monotonic()
    result = GanRun(config, out).run()
    seconds = round(time.monotonic() - started, 1)
    return {"name": name, "overrides": overrides, "steps": result["steps"], "seconds": seconds, **result["final"]}
