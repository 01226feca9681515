"""Dynamic batching: the lines of concurrent requests are decoded together, and each answer goes back to its request.

Decoding runs on `workers` threads: one for the torch engine, whose one batch already uses every core; as many as
CTranslate2 has workers, each decoding its own batch on one core, so that one batch decodes while the lines of the
next arrive. A batch is started, when a decoding thread is free, as soon as `max_sentences` lines wait, or
`max_wait` seconds after the first one arrived. It takes lines from the waiting requests in turns, one line per
request per turn, so a request of many lines shares each batch with the short ones that came after it instead of holding
them back until all its lines are done."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from unmt.serve.metrics import Metrics

log = logging.getLogger("unmt")


class QueueFull(Exception):
    """More lines wait than the server takes: the request is turned away rather than left to time out."""


@dataclass(eq=False)
class _Job:
    key: Hashable  # what may share a batch: (source, target, n-best size)
    lines: list[str]
    future: asyncio.Future
    results: list = field(default_factory=list)
    sent: int = 0  # lines handed to a batch so far
    answered: int = 0

    @property
    def waiting(self) -> int:
        return len(self.lines) - self.sent


class Batcher:
    def __init__(self, decode: Callable[[Hashable, list[str]], list], metrics: Metrics, max_sentences: int = 32,
                 max_wait: float = 0.005, max_queued: int = 4000, workers: int = 1):
        """`decode(key, lines)` -> one result per line, called on a decoding thread (`workers` of them)."""
        self.decode, self.metrics = decode, metrics
        self.max_sentences, self.max_wait, self.max_queued = max_sentences, max_wait, max_queued
        self._jobs: list[_Job] = []  # in arrival order
        self._arrived = asyncio.Event()
        self._closing = False
        self._thread = ThreadPoolExecutor(workers, thread_name_prefix="unmt-decode")
        self._free = asyncio.Semaphore(workers)
        self._decoding: set[asyncio.Task] = set()

    @property
    def queued(self) -> int:
        return sum(job.waiting for job in self._jobs)

    async def translate(self, key: Hashable, lines: list[str]) -> list:
        """One result per line, once every line has been decoded in some batch."""
        if not lines:
            return []
        if self.queued + len(lines) > self.max_queued:
            raise QueueFull(f"{self.queued} lines are already waiting")
        job = _Job(key, lines, asyncio.get_running_loop().create_future(), results=[None] * len(lines))
        self._jobs.append(job)
        self._arrived.set()
        try:
            return await job.future
        finally:  # answered, timed out or the client left: its lines not yet decoded are dropped
            if job in self._jobs:
                self._jobs.remove(job)
            self.metrics.queued_sentences = self.queued

    async def run(self) -> None:
        """Decodes batches until close() is called and nothing waits."""
        while True:
            if not any(job.waiting for job in self._jobs):
                if self._closing:
                    break
                self._arrived.clear()
                await self._arrived.wait()
                continue
            await self._free.acquire()
            if self.queued < self.max_sentences:
                await asyncio.sleep(self.max_wait)  # let concurrent requests join this batch
            if not any(job.waiting for job in self._jobs):  # they left while it waited
                self._free.release()
                continue
            # The batch is taken here, not in the task, so the next turn of this loop sees its lines as sent.
            task = asyncio.create_task(self._decode_one_batch(self._next_batch()))
            self._decoding.add(task)
            task.add_done_callback(self._decoding.discard)
        if self._decoding:
            await asyncio.gather(*self._decoding)
        self._thread.shutdown(wait=True)

    def close(self) -> None:
        self._closing = True
        self._arrived.set()

    def _next_batch(self) -> list[tuple[_Job, int]]:
        """(job, line index) pairs of one key, the oldest waiting job's, taken in turns across its jobs."""
        key = next(job.key for job in self._jobs if job.waiting)
        turn = [job for job in self._jobs if job.key == key and job.waiting]
        batch: list[tuple[_Job, int]] = []
        while turn and len(batch) < self.max_sentences:
            for job in turn[: self.max_sentences - len(batch)]:
                batch.append((job, job.sent))
                job.sent += 1
            turn = [job for job in turn if job.waiting]
        return batch

    async def _decode_one_batch(self, batch: list[tuple[_Job, int]]) -> None:
        try:
            await self._decode(batch)
        finally:
            self._free.release()

    async def _decode(self, batch: list[tuple[_Job, int]]) -> None:
        self.metrics.queued_sentences = self.queued
        self.metrics.batch_size.observe(len(batch))
        lines = [job.lines[index] for job, index in batch]
        key = batch[0][0].key
        try:
            results = await asyncio.get_running_loop().run_in_executor(self._thread, self.decode, key, lines)
        except Exception as error:  # a bug in decoding: the requests of this batch fail, the service goes on
            log.exception("decoding a batch of %d lines failed", len(lines))
            for job, _ in batch:
                job.sent = len(job.lines)  # nothing more of it is decoded
                if not job.future.done():
                    job.future.set_exception(error)
            return
        for (job, index), result in zip(batch, results):
            job.results[index] = result
            job.answered += 1
            if job.answered == len(job.lines) and not job.future.done():
                job.future.set_result(job.results)
