"""The stop flag itself, in one process: a signal inside a loop only raises the flag, a second Ctrl-C stops at once,
the handlers come back afterwards, and ranks agree on the signal that stops them."""
import os
import signal

import pytest
import torch

from unmt.stop_signals import StopRequest, agree_to_stop


class OtherRanks:
    """A world whose other ranks add `votes` to every all-reduce."""
    distributed = True

    def __init__(self, votes):
        self.votes = torch.tensor(votes, dtype=torch.float32)

    def sum_(self, tensor):
        return tensor + self.votes


def test_a_signal_in_the_loop_raises_the_flag_and_the_handlers_come_back():
    before = signal.getsignal(signal.SIGUSR1)
    with StopRequest() as stop:
        os.kill(os.getpid(), signal.SIGUSR1)  # delivered at once, to this (main) thread
        assert stop.received == signal.SIGUSR1
        os.kill(os.getpid(), signal.SIGTERM)  # a later signal changes nothing
        assert stop.received == signal.SIGUSR1
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C after a stop request: at once
    assert signal.getsignal(signal.SIGUSR1) is before


@pytest.mark.parametrize("mine, others, expected", [
    (None, [0, 0, 0], None),  # nobody was signalled
    (None, [0, 1, 15], signal.SIGTERM),  # another rank's signal stops this one too
    (None, [0, 2, 20], signal.SIGUSR1),  # two others, both SIGUSR1
    (None, [0, 2, 25], signal.SIGTERM),  # two others with different signals: SIGTERM, not their mean
    (signal.SIGUSR1, [0, 1, 15], signal.SIGUSR1),  # a rank keeps the signal it got itself
])
def test_ranks_agree_on_the_signal_that_stops_them(mine, others, expected):
    stop = StopRequest()
    stop.received = mine
    out_of_time, signalled = agree_to_stop(OtherRanks(others), False, stop)
    assert not out_of_time and signalled == expected


def test_a_budget_spent_on_rank_0_stops_every_rank():
    assert agree_to_stop(OtherRanks([1, 0, 0]), False, StopRequest()) == (True, None)
