"""Recording outcomes: every latency in an HDR histogram, counts by status, and a per-second
timeline that shows *when* it hurt.

The latency histogram holds successful answers only (a fast 429 is not a fast render); errors
get their own histogram, so slow failures (timeouts) are still visible. Error answers that say
their problem type (problem+json) are also counted by it, under their status: a 429 the owner's
share refused (``owner-queue-full``) is not one the whole queue did (``queue-full``).
Timeline buckets keep raw samples (small per second) rather than one histogram each, so a long
run does not hold hundreds of histograms.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ._latency import nearest_rank, new_histogram, to_us


def is_ok(status: str) -> bool:
    """2xx and 304 (a cache revalidation) are successes; everything else is an error."""
    return status == "304" or (len(status) == 3 and status.startswith("2"))


@dataclass
class Second:
    """What happened during one second of the run (completions are filed when they end)."""

    sent: int = 0
    ok: int = 0
    errors: int = 0
    latencies_us: list[int] = field(default_factory=list)
    probe_us: list[int] = field(default_factory=list)


class Recorder:
    """Collects every outcome of one run. Times are Trio clock readings; ``start`` is zero."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.histogram = new_histogram()
        self.error_histogram = new_histogram()
        self.status_histograms: dict[str, Any] = {}  # every status, errors included
        self.backoffs = 0  # times a client waited as Retry-After asked
        self.backoff_s = 0.0
        self.probe_histogram = new_histogram()
        self.status_counts: Counter[str] = Counter()
        self.probe_status_counts: Counter[str] = Counter()
        self.problem_counts: dict[str, Counter[str]] = {}  # status -> problem type -> count
        self.seconds: dict[int, Second] = {}
        self.sent = 0
        self.ok = 0
        self.errors = 0
        self.bytes_received = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.max_dispatch_lag_s = 0.0
        self.end: float | None = None
        self.last_sent: float | None = None

    def _second(self, now: float) -> Second:
        index = max(int(now - self.start), 0)
        bucket = self.seconds.get(index)
        if bucket is None:
            bucket = self.seconds[index] = Second()
        return bucket

    def on_sent(self, now: float, scheduled: float) -> None:
        """A request leaves; ``now - scheduled`` is how late the harness itself was."""
        self.sent += 1
        self.last_sent = now
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.max_dispatch_lag_s = max(self.max_dispatch_lag_s, now - scheduled)
        self._second(now).sent += 1

    def on_done(
        self, now: float, latency_s: float, status: str, nbytes: int = 0, problem: str | None = None
    ) -> None:
        """A request ended with an HTTP status (``"200"``) or a transport error name, and, for
        an error answer that says one, its problem type (``"owner-queue-full"``)."""
        self.in_flight -= 1
        self.status_counts[status] += 1
        if problem is not None:
            self.problem_counts.setdefault(status, Counter())[problem] += 1
        self.bytes_received += nbytes
        bucket = self._second(now)
        us = to_us(latency_s)
        by_status = self.status_histograms.get(status)
        if by_status is None:
            by_status = self.status_histograms[status] = new_histogram()
        by_status.record_value(us)
        if is_ok(status):
            self.ok += 1
            bucket.ok += 1
            self.histogram.record_value(us)
            bucket.latencies_us.append(us)
        else:
            self.errors += 1
            bucket.errors += 1
            self.error_histogram.record_value(us)

    def on_backoff(self, seconds: float) -> None:
        """A client waits ``seconds`` before its next request, as ``Retry-After`` asked."""
        self.backoffs += 1
        self.backoff_s += seconds

    def on_probe(self, now: float, latency_s: float, status: str) -> None:
        self.probe_status_counts[status] += 1
        us = to_us(latency_s)
        self.probe_histogram.record_value(us)
        self._second(now).probe_us.append(us)

    def problem_types(self) -> dict[str, dict[str, int]]:
        """Error answers by status, then problem type: ``{"429": {"owner-queue-full": 3}}``."""
        return {
            status: dict(sorted(counts.items()))
            for status, counts in sorted(self.problem_counts.items())
        }

    def elapsed(self, now: float) -> float:
        return (self.end if self.end is not None else now) - self.start

    def timeline(self) -> list[dict[str, Any]]:
        """One row per second from the start: counts, and latency percentiles in ms."""
        if not self.seconds:
            return []
        rows = []
        for index in range(max(self.seconds) + 1):
            bucket = self.seconds.get(index, Second())
            rows.append(
                {
                    "second": index,
                    "sent": bucket.sent,
                    "ok": bucket.ok,
                    "errors": bucket.errors,
                    "p50": nearest_rank(bucket.latencies_us, 50),
                    "p99": nearest_rank(bucket.latencies_us, 99),
                    "probe_p99": nearest_rank(bucket.probe_us, 99),
                }
            )
        return rows
