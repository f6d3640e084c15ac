"""Precompiled preamble formats: each template's fixed preamble is compiled once, not per render.

A template marks the end of its fixed preamble with a line ``\\endofdump``. Everything before it
is dumped by mylatexformat into a format file, and renders start from that format (about half
the CPU time of a plain compile). The format's name carries a hash of the preamble, the engine
and the TeX version, so a changed template or a TeX upgrade gets a new format, never a stale one.

Correctness comes first: a TeX run from a format silently skips the document's preamble, so each
render checks that its preamble is the one the format was built from (a string comparison) and
compiles plainly otherwise. A format that cannot be built is reported and renders compile
plainly.
"""

from __future__ import annotations

import enum
import gzip
import hashlib
import logging
import os
import shutil
import stat
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import trio

from ..errors import RenderError
from ._engine import CompileResult
from ._files import write_atomically

DUMP_MARK = "\n\\endofdump\n"
BUILD_TIMEOUT_S = 120.0
log = logging.getLogger("texrender.formats")

# Format files this process has seen the sample compile from, by path: the file's identity
# (inode, size, mtime) and the sample's digest. Another store of the same process (another
# server started by it, as the tests do hundreds of times) adopts such a file without compiling
# the check again; a file replaced or changed since is checked anew.
_checked: dict[Path, tuple[tuple[int, int, int], str, FormatFile]] = {}


class FormatBuilder(Protocol):
    async def build_format(self, format_name: str, source: str, *, timeout_s: float) -> Path: ...

    async def compile(
        self, source: str, *, timeout_s: float, format_name: str | None = None
    ) -> CompileResult: ...


class FormatFile(enum.StrEnum):
    """How a ready format is stored: web2c writes formats gzip-compressed, and inflating one
    costs pdfTeX more than half of a render; an uncompressed file loads as it is."""

    UNCOMPRESSED = "uncompressed"
    COMPRESSED = "compressed"


GZIP_MAGIC = b"\x1f\x8b"


class FormatState(enum.StrEnum):
    NONE = "none"  # the template has no \endofdump: always compiled plainly
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


@dataclass
class FormatEntry:
    template: str
    state: FormatState
    name: str | None = None
    preamble: str = ""
    detail: str = ""
    on_disk: bool = False
    file: FormatFile | None = None  # once ready
    sample: str = ""  # the template's sample as TeX: what a new format is checked with


def split_preamble(source: str) -> str | None:
    """The fixed preamble of a filled template (up to ``\\endofdump``), or None if unmarked."""
    head, mark, _ = source.partition(DUMP_MARK)
    return head if mark else None


def uncompress_format(path: Path, packed: Path) -> FormatFile:
    """Store the format at ``path`` uncompressed, keeping the compressed file as ``packed`` to
    fall back to; a file that is not gzip'd is left as it is. Each file is written under a
    temporary name and renamed into place, so a render never reads half a format. On any
    failure ``path`` keeps the compressed format. Blocking: call from a thread.
    """
    with path.open("rb") as head:
        if head.read(2) != GZIP_MAGIC:
            return FormatFile.UNCOMPRESSED
    try:
        with path.open("rb") as source:
            write_atomically(packed, lambda out: shutil.copyfileobj(source, out))
        with gzip.open(path, "rb") as inflated:
            write_atomically(path, lambda out: shutil.copyfileobj(inflated, out, 1 << 20))
    except (OSError, EOFError, zlib.error) as exc:
        log.warning("format %s stays compressed: %s", path.name, exc)
        return FormatFile.COMPRESSED
    return FormatFile.UNCOMPRESSED


def restore_compressed(packed: Path, path: Path) -> None:
    """Put the compressed format kept by :func:`uncompress_format` back in place."""
    os.replace(packed, path)


