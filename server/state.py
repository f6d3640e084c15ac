"""What the routes share: the render service and the server's own condition."""

from __future__ import annotations

from dataclasses import dataclass, field

from quart import current_app

from rendering import RenderService

from .metrics import Metrics
from .settings import Settings
from .store import Store
from .store.health import DatabaseCheck
from .store.keys import KeyMemory
from .store.locks import KeyedLocks
from .tarpit import Tarpit

EXTENSION_KEY = "texrender"


@dataclass
class AppState:
    """Per-app state, built by the start-up hook. ``draining`` flips when shutdown begins."""

    settings: Settings
    service: RenderService
    metrics: Metrics
    store: Store
    keys: KeyMemory = field(default_factory=KeyMemory)
    document_writes: KeyedLocks = field(default_factory=KeyedLocks)
    refusals: Tarpit = field(default_factory=lambda: Tarpit(0.0))
    database: DatabaseCheck = field(default_factory=lambda: DatabaseCheck(None))
    draining: bool = field(default=False)


def app_state() -> AppState:
    """The running app's state (only valid inside a request or app context)."""
    state: AppState = current_app.extensions[EXTENSION_KEY]
    return state
