"""What the routes share: the renderer, the catalogue and the server's own condition."""

from __future__ import annotations

from dataclasses import dataclass, field

from quart import current_app

from rendering.catalogue import Catalogue
from rendering.formats import FormatStore
from rendering.renderer import Renderer

from .metrics import Metrics
from .settings import Settings

EXTENSION_KEY = "texrender"


@dataclass
class EngineInfo:
    """What start-up learned about the TeX engine."""

    found: bool
    version: str


@dataclass
class AppState:
    """Per-app state, built by the start-up hook. ``draining`` flips when shutdown begins."""

    settings: Settings
    catalogue: Catalogue
    renderer: Renderer
    engine: EngineInfo
    metrics: Metrics
    formats: FormatStore | None = None
    draining: bool = field(default=False)


def app_state() -> AppState:
    """The running app's state (only valid inside a request or app context)."""
    state: AppState = current_app.extensions[EXTENSION_KEY]
    return state
