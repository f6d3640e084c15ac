"""texrender's engine room: JSON data and a template in, a PDF out. No HTTP in here.

The stages, each a package with a small public face::

    catalogue/    templates on disk, loaded and checked once
    reading/      JSON -> the template's data shape (lenient reading, bounds, characters)
    filling/      template + data -> TeX source (escaped, traced)
    typesetting/  TeX source -> PDF in a sandbox (engine, formats, fonts)
    output/       the PDF kept, shared and paged (cache, in-flight sharing, PNG pages)

:func:`build_service` builds them all from a :class:`RenderConfig`. The names below are
this package's public face, the only ones the server imports; they are loaded on first use, so
importing the package (``texrender --help``, the settings) does not pay for Jinja, JSON Schema
and Trio.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .admission import RenderStatistics
    from .catalogue import PAPERS, Catalogue, CatalogueError, Template, find_templates
    from .config import DEFAULT_TEMPLATES_DIR, RenderConfig, RenderLimits, usable_cpus
    from .errors import (
        FieldError,
        InvalidData,
        ReadWarning,
        RenderError,
        RenderQueueFull,
        TexError,
        json_pointer,
        outcome_of,
    )
    from .filling import words_of
    from .outcome import Outcome
    from .output import (
        DPI_DEFAULT,
        DPI_MAX,
        DPI_MIN,
        PAGE_MAX,
        CacheStatistics,
        PageRequest,
        SharedCacheStatistics,
    )
    from .pipeline import PDF, PNG, Checked, Pipeline, Rendered, RenderOrder, Timings
    from .reading import DEFAULT_LIMITS, nests_deeper_than, surrogate_errors, warnings_header
    from .service import RenderService, build_service
    from .typesetting import (
        TexEngine,
        ZygoteStatistics,
        build_shim,
        measure_coverage,
    )

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TEMPLATES_DIR",
    "DPI_DEFAULT",
    "DPI_MAX",
    "DPI_MIN",
    "PAGE_MAX",
    "PAPERS",
    "PDF",
    "PNG",
    "CacheStatistics",
    "Catalogue",
    "CatalogueError",
    "Checked",
    "FieldError",
    "InvalidData",
    "Outcome",
    "PageRequest",
    "Pipeline",
    "ReadWarning",
    "RenderConfig",
    "RenderError",
    "RenderLimits",
    "RenderOrder",
    "RenderQueueFull",
    "RenderService",
    "RenderStatistics",
    "Rendered",
    "SharedCacheStatistics",
    "Template",
    "TexEngine",
    "TexError",
    "Timings",
    "ZygoteStatistics",
    "build_service",
    "build_shim",
    "find_templates",
    "json_pointer",
    "measure_coverage",
    "nests_deeper_than",
    "outcome_of",
    "surrogate_errors",
    "usable_cpus",
    "warnings_header",
    "words_of",
]

_HOMES = {
    "CacheStatistics": "output",
    "Catalogue": "catalogue",
    "CatalogueError": "catalogue",
    "Checked": "pipeline",
    "DEFAULT_LIMITS": "reading",
    "DEFAULT_TEMPLATES_DIR": "config",
    "DPI_DEFAULT": "output",
    "DPI_MAX": "output",
    "DPI_MIN": "output",
    "FieldError": "errors",
    "InvalidData": "errors",
    "Outcome": "outcome",
    "PAGE_MAX": "output",
    "PAPERS": "catalogue",
    "PDF": "pipeline",
    "PNG": "pipeline",
    "PageRequest": "output",
    "Pipeline": "pipeline",
    "ReadWarning": "errors",
    "RenderConfig": "config",
    "RenderError": "errors",
    "RenderQueueFull": "errors",
    "RenderLimits": "config",
    "RenderOrder": "pipeline",
    "RenderService": "service",
    "RenderStatistics": "admission",
    "Rendered": "pipeline",
    "SharedCacheStatistics": "output",
    "Template": "catalogue",
    "TexEngine": "typesetting",
    "TexError": "errors",
    "Timings": "pipeline",
    "ZygoteStatistics": "typesetting",
    "build_service": "service",
    "build_shim": "typesetting",
    "find_templates": "catalogue",
    "json_pointer": "errors",
    "measure_coverage": "typesetting",
    "nests_deeper_than": "reading",
    "outcome_of": "errors",
    "surrogate_errors": "reading",
    "usable_cpus": "config",
    "warnings_header": "reading",
    "words_of": "filling",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'rendering' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)
