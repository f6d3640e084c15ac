"""Shared by the app's tests: the ``texrender`` command run as a user runs it (once, or as a
server process), and API keys added to a data directory."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from server.store.keys import make_key
from server.store.sqlite import SqliteStore
from tests.conftest import TEST_TEMPLATES_DIR, RunningServer, server_process

TEXRENDER = str(Path(sys.executable).parent / "texrender")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TEXRENDER, "--templates", str(TEST_TEMPLATES_DIR), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@contextlib.contextmanager
def running_server(*options: str, env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    """``texrender [options...] serve --bind 127.0.0.1:0`` as a real process; its stderr is
    read on (so it never blocks on a full pipe), and it is killed if still running at the end.
    Options before ``serve`` are global; pass serve options after a literal ``"serve"``."""
    before, after = list(options), []
    if "serve" in before:
        index = before.index("serve")
        before, after = before[:index], before[index + 1 :]
    data = tempfile.mkdtemp(prefix="texrender-test-data-")
    argv = [TEXRENDER, "--templates", str(TEST_TEMPLATES_DIR), "--data-dir", data, "--auth", "off"]
    argv += [*before, "serve", "--bind", "127.0.0.1:0", *after]
    try:
        with server_process(argv, env={**os.environ, **(env or {})}) as server:
            yield server
    finally:
        shutil.rmtree(data, ignore_errors=True)


async def add_key(data_dir: Path, name: str, owner: str) -> str:
    store = await SqliteStore.open(data_dir)
    new = make_key(name, owner)
    await store.add_key(new.record)
    await store.aclose()
    return new.token
