"""``--workers N`` on one host's budget: each worker gets its share of the render slots, the
queue and the memory cache, so the host never runs more than ``render_slots`` TeX processes at
once nor holds more than ``cache_bytes`` of cached PDFs, however many workers there are.

Divided, not pooled: a share is fixed when the worker starts, so there is nothing for the
supervisor to hand out, take back or refill after a worker dies, and no render waits on
another process for its slot. The cost is that a busy worker cannot borrow an idle one's slot.
Within a worker, fair shares between owners and the killing of an abandoned render's TeX work
as they do in one process: the worker's slots are an ordinary :class:`rendering.admission`.
"""

from __future__ import annotations

from ..settings import Settings
from ..startup import StartupFailed, setting_hint


def share(total: int, workers: int, index: int) -> int:
    """Worker ``index``'s part of ``total``: ``total // workers``, one more for each of the
    first ``total % workers`` workers."""
    return total // workers + (1 if index < total % workers else 0)


def check_budget(settings: Settings) -> None:
    """Raises:
    StartupFailed: more workers than render slots (a worker with no slot would take
        connections it could never render for).
    """
    if settings.workers > settings.render_slots:
        raise StartupFailed(
            f"{settings.workers} workers need at least {settings.workers} render slots, not "
            f"{settings.render_slots}: the slots are shared between the workers "
            f"({setting_hint('render_slots')}, or fewer workers)"
        )


def worker_settings(settings: Settings, index: int) -> Settings:
    """The settings worker ``index`` serves with: its share of the slots, of the queue (and of
    one owner's part of it, at least one) and of the memory cache."""
    workers = settings.workers
    return settings.replace(
        render_slots=share(settings.render_slots, workers, index),
        queue_max=share(settings.queue_max, workers, index),
        owner_queue_max=max(1, share(settings.owner_queue_max, workers, index)),
        cache_bytes=settings.cache_bytes // workers,
    )
