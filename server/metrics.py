"""Prometheus metrics, one registry per app (so tests and several apps in a process never clash).

Counters and histograms are updated as things happen; the load gauges (slots, in flight, queue
depth) are read from the renderer's ``statistics()`` at scrape time, never kept as a second copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import trio
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from rendering import (
    CacheStatistics,
    Outcome,
    RenderStatistics,
    SharedCacheStatistics,
    ZygoteStatistics,
)

from .store.observer import PoolStatistics

# 10 ms .. 60 s, roughly doubling: renders, queue waits and request durations.
DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
# The loop should be late by microseconds; anything past a few ms is a stall worth seeing.
LAG_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LAG_INTERVAL_S = 0.05
# A store call: a fraction of a millisecond on loopback; seconds only when the database is
# in trouble (a lock held, a restart).
STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _LoadCollector(Collector):
    """Gauges computed from a live ``statistics()`` snapshot at each scrape."""

    def __init__(
        self,
        statistics: Callable[[], RenderStatistics],
        cache_statistics: Callable[[], CacheStatistics],
    ) -> None:
        self._statistics = statistics
        self._cache_statistics = cache_statistics

    def collect(self) -> Iterator[Metric]:
        cache = self._cache_statistics()
        yield GaugeMetricFamily(
            "texrender_cache_bytes", "Bytes of PDFs held in memory.", value=cache.bytes
        )
        yield GaugeMetricFamily(
            "texrender_cache_entries", "PDFs held in memory.", value=cache.entries
        )
        yield GaugeMetricFamily(
            "texrender_cache_hit_ratio", "Cache hits over lookups.", value=cache.hit_ratio
        )
        yield CounterMetricFamily("texrender_cache_hits", "Cache hits.", value=cache.hits)
        yield CounterMetricFamily("texrender_cache_misses", "Cache misses.", value=cache.misses)
        if cache.shared is not None:
            yield from _shared_cache_metrics(cache.shared)
        stats = self._statistics()
        yield GaugeMetricFamily(
            "texrender_render_slots", "TeX processes allowed at once.", value=stats.slots
        )
        yield GaugeMetricFamily(
            "texrender_renders_in_flight", "TeX processes running now.", value=stats.busy
        )
        yield GaugeMetricFamily(
            "texrender_queue_depth", "Renders waiting for a slot.", value=stats.waiting
        )
        yield GaugeMetricFamily(
            "texrender_queue_max", "Renders that may wait before 429.", value=stats.queue_max
        )


def _shared_cache_metrics(shared: SharedCacheStatistics) -> Iterator[Metric]:
    """The shared (Redis) cache tier: its calls by result, whether it answers, how fast."""
    counters = {
        "hits": ("Shared-cache lookups that found a PDF.", shared.hits),
        "misses": ("Shared-cache lookups that found nothing.", shared.misses),
        "errors": ("Shared-cache calls that failed or timed out.", shared.errors),
        "skipped": ("Shared-cache calls not made while it was failing.", shared.skipped),
        "writes": ("PDFs written to the shared cache.", shared.writes),
        "too_large": ("PDFs not written to the shared cache: over the size cap.", shared.too_large),
    }
    for name, (documentation, value) in counters.items():
        yield CounterMetricFamily(f"texrender_cache_shared_{name}", documentation, value=value)
    yield GaugeMetricFamily(
        "texrender_cache_shared_up",
        "1 when the shared cache answered its last call, else 0.",
        value=1 if shared.state == "up" else 0,
    )
    latency = HistogramMetricFamily(
        "texrender_cache_shared_seconds",
        "Duration of shared-cache calls (lookups and writes), answered or not.",
        labels=["operation"],
    )
    for operation, seconds in (("get", shared.get_seconds), ("put", shared.put_seconds)):
        buckets = [(_bound(le), count) for le, count in seconds.buckets()]
        latency.add_metric([operation], buckets, sum_value=seconds.sum_s)
    yield latency


class _PoolCollector(Collector):
    """The shared database's connection pool, read at each scrape."""

    def __init__(self, statistics: Callable[[], PoolStatistics]) -> None:
        self._statistics = statistics

    def collect(self) -> Iterator[Metric]:
        pool = self._statistics()
        yield GaugeMetricFamily(
            "texrender_store_pool_size", "Connections to the database allowed.", value=pool.size
        )
        yield GaugeMetricFamily(
            "texrender_store_connections_open",
            "Connections to the database open (in use or idle).",
            value=pool.open,
        )
        yield GaugeMetricFamily(
            "texrender_store_connections_in_use",
            "Connections to the database lent to a call now.",
            value=pool.in_use,
        )
        yield GaugeMetricFamily(
            "texrender_store_calls_waiting",
            "Store calls waiting for a connection to the database.",
            value=pool.waiting,
        )


