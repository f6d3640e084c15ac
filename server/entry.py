"""The app built from ``TEXRENDER_*`` variables, for Hypercorn worker processes (``--workers``).

Worker processes are spawned fresh, so they set up logging again from the same settings.
"""

from __future__ import annotations

import os

from .app import TexrenderApp, create_app
from .logs import configure_logging
from .settings import Settings


def app_from_env() -> TexrenderApp:
    settings = Settings.from_env(os.environ)
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
