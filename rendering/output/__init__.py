"""What is done with a PDF once made: kept (the content-addressed cache), shared (identical
renders under way join one), remembered (what a repeated request needs, without reading it again)
and paged (one page as a PNG picture).
"""

from __future__ import annotations

from ._cache import CacheStatistics, PdfCache, render_key
from ._inflight import InFlight
from ._pages import DPI_DEFAULT, DPI_MAX, DPI_MIN, PAGE_MAX, PageRasterizer, PageRequest
from ._recent import Recent, body_digest

__all__ = [
    "DPI_DEFAULT",
    "DPI_MAX",
    "DPI_MIN",
    "PAGE_MAX",
    "CacheStatistics",
    "InFlight",
    "PageRasterizer",
    "PageRequest",
    "PdfCache",
    "Recent",
    "body_digest",
    "render_key",
]
