"""Shared by the GAN benchmarks: one thread, the machine description, and one in-process training run."""
from __future__ import annotations

import os
import platform
import shutil
import time
from pathlib import Path

import torch

from unmt.gan.config import load_gan_config
from unmt.gan.train import GanRun

RESULTS = Path(__file__).resolve().parent / "results"
RUNS = RESULTS / "runs"
DIGITS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "digits"


def single_thread() -> None:
    """The benchmark machine is shared: one thread per run, one run at a time."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)


def machine() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "threads": torch.get_num_threads(), "torch": torch.__version__, "python": platform.python_version()}


def train_once(config_file: str, overrides: list[str], name: str) -> dict:
    """Trains one configuration from scratch in RUNS/<name> and returns its final evaluation and wall time."""
    out = RUNS / name
    shutil.rmtree(out, ignore_errors=True)
    config = load_gan_config(config_file, overrides + ["train.threads=1"])
    started = time.monotonic()
    result = GanRun(config, out).run()
    seconds = round(time.monotonic() - started, 1)
    return {"name": name, "overrides": overrides, "steps": result["steps"], "seconds": seconds, **result["final"]}
