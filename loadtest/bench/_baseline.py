"""Starting the yardstick (``_baseline_app.py`` beside this file) from a virtual environment of
its own.

The environment is made once with uv (the same one that installs texrender's) in the user's
cache and reused; the app runs under uvicorn, one process, as such services are deployed. It
typesets the very ``.tex`` file the bench's machine limit is measured on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..drive import REPO

BASELINE_REQUIREMENTS = ("starlette>=1.10", "uvicorn>=0.30", "anyio>=4")


class BaselineUnavailable(Exception):
    """The baseline's environment cannot be made here; the message says why."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "texrender-bench"


def find_uv() -> str | None:
    private = REPO / ".tools" / "uv" / "bin" / "uv"
    return shutil.which("uv") or (str(private) if private.is_file() else None)


def baseline_python() -> Path:
    """The Python of the baseline's own environment, made if missing.

    Raises:
        BaselineUnavailable: no uv, or the packages cannot be installed.
    """
    venv = cache_dir() / "baseline-venv"
    python = venv / "bin" / "python"
    marker = venv / "requirements.txt"
    wanted = "\n".join(BASELINE_REQUIREMENTS)
    if python.is_file() and marker.is_file() and marker.read_text() == wanted:
        return python
    uv = find_uv()
    if uv is None:
        raise BaselineUnavailable("uv is not installed (run `make setup`)")
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    for argv in (
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
        [uv, "pip", "install", "--quiet", "--python", str(python), *BASELINE_REQUIREMENTS],
    ):
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise BaselineUnavailable(f"{' '.join(argv[:3])} failed: {done.stderr.strip()}")
    marker.write_text(wanted)
    return python


def baseline_argv(python: Path) -> list[str]:
    """uvicorn serving the baseline app on a free loopback port (it logs the URL)."""
    return [
        str(python), "-m", "uvicorn", "_baseline_app:app", "--app-dir", str(Path(__file__).parent),
        "--host", "127.0.0.1", "--port", "0", "--no-access-log", "--log-level", "info",
    ]  # fmt: skip


def baseline_env(tex: Path) -> dict[str, str]:
    pdflatex = shutil.which("pdflatex") or "pdflatex"
    return {**os.environ, "BASELINE_TEX": str(tex), "BASELINE_PDFLATEX": pdflatex}
