"""The one loop every trainer runs in (UNMT's TrainingRun, the GANs' GanRun, and any later one).

It owns what is the same for all of them: the step and time budgets (the clock carries over across resumes), the
cadence of train lines and checkpoints, SIGINT/SIGTERM/SIGUSR1 (finish the step, save, raise StoppedBySignal),
every rank stopping at the same step, and rank 0 alone writing. A trainer brings only what is its own, through
the four members of `LoopTrainer`.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

import torch
from tqdm import tqdm

from unmt.adversarial.trainer import NonFiniteLossError
from unmt.distributed import World
from unmt.run_directory import RunDirectory
from unmt.stop_signals import StoppedBySignal, StopRequest, agree_to_stop

log = logging.getLogger("unmt")


class LoopTrainer(Protocol):
    """What a trainer gives the loop. Every rank calls every member; the trainer decides what rank 0 alone does."""

    @property
    def step_count(self) -> int: ...

    def train_step(self) -> dict[str, float]:
        """One update; its metrics (numbers) for the train lines."""

    def train_record(self, means: dict[str, float]) -> dict:
        """The train line's metrics from the means over steps and ranks since the last line."""

    def checkpoint(self, step: int, seconds: float) -> float:
        """Evaluates (at the trainer's discretion) and saves; returns seconds to keep off the training clock."""

    def save(self, step: int, seconds: float) -> None:
        """Saves without evaluating: a stop signal's grace period is short."""


@dataclass(frozen=True)
class Budget:
    max_steps: int  # the step count to reach (counted from the run's start, not this session's)
    max_seconds: float = 0.0  # training seconds over every session; 0 = none


@dataclass(frozen=True)
class Cadence:
    log_every: int  # steps between train lines
    checkpoint_every: int  # steps between checkpoints (with evaluation)


@dataclass
class LoopEnd:
    step: int
    seconds: float  # the training clock, over every session


def run_loop(trainer: LoopTrainer, directory: RunDirectory, world: World, budget: Budget, cadence: Cadence,
             seconds_before: float = 0.0, resumed: bool = False) -> LoopEnd:
    """Trains until the step budget is reached or the time budget spent, then checkpoints the last step unless this
    session just did (a run resumed with nothing left to train is evaluated and saved again, so its command still
    reports scores). A stop signal saves the step just finished and raises StoppedBySignal on every rank."""
    started = time.monotonic() - seconds_before
    seconds = seconds_before
    running: dict[str, list[float]] = {}
    saved_at = trainer.step_count if resumed else None  # a resumed run's step is saved already (the same on every rank)
    checkpointed_at = None  # the last step this session evaluated and saved
    progress = tqdm(total=budget.max_steps, initial=trainer.step_count, desc="train", unit="step", leave=False,
                    disable=None if world.is_main else True)
    with StopRequest() as stop:
        try:
            while trainer.step_count < budget.max_steps:
                out_of_time = bool(budget.max_seconds) and seconds >= budget.max_seconds and world.is_main
                out_of_time, signalled = agree_to_stop(world, out_of_time, stop)
                if signalled:
                    _stop_with_checkpoint(
                        trainer, world, signalled, seconds, already_saved=saved_at == trainer.step_count
                    )
                if out_of_time:
                    if world.is_main:
                        log.info("stopping at step %d: the %.1f-minute budget is spent", trainer.step_count,
                                 budget.max_seconds / 60)
                    break
                metrics = trainer.train_step()
                seconds = time.monotonic() - started
                for key, value in metrics.items():
                    running.setdefault(key, []).append(value)
                step = trainer.step_count
                progress.update(1)
                if step % cadence.log_every == 0:
                    means = world_means(running, world)
                    progress.set_postfix(loss=means.get("loss"))
                    if world.is_main:
                        directory.log(
                            "train", {"step": step, "seconds": round(seconds, 1), **trainer.train_record(means)}
                        )
                    running = {}
                if step % cadence.checkpoint_every == 0:
                    started += trainer.checkpoint(step, seconds)
                    saved_at = checkpointed_at = step
                    seconds = time.monotonic() - started
        except NonFiniteLossError:
            log.error("stopping: the last good checkpoint in %s is kept", directory.path)
            raise
        finally:
            progress.close()
    if checkpointed_at != trainer.step_count:
        started += trainer.checkpoint(trainer.step_count, seconds)
    return LoopEnd(trainer.step_count, seconds)


def _stop_with_checkpoint(trainer: LoopTrainer, world: World, signum: int, seconds: float, already_saved: bool) -> None:
    """Saves the step just finished (every rank takes part, rank 0 writes) and stops every rank."""
    step = trainer.step_count
    if not already_saved:
        if world.is_main:
            log.warning("stopping on request: saving a checkpoint at step %d before exiting", step)
        trainer.save(step, seconds)
    world.barrier()  # rank 0 has written it when every rank passes here
    raise StoppedBySignal(signum, step)


def world_means(running: dict[str, list[float]], world: World) -> dict[str, float]:
    """Each metric's mean over the steps since the last line, then over the ranks (one collective)."""
    keys = sorted(running)
    means = torch.tensor([sum(running[k]) / len(running[k]) for k in keys], dtype=torch.float64)
    means = world.sum_(means) / world.size
    return {k: float(v) for k, v in zip(keys, means)}
