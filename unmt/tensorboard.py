"""TensorBoard event files beside a run's metrics.jsonl, which stays the record: every number of every metrics
line becomes a scalar named <kind>/<key> (nested values <kind>/<key>/<inner key>), and the configuration is
written as hyper-parameters.

A resumed run restarts from its last checkpoint, so the killed session may have logged steps that the resumed one
logs again. The writer of each session purges, from TensorBoard's view, every earlier event at or after the first
step it writes, so the curves continue without doubling back, as the last values of metrics.jsonl do.

`unmt tensorboard RUN` writes the events of a run trained before (or without) them, from its metrics.jsonl.
"""
from __future__ import annotations

import json
import logging
import numbers
import shutil
from pathlib import Path

from unmt.errors import UserError
from unmt.run_directory import read_metrics
from unmt.run_layout import CONFIG, METRICS, TENSORBOARD

log = logging.getLogger("unmt")

EVENTS_DIR = TENSORBOARD  # inside the run folder


def scalars(kind: str, record: dict, prefix: str = "") -> dict[str, float]:
    """The numbers of one metrics line, by TensorBoard tag; the step and text values are left out."""
    out = {}
    for key, value in record.items():
        if key == "step" and not prefix:
            continue
        tag = f"{prefix or kind}/{key}"
        if isinstance(value, dict):
            out.update(scalars(kind, value, tag))
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            out[tag] = float(value)
    return out


def flat_config(config: dict, prefix: str = "") -> dict:
    """A nested configuration as TensorBoard hyper-parameters: numbers, text and booleans by dotted key."""
    out = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_config(value, name + "."))
        elif isinstance(value, (bool, int, float, str)):
            out[name] = value
        else:
            out[name] = json.dumps(value)
    return out


class EventLog:
    """Writes metrics lines as TensorBoard scalars. A writer opens at the first line, and again at a line whose
    step is not past the last line of its kind (a resumption, when converting a whole metrics.jsonl): its step is
    where the new writer's curves take over from what was written before."""

    def __init__(self, folder: Path, hparams: dict | None = None):
        from torch.utils.tensorboard import SummaryWriter  # needs the tensorboard package

        self._writer_class = SummaryWriter
        self.folder, self.hparams, self.writer = folder, hparams, None
        self.last_steps: dict[str, int] = {}  # kind -> step of its last line, since the writer opened

    @classmethod
    def open(cls, run_dir: Path, config: dict | None) -> "EventLog | None":
        """The run's event log, or None with one warning when the tensorboard package is missing."""
        try:
            return cls(run_dir / EVENTS_DIR, flat_config(config) if config else None)
        except ImportError:
            log.warning('TensorBoard events are not written: pip install -e ".[tensorboard]" (or set '
                        "runtime.tensorboard=false to silence this)")
            return None

    def write(self, kind: str, record: dict) -> None:
        step = int(record.get("step", 0))
        if self.writer is None or step <= self.last_steps.get(kind, -1):
            self.close()
            self.writer = self._writer_class(str(self.folder), purge_step=step)
            self.last_steps = {}
            if self.hparams:
                self._write_hparams()
        self.last_steps[kind] = step
        for tag, value in scalars(kind, record).items():
            self.writer.add_scalar(tag, value, step)
        self.writer.flush()

    def _write_hparams(self) -> None:
        from torch.utils.tensorboard.summary import hparams

        # Into this run's own event file (SummaryWriter.add_hparams would make a separate run for them).
        for summary in hparams(self.hparams, {}):
            self.writer.file_writer.add_summary(summary)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def convert_metrics(run_dir: Path, replace: bool = False) -> Path:
    """Writes the run's TensorBoard events from its metrics.jsonl (and config.yaml, when it has one)."""
    import yaml

    metrics = run_dir / METRICS
    if not metrics.is_file():
        raise UserError(f"{run_dir} has no metrics.jsonl: give a run folder or a run name")
    folder = run_dir / EVENTS_DIR
    if folder.exists() and any(folder.iterdir()):
        if not replace:
            raise UserError(f"{folder} already holds events; pass --replace to write them again")
        shutil.rmtree(folder)
    config_file = run_dir / CONFIG
    config = yaml.safe_load(config_file.read_text(encoding="utf-8")) if config_file.is_file() else None
    events = EventLog.open(run_dir, config)
    if events is None:
        raise UserError('the tensorboard package is not installed: pip install -e ".[tensorboard]"')
    for record in read_metrics(metrics):
        events.write(record.pop("kind", "train"), record)
    events.close()
    return folder
