"""The service's counters and histograms, written in Prometheus' text exposition format (version 0.0.4).

Kept by hand rather than with prometheus_client: a handful of series, one process, no extra dependency."""
from __future__ import annotations

import bisect
from collections import Counter

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Histogram:
    def __init__(self, buckets: tuple[float, ...]):
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)  # the last one is +Inf
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value

    def lines(self, name: str) -> list[str]:
        out, running = [], 0
        for bound, count in zip([*(format(b, "g") for b in self.buckets), "+Inf"], self.counts):
            running += count
            out.append(f'{name}_bucket{{le="{bound}"}} {running}')
        return [*out, f"{name}_sum {self.total!r}", f"{name}_count {running}"]


class Metrics:
    def __init__(self):
        self.requests: Counter[tuple[str, int]] = Counter()  # (path, status) -> count
        self.sentences: Counter[str] = Counter()  # direction "en-fr" -> lines translated
        self.latency = Histogram(LATENCY_BUCKETS)
        self.batch_size = Histogram(BATCH_BUCKETS)
        self.queued_sentences = 0  # set by the batcher

    def request_done(self, path: str, status: int, seconds: float) -> None:
        self.requests[path, status] += 1
        if path == "/translate":
            self.latency.observe(seconds)

    def text(self) -> str:
        lines = ["# HELP unmt_requests_total HTTP requests answered, by path and status code.",
                 "# TYPE unmt_requests_total counter"]
        lines += [f'unmt_requests_total{{path="{p}",status="{s}"}} {n}' for (p, s), n in sorted(self.requests.items())]
        errors = sum(n for (_, status), n in self.requests.items() if status >= 400)
        lines += ["# HELP unmt_request_errors_total HTTP requests answered with a 4xx or 5xx status.",
                  "# TYPE unmt_request_errors_total counter", f"unmt_request_errors_total {errors}"]
        lines += ["# HELP unmt_sentences_total Lines translated, by direction.", "# TYPE unmt_sentences_total counter"]
        lines += [f'unmt_sentences_total{{direction="{d}"}} {n}' for d, n in sorted(self.sentences.items())]
        lines += [
            "# HELP unmt_request_seconds Time to answer POST /translate.",
            "# TYPE unmt_request_seconds histogram",
        ]
        lines += self.latency.lines("unmt_request_seconds")
        lines += [
            "# HELP unmt_batch_sentences Lines decoded together in one batch.",
            "# TYPE unmt_batch_sentences histogram",
        ]
        lines += self.batch_size.lines("unmt_batch_sentences")
        lines += ["# HELP unmt_queue_sentences Lines waiting for a batch.", "# TYPE unmt_queue_sentences gauge",
                  f"unmt_queue_sentences {self.queued_sentences}"]
        return "\n".join(lines) + "\n"

