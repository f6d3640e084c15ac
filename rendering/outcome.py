"""How a render ended, and the hooks through which the pipeline reports it without knowing who
listens.

``rendering/`` knows nothing of Prometheus or logging formats; ``server/`` implements
:class:`RenderObserver` to turn these calls into metrics.
"""

from __future__ import annotations

import enum
from typing import Protocol


class Outcome(enum.StrEnum):
    """How one render request ended (a bounded set: safe as a metric label)."""

    OK = "ok"
    CACHED = "cached"
    INVALID_DATA = "invalid_data"
    TEX_ERROR = "tex_error"
    TIMEOUT = "timeout"
    REJECTED = "rejected"  # queue full
    EXPIRED = "expired"  # waited past the queue deadline
    CANCELLED = "cancelled"  # the caller went away
    KILLED = "killed"  # TeX stopped by a signal from outside (OOM killer): the server's fault
    ERROR = "error"  # engine unavailable, or a bug


class RenderObserver(Protocol):
    def queue_waited(self, template: str, seconds: float) -> None:
        """A render got a slot (or gave up waiting) after ``seconds`` in the queue."""

    def typeset(self, template: str, seconds: float) -> None:
        """TeX ran for ``seconds`` (successful or not)."""

    def finished(self, template: str, outcome: Outcome) -> None:
        """A render of a known template ended with ``outcome``."""


class NullObserver:
    """Listens to nothing; the default."""

    def queue_waited(self, template: str, seconds: float) -> None:
        pass

    def typeset(self, template: str, seconds: float) -> None:
        pass

    def finished(self, template: str, outcome: Outcome) -> None:
        pass