def format_name(template: str, preamble: str, engine_id: str) -> str:
    digest = hashlib.sha256(f"{engine_id}\0{preamble}".encode()).hexdigest()
    return f"{template}-{digest[:16]}"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (0755) or accept it only if it is a real directory we own.

    A shared temporary directory could otherwise hand us someone else's directory or a symlink.

    Raises:
        PermissionError: the path exists but is not ours, or is not a plain directory.
    """
    path.mkdir(mode=0o755, parents=True, exist_ok=True)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise PermissionError(f"{path} is not a directory owned by this user")
    # Only when it differs: a folder of formats built into a container image is on a read-only
    # file system, where even a chmod to the same mode fails.
    if stat.S_IMODE(info.st_mode) != 0o755:
        os.chmod(path, 0o755)  # noqa: S103 - TeX runs as another user and must read formats
    return path


class FormatStore:
    """Knows, per template, which format (if any) a render may start from."""

    def __init__(self, builder: FormatBuilder, directory: Path, engine_id: str) -> None:
        self.builder = builder
        self.directory = directory
        self.engine_id = engine_id
        self._entries: dict[str, FormatEntry] = {}
        self._settled = trio.Event()

    def plan(self, samples: Mapping[str, str]) -> None:
        """Name the format of each template (by name, its sample filled into TeX) and adopt the
        ones already on disk (no TeX runs).

        Blocking file checks: call from a thread or before the loop serves requests.
        """
        for template, sample in samples.items():
            preamble = split_preamble(sample)
            if preamble is None:
                self._entries[template] = FormatEntry(template, FormatState.NONE)
                continue
            name = format_name(template, preamble, self.engine_id)
            on_disk = (self.directory / f"{name}.fmt").is_file()
            self._entries[template] = FormatEntry(
                template, FormatState.PENDING, name, preamble, on_disk=on_disk, sample=sample
            )
        if not any(e.state is FormatState.PENDING for e in self._entries.values()):
            self._settled.set()

    async def build_missing(self) -> None:
        """Build (or adopt from disk) and check every planned format, one at a time.

        A format is used only after the template's sample compiled from it: a format that
        TeX cannot load would otherwise fail every render. One at a time, so start-up does not
        starve the first renders of CPU.
        """
        for template, entry in self._entries.items():
            if entry.state is not FormatState.PENDING:
                continue
            assert entry.name is not None
            started = trio.current_time()
            sample = entry.sample
            try:
                if not entry.on_disk:
                    await self.builder.build_format(entry.name, sample, timeout_s=BUILD_TIMEOUT_S)
                entry.file = await self._settle_file(entry.name, sample)
            except (RenderError, OSError) as exc:
                # OSError: the format could not be stored (a read-only folder: a container
                # image's, whose formats were built in, and this template's was not).
                entry.state = FormatState.FAILED
                entry.detail = exc.detail if isinstance(exc, RenderError) else str(exc)
                log.warning(
                    "format for %s is not usable, compiling plainly: %s",
                    template,
                    entry.detail,
                )
                continue
            entry.state = FormatState.READY
            log.info(
                "format %s ready (%s, %s) in %.2f s",
                entry.name,
                "found on disk" if entry.on_disk else "built",
                entry.file,
                trio.current_time() - started,
            )
        self._settled.set()

    async def _settle_file(self, name: str, sample: str) -> FormatFile:
        """Uncompress the format and check that the sample compiles from it; if it does not,
        check the compressed file instead.

        Raises:
            RenderError: the sample compiles from neither.
        """
        path = self.directory / f"{name}.fmt"
        packed = self.directory / f"{name}.fmt.gz"
        digest = hashlib.sha256(sample.encode()).hexdigest()
        seen = _checked.get(path)
        if seen is not None and seen[1] == digest and seen[0] == await _identity(path):
            return seen[2]
        file = await self._check_file(name, sample, path, packed)
        identity = await _identity(path)
        if identity is not None:
            _checked[path] = (identity, digest, file)
        return file

    async def _check_file(self, name: str, sample: str, path: Path, packed: Path) -> FormatFile:
        try:
            file = await trio.to_thread.run_sync(uncompress_format, path, packed)
        except OSError as exc:  # the format itself cannot be read: the check below says more
            log.warning("format %s could not be read: %s", name, exc)
            file = FormatFile.COMPRESSED
        try:
            await self.builder.compile(sample, timeout_s=BUILD_TIMEOUT_S, format_name=name)
            return file
        except RenderError as exc:
            if file is not FormatFile.UNCOMPRESSED or not await trio.Path(packed).is_file():
                raise
            log.warning("uncompressed format %s does not load (%s); using it compressed", name, exc)
        await trio.to_thread.run_sync(restore_compressed, packed, path)
        await self.builder.compile(sample, timeout_s=BUILD_TIMEOUT_S, format_name=name)
        return FormatFile.COMPRESSED

    @property
    def settled(self) -> bool:
        """True once no format is still waiting to be built."""
        return self._settled.is_set()

    def format_for(self, template: str, source: str) -> str | None:
        """The format a render of ``source`` may start from, or None for a plain compile."""
        entry = self._entries.get(template)
        if entry is None or entry.state is not FormatState.READY:
            return None
        if not source.startswith(entry.preamble + DUMP_MARK):
            # The document's preamble differs from the one in the format (data in the
            # preamble?): the format would silently drop that difference.
            log.warning("preamble of %s differs from its format; compiling plainly", template)
            return None
        return entry.name

    def ready_formats(self) -> list[str]:
        """The names of the formats renders start from now."""
        entries = self._entries.values()
        return [e.name for e in entries if e.state is FormatState.READY and e.name is not None]

    def statuses(self) -> dict[str, str]:
        return {name: entry.state.value for name, entry in self._entries.items()}

    def files(self) -> dict[str, str]:
        """How each ready format is stored (``uncompressed``, or ``compressed`` as a fallback)."""
        return {name: e.file.value for name, e in self._entries.items() if e.file is not None}


async def _identity(path: Path) -> tuple[int, int, int] | None:
    """What tells one version of a file from another: inode, size, modification time."""
    try:
        info = await trio.Path(path).stat()
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)
