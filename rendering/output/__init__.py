"""What is done with a PDF once made: kept (the content-addressed cache), shared (identical
renders under way join one), and paged (one page as a PNG picture).
"""

from __future__ import annotations

from ._cache import BodyKeys, CacheStatistics, InFlight, KnownBody, PdfCache, render_key
from ._pages import DPI_DEFAULT, DPI_MAX, DPI_MIN, PAGE_MAX, PageRasterizer, PageRequest

__all__ = [
    "DPI_DEFAULT",
    "DPI_MAX",
    "DPI_MIN",
    "PAGE_MAX",
    "BodyKeys",
    "CacheStatistics",
    "InFlight",
    "KnownBody",
    "PageRasterizer",
    "PageRequest",
    "PdfCache",
    "render_key",
]
