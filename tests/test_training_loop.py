"""The loop both trainers run in (unmt.training_loop), driven by a stand-in trainer so each rule is seen alone:
the step budget, the time budget carried over from earlier sessions, the cadence of lines and checkpoints, and a
stop signal saving the step it arrived after."""
import os
import signal

import pytest

import unmt.training_loop as loop
from unmt.distributed import World
from unmt.gan.train import GanRun
from unmt.run_directory import RunDirectory, read_metrics
from unmt.stop_signals import StoppedBySignal
from unmt.translation.train import TrainingRun


class Counter:
    """Counts steps; its loss is the step number, so a train line's mean says which steps it covered."""

    def __init__(self, step=0, signal_after=None, seconds_per_step=0.0, clock=None):
        self.step_count, self.signal_after, self.clock = step, signal_after, clock
        self.seconds_per_step = seconds_per_step
        self.checkpoints, self.saves = [], []

    def train_step(self):
        self.step_count += 1
        if self.clock is not None:
            self.clock[0] += self.seconds_per_step
        if self.step_count == self.signal_after:
            os.kill(os.getpid(), signal.SIGTERM)
        return {"loss": float(self.step_count)}

    def train_record(self, means):
        return means

    def checkpoint(self, step, seconds):
        self.checkpoints.append(step)
        return 0.0

    def save(self, step, seconds):
        self.saves.append(step)


def run(tmp_path, trainer, max_steps, max_seconds=0.0, seconds_before=0.0, resumed=False, log_every=2, every=4):
    return loop.run_loop(trainer, RunDirectory(tmp_path), World(), loop.Budget(max_steps, max_seconds),
                         loop.Cadence(log_every, every), seconds_before, resumed)


def test_lines_and_checkpoints_follow_the_cadence_and_the_last_step_is_always_saved(tmp_path):
    trainer = Counter()
    end = run(tmp_path, trainer, max_steps=10)
    assert end.step == 10 and trainer.checkpoints == [4, 8, 10] and trainer.saves == []
    lines = read_metrics(tmp_path / "metrics.jsonl")
    assert [(r["step"], r["loss"]) for r in lines] == [(2, 1.5), (4, 3.5), (6, 5.5), (8, 7.5), (10, 9.5)]


def test_a_resumed_run_that_has_reached_its_steps_is_checkpointed_once_more(tmp_path):
    trainer = Counter(step=8)  # its command then reports the scores of the step it ends at, as any run's does
    assert run(tmp_path, trainer, max_steps=8, resumed=True).step == 8
    assert trainer.checkpoints == [8] and trainer.saves == []


def test_the_time_budget_counts_earlier_sessions(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(loop.time, "monotonic", lambda: clock[0])
    trainer = Counter(step=4, seconds_per_step=10.0, clock=clock)
    # 30 s trained before, a 60 s budget: three more steps of 10 s, then the last one is checkpointed
    end = run(tmp_path, trainer, max_steps=100, max_seconds=60.0, seconds_before=30.0, resumed=True)
    assert end.step == 7 and end.seconds == pytest.approx(60.0)
    assert trainer.checkpoints == [7]


def test_a_stop_signal_saves_the_step_it_came_after_and_raises(tmp_path):
    trainer = Counter(signal_after=5)
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(StoppedBySignal) as stopped:
        run(tmp_path, trainer, max_steps=100)
    assert stopped.value.step == 5 and stopped.value.exit_code == 128 + signal.SIGTERM
    assert trainer.saves == [5] and trainer.checkpoints == [4]
    assert signal.getsignal(signal.SIGTERM) is previous


def test_a_stop_signal_right_after_a_checkpoint_does_not_save_twice(tmp_path):
    trainer = Counter(signal_after=4)
    with pytest.raises(StoppedBySignal):
        run(tmp_path, trainer, max_steps=100)
    assert trainer.checkpoints == [4] and trainer.saves == []


@pytest.mark.parametrize("trainer", [TrainingRun, GanRun])
def test_both_trainers_are_what_the_loop_drives(trainer):
    for member in ("step_count", "train_step", "train_record", "checkpoint", "save"):
        assert hasattr(trainer, member), member
