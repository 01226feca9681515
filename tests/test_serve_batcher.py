"""The dynamic batcher alone, with a fake decoder that records every batch it is given."""
import asyncio
import threading

import pytest

pytest.importorskip("starlette")

from unmt.serve.batcher import Batcher, QueueFull  # noqa: E402
from unmt.serve.metrics import Metrics  # noqa: E402


class Recorder:
    """Decodes a line to its upper case, slowly, remembering each batch (key, lines)."""

    def __init__(self, seconds: float = 0.01, fail_on: str | None = None):
        self.batches: list[tuple] = []
        self.seconds, self.fail_on = seconds, fail_on
        self.lock = threading.Lock()

    def __call__(self, key, lines):
        with self.lock:
            self.batches.append((key, list(lines)))
        threading.Event().wait(self.seconds)
        if self.fail_on in lines:
            raise RuntimeError("decoder bug")
        return [line.upper() for line in lines]


def run(coroutine_function, decode, **options):
    async def main():
        batcher = Batcher(decode, Metrics(), **options)
        worker = asyncio.create_task(batcher.run())
        try:
            return await coroutine_function(batcher)
        finally:
            batcher.close()
            await worker
    return asyncio.run(main())


def test_concurrent_requests_share_one_batch_and_each_gets_its_own_answers():
    decode = Recorder()

    async def clients(batcher):
        return await asyncio.gather(*(batcher.translate("en-fr", [f"a{i}", f"b{i}"]) for i in range(5)))

    answers = run(clients, decode, max_sentences=32, max_wait=0.05)
    assert answers == [[f"A{i}", f"B{i}"] for i in range(5)]
    assert len(decode.batches) == 1 and len(decode.batches[0][1]) == 10


def test_a_long_request_does_not_hold_back_a_short_one_that_came_after_it():
    decode = Recorder()

    async def clients(batcher):
        long = asyncio.create_task(batcher.translate("k", [f"long{i}" for i in range(40)]))
        await asyncio.sleep(0)  # the long request is queued first
        short = await batcher.translate("k", ["short"])
        return long, short

    async def scenario(batcher):
        long, short = await clients(batcher)
        batches_when_short_answered = len(decode.batches)
        await long
        return short, batches_when_short_answered

    short, batches = run(scenario, decode, max_sentences=8, max_wait=0.02)
    assert short == ["SHORT"]
    # In the first batch decoded after it arrived (the first one or, if that had already started, the second),
    # beside 7 of the long request's lines, not after all 5 of the long request's batches.
    assert batches <= 2
    assert [len(lines) for _, lines in decode.batches] == [8, 8, 8, 8, 8, 1]


def test_only_requests_of_the_same_direction_share_a_batch():
    decode = Recorder()

    async def clients(batcher):
        return await asyncio.gather(batcher.translate("en-fr", ["x"]), batcher.translate("fr-en", ["y"]),
                                    batcher.translate("en-fr", ["z"]))

    assert run(clients, decode, max_wait=0.05) == [["X"], ["Y"], ["Z"]]
    assert sorted(decode.batches) == [("en-fr", ["x", "z"]), ("fr-en", ["y"])]


def test_a_full_queue_turns_new_requests_away():
    async def clients(batcher):
        first = asyncio.create_task(batcher.translate("k", ["a"] * 8))
        await asyncio.sleep(0)
        with pytest.raises(QueueFull):
            await batcher.translate("k", ["b"] * 5)
        return await first

    assert run(clients, Recorder(), max_queued=10) == ["A"] * 8


def test_a_failing_batch_fails_its_requests_and_the_next_batch_is_decoded():
    async def clients(batcher):
        with pytest.raises(RuntimeError):
            await batcher.translate("k", ["boom", "x"])
        return await batcher.translate("k", ["fine"])

    assert run(clients, Recorder(fail_on="boom")) == ["FINE"]


def test_a_request_given_up_leaves_the_queue():
    decode = Recorder(seconds=0.2)

    async def clients(batcher):
        busy = asyncio.create_task(batcher.translate("k", ["first"]))
        await asyncio.sleep(0.05)  # `first` is being decoded
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(batcher.translate("k", ["abandoned"] * 3), 0.01)
        assert batcher.queued == 0
        return await busy

    assert run(clients, decode) == ["FIRST"]
    assert all("abandoned" not in lines for _, lines in decode.batches)


def test_two_workers_decode_two_batches_at_once_and_answer_each_request():
    """With workers=2 (CTranslate2's two CPU workers) a second batch starts while the first decodes: each decode
    waits at a barrier that only two batches in flight together can pass."""
    barrier = threading.Barrier(2, timeout=10)

    def decode(key, lines):
        barrier.wait()  # a BrokenBarrierError (a failed batch) if the batches were decoded one after the other
        return [line.upper() for line in lines]

    async def clients(batcher):
        return await asyncio.gather(*(batcher.translate("k", [f"l{i}"]) for i in range(4)))

    assert run(clients, decode, max_sentences=2, max_wait=0.01, workers=2) == [["L0"], ["L1"], ["L2"], ["L3"]]
