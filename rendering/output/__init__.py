"""What is done with a PDF once made: kept (the content-addressed cache, in memory, on disk and
in Redis for every instance), shared (identical renders under way join one), remembered (what a
repeated request needs, without reading it again) and paged (one page as a PNG picture).
"""

from __future__ import annotations

from ._cache import Cached, CacheStatistics, PdfCache, render_key
from ._inflight import InFlight
from ._pages import DPI_DEFAULT, DPI_MAX, DPI_MIN, PAGE_MAX, PageRasterizer, PageRequest
from ._recent import Recent, body_digest
from ._redis import RedisCache
from ._shared import LATENCY_BUCKETS_S, Latencies, SharedCache, SharedCacheStatistics

__all__ = [
    "DPI_DEFAULT",
    "DPI_MAX",
    "DPI_MIN",
    "LATENCY_BUCKETS_S",
    "PAGE_MAX",
    "CacheStatistics",
    "Cached",
    "InFlight",
    "Latencies",
    "PageRasterizer",
    "PageRequest",
    "PdfCache",
    "Recent",
    "RedisCache",
    "SharedCache",
    "SharedCacheStatistics",
    "body_digest",
    "render_key",
]