class _ZygoteCollector(Collector):
    """The loaded engines (TeX zygotes), read at each scrape."""

    def __init__(self, statistics: Callable[[], ZygoteStatistics]) -> None:
        self._statistics = statistics

    def collect(self) -> Iterator[Metric]:
        zygotes = self._statistics()
        yield GaugeMetricFamily(
            "texrender_zygotes_ready",
            "TeX processes with a format loaded, ready to fork renders.",
            value=zygotes.ready,
        )
        yield CounterMetricFamily(
            "texrender_zygote_starts",
            "TeX zygotes started (the first of each format, and each replacement).",
            value=zygotes.started,
        )
        jobs = CounterMetricFamily(
            "texrender_zygote_jobs",
            "TeX runs from a format: forked from a zygote, or declined (none ready: run fresh).",
            labels=["how"],
        )
        jobs.add_metric(["forked"], zygotes.forked)
        jobs.add_metric(["declined"], zygotes.declined)
        yield jobs
        yield CounterMetricFamily(
            "texrender_zygote_jobs_cpu_seconds",
            "CPU seconds of the TeX runs forked from zygotes (each run's own, its children's "
            "included; the zygotes' own CPU is not in it).",
            value=zygotes.forked_cpu_s,
        )


def _bound(le: float) -> str:
    return "+Inf" if le == float("inf") else repr(le)


class Metrics:
    """Every metric texrender exports, registered in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.renders = Counter(
            "texrender_renders",
            "Render requests by template and outcome.",
            ["template", "outcome"],
            registry=r,
        )
        self.render_duration = Histogram(
            "texrender_render_duration_seconds",
            "Time TeX ran for one render.",
            ["template"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.queue_wait = Histogram(
            "texrender_queue_wait_seconds",
            "Time a render waited for a slot.",
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.loop_lag = Histogram(
            "texrender_event_loop_lag_seconds",
            f"How late a {LAG_INTERVAL_S * 1000:g} ms sleep on the event loop woke up.",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.http_requests = Counter(
            "texrender_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "texrender_http_request_duration_seconds",
            "HTTP request duration by route template.",
            ["route"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.early_refusals = Counter(
            "texrender_early_refusals",
            "Renders refused for load before the request's machinery ran (cheaply), by problem "
            "type; also counted in texrender_http_requests and texrender_renders.",
            ["type"],
            registry=r,
        )
        self.auth_failures = Counter(
            "texrender_auth_failures",
            "Requests refused for want of a valid API key, by reason.",
            ["reason"],
            registry=r,
        )
        self.document_writes = Counter(
            "texrender_document_writes",
            "Stored-document writes by operation (create, replace, patch, delete).",
            ["operation"],
            registry=r,
        )
        self.store_query = Histogram(
            "texrender_store_query_seconds",
            "Duration of calls to the shared database, with a connection, by operation.",
            ["operation"],
            buckets=STORE_BUCKETS,
            registry=r,
        )
        self.store_errors = Counter(
            "texrender_store_errors",
            "Calls to the shared database that failed (unreachable, timed out), by operation.",
            ["operation"],
            registry=r,
        )
        self.build_info = Gauge(  # an info-style series: constant 1, the facts in its labels
            "texrender_build_info",
            "texrender version and TeX engine version.",
            ["version", "tex_engine_version"],
            registry=r,
        )
        ProcessCollector(namespace="texrender", registry=r)

    def set_build_info(self, version: str, tex_engine_version: str) -> None:
        self.build_info.labels(version, tex_engine_version).set(1)

    def watch_pipeline(
        self,
        statistics: Callable[[], RenderStatistics],
        cache_statistics: Callable[[], CacheStatistics],
    ) -> None:
        self.registry.register(_LoadCollector(statistics, cache_statistics))

    # StoreObserver
    def store_called(self, operation: str, seconds: float, *, failed: bool) -> None:
        self.store_query.labels(operation).observe(seconds)
        if failed:
            self.store_errors.labels(operation).inc()

    def watch_zygotes(self, statistics: Callable[[], ZygoteStatistics]) -> None:
        self.registry.register(_ZygoteCollector(statistics))

    def watch_pool(self, statistics: Callable[[], PoolStatistics]) -> None:
        self.registry.register(_PoolCollector(statistics))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    # RenderObserver
    def queue_waited(self, template: str, seconds: float) -> None:
        self.queue_wait.observe(seconds)

    def typeset(self, template: str, seconds: float) -> None:
        self.render_duration.labels(template).observe(seconds)

    def finished(self, template: str, outcome: Outcome) -> None:
        self.renders.labels(template, outcome.value).inc()

    async def measure_loop_lag(self, interval_s: float = LAG_INTERVAL_S) -> None:
        """Forever: sleep ``interval_s`` and record how much later than asked the loop woke.

        Runs in the app's nursery; a blocked loop shows up here as lag.
        """
        while True:
            asked = trio.current_time() + interval_s
            await trio.sleep_until(asked)
            self.loop_lag.observe(max(0.0, trio.current_time() - asked))
