"""Stopping a trainer the way clusters ask: SIGINT, SIGTERM (SLURM, Kubernetes and torchrun before SIGKILL) and
SIGUSR1 (SLURM's `--signal` ahead of a time limit) all mean "finish this step, save, release the run".

While a loop is running, a signal only raises a flag that the loop reads at its next step boundary, so the step in
progress completes and the checkpoint written is whole. A second SIGINT stops at once (a person who presses Ctrl-C
twice means it). Outside the loop (setup) there is nothing to save: the signal stops the command at once, as an
interrupt, and the run folder is left as it was found.
"""
from __future__ import annotations

import logging
import signal
import threading

log = logging.getLogger("unmt")

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGUSR1") if hasattr(signal, name))


class StoppedBySignal(Exception):
    """A trainer stopped on request at a step boundary, with a complete checkpoint: resumable. The command exits
    with 128 + the signal's number, as a shell reports a process ended by that signal."""

    def __init__(self, signum: int, step: int):
        self.signum, self.step = signum, step
        name = signal.Signals(signum).name
        super().__init__(f"stopped by {name} at step {step}: checkpoint step-{step:07d} saved; "
                         "`unmt train ... --resume` continues from it")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def agree_to_stop(world, out_of_time: bool, stop: "StopRequest") -> tuple[bool, int | None]:
    """(out of time, the stop signal) as every rank will see them: on many processes one all-reduce at each step
    boundary, so all ranks stop at the same step; a budget spent on any rank (rank 0 keeps the clock) or a signal
    that reached any rank stops them all. `world` is a unmt.distributed.World."""
    signalled = stop.received or 0
    if world.distributed:
        import torch

        votes = world.sum_(torch.tensor([float(out_of_time), float(signalled > 0), float(signalled)]))
        out_of_time, ranks_signalled = votes[0].item() > 0, int(votes[1].item())
        if ranks_signalled and not signalled:  # another rank's signal: theirs when all got the same, else SIGTERM
            mean = round(votes[2].item() / ranks_signalled)
            signalled = mean if mean in STOP_SIGNALS else int(signal.SIGTERM)
    return bool(out_of_time), signalled or None


class StopRequest:
    """Context manager around a training loop: `received` is the first stop signal seen inside it, or None.

    Handlers are installed only in the main thread (Python allows no other); elsewhere the loop simply runs
    without them. The previous handlers come back on exit."""

    def __init__(self):
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "StopRequest":
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum: int, frame) -> None:
        if self.received is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # asked twice: stop now, the last complete checkpoint stands
        if self.received is None:
            self.received = signum
            log.warning("%s received: stopping after this step with a checkpoint (Ctrl-C again stops at once)",
                        signal.Signals(signum).name)


class SignalInterrupt(KeyboardInterrupt):
    """SIGTERM or SIGUSR1 outside a training loop; carries the signal for the exit code."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class InterruptOnStopSignals(StopRequest):
    """Outside a loop (a trainer's setup), SIGTERM and SIGUSR1 interrupt as SIGINT does, so `finally` blocks run
    (the run's lock is released, a half-made run folder removed) instead of the process vanishing with its lock
    file left behind. A StopRequest entered inside it takes over until the loop ends."""

    def _handle(self, signum: int, frame) -> None:
        raise SignalInterrupt(signum)
