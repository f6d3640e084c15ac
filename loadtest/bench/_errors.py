"""The bench's one error of its own: it cannot go on (a server that does not start is a
:class:`loadtest.drive.SpawnError`)."""

from __future__ import annotations


class BenchError(Exception):
    """The bench cannot go on; the message says why."""
