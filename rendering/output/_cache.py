"""A content-addressed cache of rendered PDFs, and sharing of renders already under way.

Output is deterministic, so the key of a render is a hash of everything that decides it: the
template's version, the data (as canonical JSON) and the engine with its version. The cache keeps
PDFs in memory within a byte budget, least recently used out first, and optionally on disk. While
a render is running, identical requests wait for it instead of starting their own TeX run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import trio

from ..errors import RenderError
from ..typesetting import write_atomically

T = TypeVar("T")


def canonical_json(data: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8", errors="surrogatepass")


def render_key(template_version: str, data: Any, engine_id: str) -> str:
    digest = hashlib.sha256()
    for part in (template_version.encode(), canonical_json(data), engine_id.encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class CacheStatistics:
    entries: int
    bytes: int
    max_bytes: int
    hits: int
    misses: int

    @property
    def hit_ratio(self) -> float:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0


class PdfCache:
    """PDFs by render key: memory within ``max_bytes`` (LRU), then ``directory`` if given.

    ``max_bytes=0`` turns the memory tier off. A PDF larger than the whole budget is not kept
    in memory. Disk entries are written to a temporary name and renamed into place.
    """

    def __init__(self, max_bytes: int, directory: Path | None = None) -> None:
        self.max_bytes = max_bytes
        self.directory = directory
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._hits = 0
        self._misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0 or self.directory is not None

    def statistics(self) -> CacheStatistics:
        return CacheStatistics(
            len(self._entries), self._bytes, self.max_bytes, self._hits, self._misses
        )

    async def get(self, key: str) -> bytes | None:
        """The PDF for ``key``, from memory or disk, or None (counted as a miss)."""
        pdf = self._entries.get(key)
        if pdf is not None:
            self._entries.move_to_end(key)
        elif self.directory is not None:
            with contextlib.suppress(FileNotFoundError):
                pdf = await trio.Path(self._path(key)).read_bytes()
                self._remember(key, pdf)
        if pdf is None:
            self._misses += 1
        else:
            self._hits += 1
        return pdf

    def peek(self, key: str) -> bytes | None:
        """The PDF for ``key`` if it is in memory (a hit), else None (not counted: the caller
        goes on to :meth:`get`). No I/O, so a cache hit can be served without a checkpoint."""
        pdf = self._entries.get(key)
        if pdf is not None:
            self._entries.move_to_end(key)
            self._hits += 1
        return pdf

    async def put(self, key: str, pdf: bytes) -> None:
        self._remember(key, pdf)
        if self.directory is not None:
            await trio.to_thread.run_sync(self._write, key, pdf)

    def _remember(self, key: str, pdf: bytes) -> None:
        if len(pdf) > self.max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old)
        self._entries[key] = pdf
        self._bytes += len(pdf)
        while self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= len(evicted)

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.pdf"

    def _write(self, key: str, pdf: bytes) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, lambda out: out.write(pdf))


@dataclass(frozen=True)
class KnownBody(Generic[T]):
    """What reading a request body once found out: its render key and whatever the reader
    reported (``notes``)."""

    key: str
    notes: T


class BodyKeys(Generic[T]):
    """Render keys of request bodies already read, by a digest of the bytes as sent.

    Reading a body (JSON parsing, lenient rules, character and size checks) costs far more than
    hashing it; with this, a repeated body finds its render key, and so its cached PDF or its
    304, at the cost of a hash. Bounded, least recently used out first.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._known: OrderedDict[str, KnownBody[T]] = OrderedDict()

    @staticmethod
    def digest(scope: str, body: bytes) -> str:
        """``scope`` names everything else that decides the reading (template version, strict
        or not, engine)."""
        digest = hashlib.sha256(scope.encode())
        digest.update(b"\0")
        digest.update(body)
        return digest.hexdigest()

    def get(self, digest: str) -> KnownBody[T] | None:
        known = self._known.get(digest)
        if known is not None:
            self._known.move_to_end(digest)
        return known

    def put(self, digest: str, known: KnownBody[T]) -> None:
        self._known[digest] = known
        self._known.move_to_end(digest)
        while len(self._known) > self.max_entries:
            self._known.popitem(last=False)


@dataclass
class _Job(Generic[T]):
    done: trio.Event = field(default_factory=trio.Event)
    result: T | None = None
    error: RenderError | None = None


class InFlight(Generic[T]):
    """Runs at most one ``produce()`` per key at a time; callers with the same key share it.

    The first caller produces; later ones wait for its result or its render error. If the first
    caller is cancelled (its client went away) or fails with a bug, a waiting caller takes over
    and produces itself, so a waiter never hangs and never inherits someone else's cancellation.
    """

    def __init__(self) -> None:
        self._jobs: dict[str, _Job[T]] = {}

    def __len__(self) -> int:
        return len(self._jobs)

    def __contains__(self, key: object) -> bool:
        return key in self._jobs

    def waiting(self, key: str) -> int:
        """How many callers are waiting for the work under way for ``key``."""
        job = self._jobs.get(key)
        return job.done.statistics().tasks_waiting if job is not None else 0

    async def run(self, key: str, produce: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """``(result, shared)``: ``shared`` is True when another caller's work was reused.

        Raises:
            RenderError: the (possibly shared) render failed.
        """
        while True:
            job = self._jobs.get(key)
            if job is None:
                return await self._lead(key, produce), False
            await job.done.wait()
            if job.result is not None:
                return job.result, True
            if job.error is not None:
                raise job.error.clone()
            # The producer was cancelled or hit a bug: try again, perhaps as the producer.

    async def _lead(self, key: str, produce: Callable[[], Awaitable[T]]) -> T:
        job: _Job[T] = _Job()
        self._jobs[key] = job
        try:
            job.result = await produce()
            return job.result
        except RenderError as exc:
            job.error = exc
            raise
        finally:
            del self._jobs[key]
            job.done.set()
