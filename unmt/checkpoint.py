"""Reading run folders and their checkpoints, and the atomic file writes that the run directory builds on.

Safe formats only: weights are safetensors (no code can run on load); the trainer state of checkpoints written
before unmt.tensor_state existed (trainer.pt) is loaded with `weights_only=True`. unmt.run_directory writes runs.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from unmt.errors import UserError
from unmt.run_layout import LATEST, RUN_INFO


class CheckpointError(UserError):
    pass


SET_ASIDE = ".tmp-replaced-"  # prefix of a checkpoint moved aside while a new one of the same step takes its name


def atomic_write_text(path: Path, text: str) -> None:
    atomic_save(lambda out: out.write(text.encode("utf-8")), path)


def atomic_torch_save(obj, path: Path) -> None:
    atomic_save(lambda out: torch.save(obj, out), path)


def atomic_save(write, path: Path) -> None:
    """Calls write(binary file) on a temporary file beside `path`, then renames it over `path`: a reader finds
    the old file or the whole new one, never half of it. A failed write (a full disk) removes its temporary file
    and raises; one killed mid-write leaves a `.tmp-` file that RunDirectory.repair removes."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def set_pointer(run_dir: Path, name: str, checkpoint: Path) -> None:
    atomic_write_text(run_dir / name, checkpoint.name + "\n")


def read_pointer(run_dir: Path, name: str) -> Path | None:
    pointer = run_dir / name
    if not pointer.is_file():
        return None
    target = run_dir / pointer.read_text(encoding="utf-8").strip()
    aside = run_dir / f"{SET_ASIDE}{target.name}"
    if not target.is_dir() and aside.is_dir():  # a trainer killed while replacing it: the old one is still whole
        return aside
    if not target.is_dir():
        raise CheckpointError(f"{pointer} names {target.name}, which does not exist; the run folder was altered")
    return target


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointError(f"checkpoint file {path} is missing")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"checkpoint file {path} is damaged or not a safetensors file ({error})") from None


def load_pickled_trainer_state(path: Path) -> dict:
    """The trainer.pt of a checkpoint written before the pickle-free format (weights_only: no code runs)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for corrupt or unsafe files
        raise CheckpointError(f"checkpoint file {path} is damaged or unsafe to load ({type(error).__name__})") from None


def load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path} is missing; is this a unmt run folder?") from None
    except json.JSONDecodeError:
        raise CheckpointError(f"{path} is damaged (not valid JSON)") from None


def load_run_info(run_dir: Path) -> dict:
    """A UNMT run's run.json: languages, model shape, data folder."""
    return load_json(Path(run_dir) / RUN_INFO)


def find_run(checkpoints_dir: Path, run: str | None) -> Path:
    """The run folder named `run` (a name under checkpoints_dir, or a path), or the most recently updated run."""
    if run:
        for candidate in (Path(run), checkpoints_dir / run):
            if (candidate / RUN_INFO).is_file():
                return candidate
        raise CheckpointError(f"no unmt run at {run!r} (looked for run.json there and under {checkpoints_dir})")
    runs = [p.parent for p in checkpoints_dir.glob("*/latest")] if checkpoints_dir.is_dir() else []
    if not runs:
        raise CheckpointError(f"no trained run under {checkpoints_dir}/; train one with `unmt train --src en --tgt fr`")
    return max(runs, key=lambda p: (p / LATEST).stat().st_mtime)
