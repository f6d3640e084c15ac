"""The app built from ``TEXRENDER_*`` variables, for Hypercorn worker processes (``--workers``)."""

from __future__ import annotations

import os

from .app import TexrenderApp, create_app
from .settings import Settings


def app_from_env() -> TexrenderApp:
    return create_app(Settings.from_env(os.environ))
