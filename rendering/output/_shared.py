"""What a cache shared by every instance (Redis) must offer the PDF cache, and what it reports.

The in-process cache is the first tier; a shared tier is asked after a memory miss and written
through on every put, so a PDF typeset by one instance is a hit on every other. A shared tier
never fails a render: it answers None (a miss) when it cannot answer in time, and counts why.

A value in the shared tier is one string of bytes: a short versioned header, the notes the
writer attached (the pipeline's layout warnings, which must come back with the PDF wherever
it is read), then the body.
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass
from typing import Protocol

# Call durations: a loopback answer takes a fraction of a millisecond, a timeout 50-100 ms.
LATENCY_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)

_MAGIC = b"TRC1"
_HEADER = struct.Struct(">4sI")  # magic, length of the notes


class BadEntry(ValueError):
    """A shared value that this texrender did not write (another version, another program)."""


def pack(body: bytes, notes: bytes = b"") -> bytes:
    """One shared value: header, notes, body."""
    return _HEADER.pack(_MAGIC, len(notes)) + notes + body


def unpack(value: bytes) -> tuple[bytes, bytes]:
    """``(body, notes)`` of a value made by :func:`pack`.

    Raises:
        BadEntry: the value was not made by this version's :func:`pack`.
    """
    if len(value) < _HEADER.size:
        raise BadEntry("shorter than a header")
    magic, notes_length = _HEADER.unpack_from(value)
    start = _HEADER.size + notes_length
    if magic != _MAGIC or start > len(value):
        raise BadEntry("not a texrender cache entry of this version")
    return value[start:], value[_HEADER.size : start]


@dataclass(frozen=True)
class Latencies:
    """A histogram of call durations: cumulative counts at each bound of
    :data:`LATENCY_BUCKETS_S` (the last is every call), and their sum in seconds."""

    cumulative: tuple[int, ...] = (0,) * (len(LATENCY_BUCKETS_S) + 1)
    sum_s: float = 0.0

    @property
    def count(self) -> int:
        return self.cumulative[-1]

    def buckets(self) -> tuple[tuple[float, int], ...]:
        """``(upper bound, calls at most that long)``, the last bound infinite."""
        return tuple(zip((*LATENCY_BUCKETS_S, float("inf")), self.cumulative, strict=True))

    def observe(self, seconds: float) -> Latencies:
        """This histogram with one more call of ``seconds``."""
        first = bisect.bisect_left(LATENCY_BUCKETS_S, seconds)
        counts = tuple(c + 1 if i >= first else c for i, c in enumerate(self.cumulative))
        return Latencies(counts, self.sum_s + seconds)


@dataclass(frozen=True)
class SharedCacheStatistics:
    """What a shared tier did since start: a snapshot, read by metrics at scrape time.

    ``state`` is ``up`` (the last call was answered), ``down`` (it was not, or the breaker is
    open and calls are skipped) or ``unknown`` (no call yet). ``errors`` counts calls that
    failed or timed out, ``skipped`` calls not made while the breaker was open, ``too_large``
    values not written for being over the size cap.
    """

    state: str
    hits: int = 0
    misses: int = 0
    errors: int = 0
    skipped: int = 0
    writes: int = 0
    too_large: int = 0
    get_seconds: Latencies = Latencies()
    put_seconds: Latencies = Latencies()


class SharedCache(Protocol):
    """A second tier behind the in-process cache. Neither call raises for the tier's own
    trouble (unreachable, slow, full): a lookup answers None, a write is dropped."""

    async def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or None (absent, or the tier could not answer)."""
        ...

    async def put(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key`` (it expires on the tier's own schedule)."""
        ...

    def statistics(self) -> SharedCacheStatistics: ...

    async def aclose(self) -> None:
        """Let go of connections; the tier is not used after this."""
        ...
