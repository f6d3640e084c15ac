"""What the render pipeline can be told: plain frozen data, cheap to import.

The server's settings take their defaults from here, so each default is written once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# The templates that ship with texrender (beside the packages, in a wheel too).
DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, which containers narrow)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class RenderLimits:
    """How much rendering may happen at once and how long each part may take."""

    slots: int = field(default_factory=usable_cpus)
    queue_max: int = 32
    queue_timeout_s: float = 30.0
    render_timeout_s: float = 20.0
    # A render whose expected wait (queue depth x recent TeX time / slots) is longer than this
    # is refused at once rather than queued to time out.
    queue_max_wait_s: float = 30.0
    # Fair shares: the renders one owner may have waiting, and may ask for in a minute (0: no
    # limit; bursts of a sixth of it, ten seconds' worth, pass at once).
    owner_queue_max: int = 8
    owner_renders_per_minute: int = 0


@dataclass(frozen=True)
class RenderConfig:
    """Everything :func:`rendering.build_service` needs to build the pipeline."""

    template_dirs: tuple[Path, ...] = (DEFAULT_TEMPLATES_DIR,)
    tex_engine: str = "pdflatex"
    tex_user: str | None = None  # None: `nobody` when running as root, else ourselves
    work_dir: Path | None = None  # None: the system's temporary directory
    formats_enabled: bool = True
    format_dir: Path | None = None  # None: a private folder in the temporary directory
    # The fast path sets Cyrillic and Greek where the machine has their fonts (False: such text
    # takes the Unicode path, as on a machine without them). Their metrics are made in
    # format_dir's folder, formats enabled or not (rendering.typesetting._cyrgreek).
    cyrillic_greek: bool = True
    # Loaded engines (rendering.loaded_engines): a long-running service forks each render's TeX
    # from one that has loaded the format. The shim they need is built with the system's C
    # compiler in format_dir's folder, unless a prebuilt one is named (the container image's).
    zygotes: bool = True
    zygote_shim: Path | None = None
    cache_bytes: int = 256 * 1024 * 1024
    cache_dir: Path | None = None
    # The cache shared by every instance: a Redis URL (None: no shared tier), how long a PDF
    # is kept there, how long one call may take before a render goes on without it, and the
    # largest value written (a resume's PDF is 100-200 KiB; a 300 dpi page picture ~1 MiB).
    cache_url: str | None = None
    cache_ttl_s: float = 24 * 3600.0
    cache_timeout_s: float = 0.1
    cache_value_max_bytes: int = 4 * 1024 * 1024
    limits: RenderLimits = field(default_factory=RenderLimits)
