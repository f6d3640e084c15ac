"""A content-addressed cache of rendered PDFs (and their page pictures).

Output is deterministic, so the key of a render is a hash of everything that decides it: the
template's version, the data (as canonical JSON) and the engine with its version. The cache keeps
PDFs in memory within a byte budget, least recently used out first, and optionally on disk.
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


def canonical_json(data: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8", errors="surrogatepass")


def render_key(template_version: str, data: Any, engine_id: str, owner: str = "") -> str:
    """The content address of a render: equal keys give the same document. ``owner`` keeps
    each owner's renders (and so their cache hits, shared renders and ETags) their own: what
    one owner rendered is no faster, and has another ETag, for anyone else."""
    digest = hashlib.sha256()
    parts = (template_version.encode(), canonical_json(data), engine_id.encode())
    for part in (*parts, owner.encode(errors="surrogatepass")) if owner else parts:
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
