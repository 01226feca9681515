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

import errno
import fcntl
import json
import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import save_file

from unmt.checkpoint import (
    SET_ASIDE,
    CheckpointError,
    atomic_write_text,
    load_json,
    load_pickled_trainer_state,
    load_weights,
    read_pointer,
    set_pointer,
)
from unmt.errors import UserError
from unmt.run_layout import (
    CHECKPOINT_PREFIX,
    CHECKPOINT_STATE,
    LATEST,
    LOCK,
    METRICS,
    OLD_GAN_TRAINER_TENSORS,
    OLD_TRAINER_STATE,
    POINTERS,
    TRAINER_STATE,
    checkpoint_name,
    weights_file,
)
from unmt.tensor_state import load_state, save_state

log = logging.getLogger("unmt")

PARTIAL = ".tmp-step-"  # a checkpoint being written


class RunLockedError(UserError):
    pass


class RunWriteError(UserError):
    """A write into the run folder failed (no space, no permission, an I/O error); what was complete is kept."""


def _write_failure(what: str, error: Exception, needed_bytes: int | None, path: Path) -> RunWriteError:
    """One sentence: what could not be written, why, what it needs, what was kept, what to do."""
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error).splitlines()[0][:200]
    latest = read_pointer(path, LATEST) if (path / LATEST).is_file() else None
    need = (
        f" (a checkpoint needs about {needed_bytes / 2**20:.1f} MiB; {_free_mib(path)} MiB free)"
        if needed_bytes
        else ""
    )
    kept = f"the last complete checkpoint, {latest.name}, is kept" if latest else "no checkpoint was complete yet"
    return RunWriteError(f"could not write {what} in {path}: {reason}{need}; {kept}; "
                         "free space or fix the folder, then `--resume` continues")


def _free_mib(path: Path) -> str:
    try:
        return f"{shutil.disk_usage(path).free / 2**20:.1f}"
    except OSError:
        return "?"


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
        self.repair()
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
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as error:  # a read-only or foreign folder: refused before anything is read or written
                raise RunWriteError(f"cannot write in run folder {self.path} ({error.strerror}); training needs a "
                                    "folder it can write to: fix its permissions or copy it elsewhere") from None
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

    def mirror_to(self, events) -> None:
        """Every metrics line from here on also goes to `events` (an unmt.tensorboard.EventLog), closed with the run."""
        self.events = events

    # --- files --------------------------------------------------------------------------------------
    def write_text(self, name: str, text: str) -> None:
        try:
            atomic_write_text(self.path / name, text)
        except OSError as error:
            raise _write_failure(name, error, None, self.path) from None

    def write_json(self, name: str, value) -> None:
        self.write_text(name, json.dumps(value, indent=1, ensure_ascii=False))

    def log(self, kind: str, record: dict) -> None:
        """Appends one metrics line; `kind` is setup, train or eval, the same for every trainer. The line goes out
        in one write; if that fails (a full disk) the file is cut back to where it was, so no torn line stays."""
        line = (json.dumps({"kind": kind, **record}) + "\n").encode("utf-8")
        path = self.path / METRICS
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            try:
                if os.write(fd, line) != len(line):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            except OSError as error:
                os.ftruncate(fd, size)
                raise _write_failure(f"a line of {METRICS}", error, None, self.path) from None
        finally:
            os.close(fd)
        if self.events is not None:
            self.events.write(kind, record)

    # --- checkpoints ----------------------------------------------------------------------------------
    def save_checkpoint(
        self, step: int, weights: dict[str, dict[str, torch.Tensor]], trainer_state: dict, state: dict
    ) -> Path:
        """Writes step-<N>/ completely under a temporary name, renames it into place and points `latest` at it.
        A write that fails removes its partial folder and leaves `latest` and `best` where they were."""
        final = self.path / checkpoint_name(step)
        tensors = {name: {k: v.detach().cpu().contiguous() for k, v in net.items()} for name, net in weights.items()}
        needed = sum(t.nbytes for net in tensors.values() for t in net.values()) + _tensor_bytes(trainer_state)
        tmp = None
        try:
            tmp = Path(tempfile.mkdtemp(dir=self.path, prefix=PARTIAL))
            for name, net in tensors.items():
                save_file(net, str(weights_file(tmp, name)))
            save_state(trainer_state, tmp)
            (tmp / CHECKPOINT_STATE).write_text(json.dumps(state, indent=1), encoding="utf-8")
            if final.exists():  # set aside, not deleted, until the new one is in place (see repair)
                os.replace(final, self.path / f"{SET_ASIDE}{final.name}")
            os.replace(tmp, final)
            set_pointer(self.path, LATEST, final)
        except (OSError, SafetensorError) as error:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            self.repair()
            raise _write_failure(f"checkpoint {final.name}", error, needed, self.path) from None
        shutil.rmtree(self.path / f"{SET_ASIDE}{final.name}", ignore_errors=True)
        return final

    def point(self, name: str, checkpoint: Path) -> None:
        set_pointer(self.path, name, checkpoint)

    def pointer(self, name: str) -> Path | None:
        return read_pointer(self.path, name)

    def prune(self) -> None:
        """Deletes checkpoint folders no pointer names, and leftovers of crashed writes."""
        keep = {p.name for p in map(self.pointer, POINTERS) if p}
        for path in self.path.iterdir():
            if path.is_dir() and path.name.startswith(CHECKPOINT_PREFIX) and path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)
        self.repair()

    def repair(self) -> None:
        """Undoes what a process killed while writing left behind: a checkpoint set aside for its replacement is
        put back if the replacement never arrived, partial folders and temporary files are removed, and a final
        metrics line cut off mid-write is dropped. Run on opening a run and after every failed write."""
        for aside in self.path.glob(f"{SET_ASIDE}{CHECKPOINT_PREFIX}*"):
            original = self.path / aside.name[len(SET_ASIDE):]
            if original.exists():
                shutil.rmtree(aside, ignore_errors=True)
            else:
                os.replace(aside, original)
        for leftover in self.path.glob(".tmp-*"):  # partial checkpoints and atomic_save's temporary files
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
        _drop_torn_last_line(self.path / METRICS)


