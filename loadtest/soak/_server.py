"""The soak's own server: ``texrender serve`` on loopback with the repository's templates and
the test ones, a fresh work directory, a small cache and nothing inherited from the caller's
``TEXRENDER_*`` settings."""

from __future__ import annotations

import os
from pathlib import Path

from ..drive import REPO, TEXRENDER

STARTUP_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0


def server_env(work_dir: Path, cache_bytes: int) -> dict[str, str]:
    """This environment without ``TEXRENDER_*`` (a soak is the same wherever it runs), plus the
    work directory, the cache size, JSON logs, auth off and a data directory of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXRENDER_")}
    env["TEXRENDER_WORK_DIR"] = str(work_dir)
    env["TEXRENDER_CACHE_BYTES"] = str(cache_bytes)
    env["TEXRENDER_LOG_FORMAT"] = "json"
    # A loopback server of its own: no keys, and its stored documents beside its work directory.
    env["TEXRENDER_AUTH"] = "off"
    env["TEXRENDER_DATA_DIR"] = str(work_dir.with_name(f"{work_dir.name}-data"))
    return env


def server_argv(slots: int | None) -> list[str]:
    argv = [str(TEXRENDER)]
    for folder in (REPO / "templates", REPO / "tests" / "templates"):
        argv += ["--templates", str(folder)]
    if slots is not None:
        argv += ["--slots", str(slots)]
    return [*argv, "serve", "--bind", "127.0.0.1:0"]
