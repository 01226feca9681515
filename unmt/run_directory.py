"""One run folder for every trainer (UNMT, GANs, alignment): lock, atomic checkpoints, pointers, metrics.

<run>/
    .lock             held (flock) by the one process training the run; names its PID; removed when it ends
    metrics.jsonl     one JSON object per line: {"kind": "setup" | "train" | "eval", "step": ..., ...}
    step-0000400/     a complete checkpoint: <net>.safetensors per network, trainer.json + trainer.safetensors
                      (optimisers, schedulers, random states; no pickle), state.json (step, clock, data position)
    latest, best      one line each naming the checkpoint folder they point to
    ...               the trainer's own metadata (run.json, config.yaml, spm.model, config.json ...)

A checkpoint folder is written under a temporary name and renamed when complete, and pointers and metadata files
are replaced atomically, so a run killed at any moment leaves `latest` naming a complete checkpoint.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path

import torch
from safetensors.torch import save_file

from unmt.checkpoint import CheckpointError, atomic_write_text, load_json, load_trainer_state, load_weights, read_pointer, set_pointer
from unmt.errors import UserError
from unmt.tensor_state import load_state, save_state

log = logging.getLogger("unmt")

LOCK = ".lock"
POINTERS = ("latest", "best")


class RunLockedError(UserError):
    pass


class RunDirectory:
    """A run folder opened by one trainer. Use as a context manager: the lock is held inside the `with`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock_fd: int | None = None
        self.events = None  # an unmt.tensorboard.EventLog that every metrics line also goes to, when set

    # --- the lock -----------------------------------------------------------------------------------
    def __enter__(self) -> "RunDirectory":
        self.path.mkdir(parents=True, exist_ok=True)
        self.lock()
        return self

    def __exit__(self, *exc) -> None:
        if self.events is not None:
            self.events.close()
        self.unlock()

    def lock(self) -> None:
        """Takes the run's exclusive lock, or refuses in one sentence naming the process that holds it. A lock
        file left by a process that died holds no flock any more, so it is simply taken over."""
        path = self.path / LOCK
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "another process"
                os.close(fd)
                raise RunLockedError(
                    f"run {self.path} is being trained by {holder}; wait for it to finish or stop it, "
                    "then train again") from None
            try:
                same_file = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same_file = False
            if same_file:  # not a file its last holder unlinked while we waited
                break
            os.close(fd)
        stale = os.read(fd, 200).decode("utf-8", "replace").strip()
        if stale:
            log.warning("run %s: taking over the lock left by %s, which has ended", self.path, stale)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"process {os.getpid()} on {socket.gethostname()}\n".encode())
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is None:
            return
        try:
            os.unlink(self.path / LOCK)  # while still holding it, so nobody takes a file that is going away
        except FileNotFoundError:
            pass
        os.close(self._lock_fd)
        self._lock_fd = None

    # --- files --------------------------------------------------------------------------------------
    def write_text(self, name: str, text: str) -> None:
        atomic_write_text(self.path / name, text)

    def write_json(self, name: str, value) -> None:
        self.write_text(name, json.dumps(value, indent=1, ensure_ascii=False))

    def log(self, kind: str, record: dict) -> None:
        """Appends one metrics line; `kind` is setup, train or eval, the same for every trainer."""
        with open(self.path / "metrics.jsonl", "a", encoding="utf-8") as out:
            out.write(json.dumps({"kind": kind, **record}) + "\n")
        if self.events is not None:
            self.events.write(kind, record)

    # --- checkpoints ----------------------------------------------------------------------------------
    def save_checkpoint(self, step: int, weights: dict[str, dict[str, torch.Tensor]], trainer_state: dict, state: dict) -> Path:
        """Writes step-<N>/ completely under a temporary name, renames it into place and points `latest` at it."""
        final = self.path / f"step-{step:07d}"
        tmp = Path(tempfile.mkdtemp(dir=self.path, prefix=".tmp-step-"))
        for name, tensors in weights.items():
            save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp / f"{name}.safetensors"))
        save_state(trainer_state, tmp)
        (tmp / "state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        set_pointer(self.path, "latest", final)
        return final

    def point(self, name: str, checkpoint: Path) -> None:
        set_pointer(self.path, name, checkpoint)

    def pointer(self, name: str) -> Path | None:
        return read_pointer(self.path, name)

    def prune(self) -> None:
        """Deletes checkpoint folders no pointer names, and leftovers of crashed writes."""
        keep = {p.name for p in map(self.pointer, POINTERS) if p}
        for path in self.path.iterdir():
            crashed = path.name.startswith(".tmp-step-")
            if path.is_dir() and (crashed or (path.name.startswith("step-") and path.name not in keep)):
                shutil.rmtree(path, ignore_errors=True)


def load_checkpoint_weights(checkpoint: Path, name: str) -> dict[str, torch.Tensor]:
    return load_weights(checkpoint / f"{name}.safetensors")


def load_checkpoint_state(checkpoint: Path) -> tuple[dict, dict]:
    """(trainer state, state.json) of a checkpoint. Checkpoints written before the pickle-free format hold their
    trainer state as trainer.pt (UNMT) or trainer.json + optimizers.safetensors (GANs): both are still read."""
    if (checkpoint / "trainer.safetensors").is_file():
        trainer = load_state(checkpoint)
    elif (checkpoint / "optimizers.safetensors").is_file():
        trainer = load_state(checkpoint, tensors_name="optimizers")
    elif (checkpoint / "trainer.pt").is_file():
        trainer = load_trainer_state(checkpoint / "trainer.pt")
    else:
        raise CheckpointError(f"checkpoint {checkpoint} has no trainer state; the run folder was altered")
    return trainer, load_json(checkpoint / "state.json")
