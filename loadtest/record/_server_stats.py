"""The server's own account of a run: ``/metrics`` (Prometheus text) scraped before and after,
and ``/readyz`` (slots, renders in flight, queue depth) read before, during and after.

Both are optional: a deployment without ``/metrics`` (404) or ``/readyz`` simply has fewer
figures. Counters are reported as differences over the run, gauges as their final value, and
every ``X_sum``/``X_count`` pair also as a mean (``texrender_queue_wait_seconds`` → mean wait).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import trio
from prometheus_client.parser import text_string_to_metric_families

_COUNTER_SUFFIXES = ("_total", "_sum", "_count")
_KEPT_PREFIXES = ("texrender_", "process_cpu_seconds", "process_resident_memory")

Series = tuple[str, str]  # (sample name, label text such as '{template="echo"}')


def _label_text(labels: dict[str, str]) -> str:
    """Labels written back as the exposition writes them, so a series keeps one stable key in
    the report (``texrender_renders_total{outcome="ok",template="echo"}``)."""
    if not labels:
        return ""
    escaped = (
        (k, v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"'))
        for k, v in labels.items()
    )
    return "{" + ",".join(f'{k}="{v}"' for k, v in escaped) + "}"


def parse_prometheus(text: str) -> dict[Series, float]:
    """Samples of a Prometheus text exposition, by sample name (counters keep their ``_total``,
    histograms their ``_sum``/``_count``); buckets and ``_created`` series are dropped, and only
    texrender's own series (and process CPU/RSS) are kept.

    Raises: ValueError if the text is not a valid exposition.
    """
    samples: dict[Series, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name = sample.name
            if name.startswith(_KEPT_PREFIXES) and not name.endswith(("_bucket", "_created")):
                samples[(name, _label_text(sample.labels))] = sample.value
    return samples


def metrics_figures(before: dict[Series, float], after: dict[Series, float]) -> dict[str, Any]:
    """Counter deltas, final gauges and ``_sum``/``_count`` means over the run."""
    deltas: dict[str, float] = {}
    gauges: dict[str, float] = {}
    means: dict[str, float | None] = {}
    for (name, labels), value in sorted(after.items()):
        key = name + labels
        if name.endswith(_COUNTER_SUFFIXES):
            deltas[key] = round(value - before.get((name, labels), 0.0), 6)
        else:
            gauges[key] = value
        if name.endswith("_sum"):
            base = name.removesuffix("_sum")
            count = after.get((base + "_count", labels), 0.0)
            count -= before.get((base + "_count", labels), 0.0)
            total = value - before.get((name, labels), 0.0)
            means[base + labels] = round(total / count, 6) if count > 0 else None
    return {"deltas": deltas, "gauges": gauges, "means": means}


async def scrape_metrics(client: httpx.AsyncClient) -> dict[Series, float] | None:
    """The parsed ``/metrics``, or ``None`` if the server has none (404), cannot answer, or
    answers something that is not an exposition."""
    try:
        response = await client.get("/metrics")
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    try:
        return parse_prometheus(response.text)
    except ValueError:
        return None  # not an exposition this parser reads: as good as none


async def read_readyz(client: httpx.AsyncClient) -> dict[str, Any] | None:
    """The ``/readyz`` JSON body (200 or 503 alike), or ``None`` if there is none."""
    try:
        response = await client.get("/readyz")
        body = response.json()
    except (httpx.HTTPError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


@dataclass
class ReadyzPeaks:
    """The highest ``renders_in_flight`` and ``queue_depth`` seen while sampling ``/readyz``,
    and how many samples answered 503 (not ready: queue full or draining)."""

    samples: int = 0
    not_ready: int = 0
    peaks: dict[str, int] = field(default_factory=dict)

    async def sample_forever(self, client: httpx.AsyncClient, interval_s: float = 0.25) -> None:
        while True:
            body = await read_readyz(client)
            if body is None:
                return  # no /readyz on this deployment: stop asking
            self.samples += 1
            self.not_ready += not body.get("ready", True)
            for key in ("renders_in_flight", "queue_depth"):
                value = body.get(key)
                if isinstance(value, int):
                    self.peaks[key] = max(self.peaks.get(key, 0), value)
            await trio.sleep(interval_s)

    def as_dict(self) -> dict[str, Any]:
        return {"samples": self.samples, "not_ready": self.not_ready, **self.peaks}
