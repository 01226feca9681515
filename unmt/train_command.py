"""The `train` command path that every trainer's command shares: choose the run folder (refusing what cannot be
trained before anything is created), hold it, train, and leave no half-made folder behind when that fails.

On many processes (torchrun) rank 0's choice of folder (its timestamp) holds for every rank, rank 0 alone takes
the run's lock, and a rank that loses the others ends with one sentence instead of a wall of tracebacks.
"""
from __future__ import annotations

import json
import logging
import shutil
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable

from unmt.checkpoint import find_run
from unmt.distributed import World, shutdown
from unmt.errors import USER_ERRORS, ConfigError, UserError
from unmt.run_directory import RunDirectory
from unmt.run_layout import LATEST
from unmt.stop_signals import InterruptOnStopSignals

try:
    from torch.distributed import DistError
except ImportError:  # torch without distributed support
    DistError = ()

log = logging.getLogger("unmt")


class TrainingStopped(UserError):
    """Training ended early for a reason outside this process (another rank stopped)."""


def positive(flag: str, value: float | None) -> None:
    if value is not None and value <= 0:
        raise ConfigError(f"{flag} must be positive, got {value}")


def run_name(name: str | None, default_prefix: str) -> str:
    """--run names a folder directly under --checkpoints-dir; a path there would train somewhere unexpected."""
    name = name or f"{default_prefix}-{time.strftime('%Y%m%d-%H%M%S')}"
    if not name.strip() or name.startswith(".") or "/" in name or "\\" in name:
        raise ConfigError(f"--run {name!r} must be a plain folder name (no '/', not starting with '.'); "
                          "use --checkpoints-dir to train in another folder")
    return name


def choose_run_folder(world: World, checkpoints_dir: Path, name: str | None, default_prefix: str, resume: bool,
                      folder: Path | None = None) -> Path:
    """The run folder to train in: `folder` when given, else --run under the checkpoints folder (the latest run
    when resuming without a name); a new run is refused where a trained one already is."""
    if folder is not None:
        run_dir = folder
    elif resume and not name:
        run_dir = find_run(checkpoints_dir, None)
    else:
        run_dir = checkpoints_dir / run_name(name, default_prefix)
    run_dir = Path(world.gather(str(run_dir))[0])
    if not resume and (run_dir / LATEST).exists():
        raise ConfigError(f"run {run_dir} already exists: pass --resume to continue it or --run to name a new one")
    return run_dir


def train_in_run_folder(world: World, choose: Callable[[], Path], train: Callable[[RunDirectory], dict]) -> int:
    """Chooses the folder, opens it (rank 0 holds the lock) and trains; prints the result on rank 0. A refusal or
    an interruption before the first checkpoint removes the folder it created."""
    new_folder = None
    # SIGTERM during setup unwinds like Ctrl-C: the lock is released and no half-made run folder stays
    with InterruptOnStopSignals():
        try:
            run_dir = choose()
            if world.is_main:
                log.info("run folder: %s", run_dir)
                new_folder = None if run_dir.exists() else run_dir
            with RunDirectory(run_dir) if world.is_main else nullcontext(RunDirectory(run_dir)) as directory:
                result = train(directory)
        except (*USER_ERRORS, KeyboardInterrupt):
            if new_folder is not None and not (new_folder / LATEST).exists():  # refused or stopped: nothing half-made
                shutil.rmtree(new_folder, ignore_errors=True)
            raise
        except DistError as error:  # a peer stopped (killed, crashed): this rank cannot go on alone
            raise TrainingStopped(f"rank {world.rank} lost the other processes ({str(error).splitlines()[0][:120]}); "
                                  "`--resume` under torchrun continues from the last complete checkpoint") from None
        finally:
            shutdown()
    if world.is_main:
        print(json.dumps({"run": str(run_dir), **result}, indent=1))
    return 0
