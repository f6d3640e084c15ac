"""texrender's engine room: JSON data and a template in, a PDF out. No HTTP in here.

The public entry point is :func:`build_service`, which builds the whole pipeline (catalogue,
engine, formats, cache, renderer) from a :class:`RenderConfig`. The names below are imported on
first use, so importing one light module of the package (``rendering.folders``) does not pay for
Jinja, JSON Schema and Trio.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import RenderConfig, RenderLimits
    from .errors import RenderError
    from .renderer import RenderResult
    from .service import RenderService, build_service

__all__ = [
    "RenderConfig",
    "RenderError",
    "RenderLimits",
    "RenderResult",
    "RenderService",
    "build_service",
]

_HOMES = {
    "RenderConfig": "config",
    "RenderService": "service",
    "build_service": "service",
    "RenderError": "errors",
    "RenderLimits": "config",
    "RenderResult": "renderer",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'rendering' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)
