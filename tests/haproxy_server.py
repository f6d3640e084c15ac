"""A real HAProxy (Debian's package) for the tests, run from the example configuration
``deploy/haproxy/haproxy.cfg`` itself (see :mod:`loadtest.drive` for how its addresses are
moved to free loopback ports): as ``nobody`` when the tests run as root, in a fresh folder,
torn down with it at the end, failure or not."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from loadtest.drive import HAPROXY, HAProxy, free_port

MISSING = "haproxy is not installed (Debian's haproxy package; make test installs it)"

__all__ = ["HAPROXY", "MISSING", "HAProxy", "running_haproxy"]


def _unprivileged_user() -> str | None:
    """``nobody`` when the tests run as root (a proxy on high ports needs no privilege)."""
    return "nobody" if os.geteuid() == 0 else None


@contextlib.contextmanager
def running_haproxy(servers: Sequence[int]) -> Iterator[HAProxy]:
    """A started HAProxy in front of ``servers`` in a fresh folder, stopped and removed after."""
    folder = Path(tempfile.mkdtemp(prefix="texrender-haproxy-"))
    user = _unprivileged_user()
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    proxy = HAProxy(folder, servers, user=user)
    try:
        for attempt in range(3):  # a free port may be taken between the probe and the start
            try:
                proxy.start()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                proxy.stop()
                proxy.port, proxy.stats_port = free_port(), free_port()
        yield proxy
    finally:
        proxy.stop()
        shutil.rmtree(folder, ignore_errors=True)
