"""texrender's own version, as installed (``unknown`` when run from a tree not installed)."""

from __future__ import annotations

import importlib.metadata


def texrender_version() -> str:
    try:
        return importlib.metadata.version("texrender")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
