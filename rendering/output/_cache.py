"""A content-addressed cache of rendered PDFs (and their page pictures).

Output is deterministic, so the key of a render is a hash of everything that decides it: the
template's version, the data (as canonical JSON) and the engine with its version. The cache keeps
PDFs in memory within a byte budget, least recently used out first, optionally on disk, and
optionally in a tier shared by every instance (Redis: :mod:`._redis`), asked after a memory miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio

from ..typesetting import write_atomically
from ._shared import BadEntry, SharedCache, SharedCacheStatistics, pack, unpack


def canonical_json(data: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8", errors="surrogatepass")


def render_key(
    template_version: str,
    data: Any,
    engine_id: str,
    owner: str = "",
    paper: str = "",
    tagged: bool = False,
) -> str:
    """The content address of a render: equal keys give the same document. ``owner`` keeps
    each owner's renders (and so their cache hits, shared renders and ETags) their own: what
    one owner rendered is no faster, and has another ETag, for anyone else. ``paper`` is the
    render's paper size: the same data on another size is another document; so is a tagged PDF
    (``tagged``) to an untagged one, even where it looks the same."""
    digest = hashlib.sha256()
    parts = (
        template_version.encode(),
        canonical_json(data),
        engine_id.encode(),
        paper.encode(),
        b"tagged" if tagged else b"",
    )
    for part in (*parts, owner.encode(errors="surrogatepass")) if owner else parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class CacheStatistics:
    entries: int
    bytes: int
    max_bytes: int
    hits: int  # from any tier
    misses: int  # in every tier
    shared: SharedCacheStatistics | None = None  # the shared tier's own, if there is one

    @property
    def hit_ratio(self) -> float:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0


@dataclass(frozen=True)
class Cached:
    """A cached body, with the notes its writer attached when it came from the shared tier
    (from memory or disk there are none: whoever wrote it there remembers them itself)."""

    body: bytes
    notes: bytes = b""


class PdfCache:
    """PDFs by render key: memory within ``max_bytes`` (LRU), then ``directory`` if given, then
    the ``shared`` tier if given; every put is written through to each of them.

    ``max_bytes=0`` turns the memory tier off. A PDF larger than the whole budget is not kept
    in memory. Disk entries are written to a temporary name and renamed into place. A hit in
    the shared tier is kept in memory too.
    """

    def __init__(
        self, max_bytes: int, directory: Path | None = None, shared: SharedCache | None = None
    ) -> None:
        self.max_bytes = max_bytes
        self.directory = directory
        self.shared = shared
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._hits = 0
        self._misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0 or self.directory is not None or self.shared is not None

    def statistics(self) -> CacheStatistics:
        shared = self.shared.statistics() if self.shared is not None else None
        return CacheStatistics(
            len(self._entries), self._bytes, self.max_bytes, self._hits, self._misses, shared
        )

    async def get(self, key: str) -> bytes | None:
        """The PDF for ``key``, from memory, disk or the shared tier, or None (a miss)."""
        found = await self.fetch(key)
        return found.body if found is not None else None

    async def fetch(self, key: str) -> Cached | None:
        """What is cached for ``key`` (with the shared tier's notes), or None (a miss)."""
        found: Cached | None = None
        pdf = self._entries.get(key)
        if pdf is not None:
            self._entries.move_to_end(key)
        elif self.directory is not None:
            with contextlib.suppress(FileNotFoundError):
                pdf = await trio.Path(self._path(key)).read_bytes()
                self._remember(key, pdf)
        if pdf is not None:
            found = Cached(pdf)
        elif self.shared is not None:
            found = await self._from_shared(self.shared, key)
        if found is None:
            self._misses += 1
        else:
            self._hits += 1
        return found

    def peek(self, key: str) -> bytes | None:
        """The PDF for ``key`` if it is in memory (a hit), else None (not counted: the caller
        goes on to :meth:`get`). No I/O, so a cache hit can be served without a checkpoint."""
        pdf = self._entries.get(key)
        if pdf is not None:
            self._entries.move_to_end(key)
            self._hits += 1
        return pdf

    async def put(self, key: str, pdf: bytes, notes: bytes = b"") -> None:
        """Keep ``pdf`` in every tier; ``notes`` go to the shared tier with it, so that another
        instance gets them back from :meth:`fetch`."""
        self._remember(key, pdf)
        if self.directory is not None:
            await trio.to_thread.run_sync(self._write, key, pdf)
        if self.shared is not None:
            await self.shared.put(key, pack(pdf, notes))

    async def aclose(self) -> None:
        """Let go of the shared tier's connections."""
        if self.shared is not None:
            await self.shared.aclose()

    async def _from_shared(self, shared: SharedCache, key: str) -> Cached | None:
        value = await shared.get(key)
        if value is None:
            return None
        try:
            pdf, notes = unpack(value)
        except BadEntry:
            return None  # not ours to read: typeset again, and the put replaces it
        self._remember(key, pdf)
        return Cached(pdf, notes)

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