def read_metrics(path: Path) -> list[dict]:
    """The records of a metrics.jsonl; a line that is not a JSON object (damaged by hand or by a crash) is skipped
    with one warning naming its line numbers, so one bad line never costs the curves of a whole run."""
    records, damaged = [], []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        if isinstance(record, dict):
            records.append(record)
        else:
            damaged.append(number)
    if damaged:
        log.warning("%s: skipped %d damaged line(s) (%s)", path, len(damaged), ", ".join(map(str, damaged[:10])))
    return records


def _tensor_bytes(value) -> int:
    if isinstance(value, torch.Tensor):
        return value.nbytes
    if isinstance(value, dict):
        return sum(map(_tensor_bytes, value.values()))
    if isinstance(value, (list, tuple)):
        return sum(map(_tensor_bytes, value))
    return 0


def _drop_torn_last_line(path: Path) -> None:
    """A metrics file whose last line has no newline was cut off mid-write (a crash, a full disk): that line goes."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    data = path.read_bytes()
    if data.endswith(b"\n"):
        return
    keep = data.rfind(b"\n") + 1
    log.warning("%s: dropping an incomplete last line (%d bytes) left by an interrupted write", path, len(data) - keep)
    with open(path, "r+b") as handle:
        handle.truncate(keep)


def load_checkpoint_weights(checkpoint: Path, name: str) -> dict[str, torch.Tensor]:
    return load_weights(weights_file(checkpoint, name))


def latest_checkpoint(run_dir: Path, marker: str | None = None) -> Path:
    """The checkpoint `latest` names; `marker`: a file every run of the expected kind holds (GAN_CONFIG for a GAN)."""
    if marker is not None and not (run_dir / marker).is_file():
        raise CheckpointError(f"{run_dir} is not a run folder of this kind (no {marker}); pass the folder or --run "
                              "name that training used")
    checkpoint = read_pointer(run_dir, LATEST)
    if checkpoint is None:
        raise CheckpointError(f"run {run_dir} has no checkpoint yet (no '{LATEST}' file)")
    return checkpoint


def load_nets(checkpoint: Path, nets: dict[str, torch.nn.Module]) -> None:
    """Each network's weights from its file in the checkpoint, refused in one sentence where they do not fit."""
    for name, net in nets.items():
        try:
            net.load_state_dict(load_checkpoint_weights(checkpoint, name))
        except RuntimeError as error:
            raise CheckpointError(f"{weights_file(checkpoint, name)} does not fit the configured network: "
                                  f"{str(error).splitlines()[0]}") from None


def load_trainer_state(checkpoint: Path) -> tuple[dict, dict]:
    """(trainer state, state.json) of a checkpoint. Checkpoints written before the pickle-free format hold their
    trainer state as trainer.pt (UNMT) or trainer.json + optimizers.safetensors (GANs): both are still read."""
    if (checkpoint / f"{TRAINER_STATE}.safetensors").is_file():
        trainer = load_state(checkpoint)
    elif (checkpoint / f"{OLD_GAN_TRAINER_TENSORS}.safetensors").is_file():
        trainer = load_state(checkpoint, tensors_name=OLD_GAN_TRAINER_TENSORS)
    elif (checkpoint / OLD_TRAINER_STATE).is_file():
        trainer = load_pickled_trainer_state(checkpoint / OLD_TRAINER_STATE)
    else:
        raise CheckpointError(f"checkpoint {checkpoint} has no trainer state; the run folder was altered")
    return trainer, load_json(checkpoint / CHECKPOINT_STATE)
