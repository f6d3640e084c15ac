"""A page of a rendered PDF as a PNG picture: poppler's ``pdftoppm`` in the same box as TeX.

The PDF goes in on standard input and the picture comes out as a file in a fresh work
directory (this poppler cannot write to standard output), read back through ``trio.Path``; the
directory is removed on every way out. The caller holds a render slot while it runs.
"""

from __future__ import annotations

import re
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

import trio

from ..errors import EngineUnavailable, PageNotFound, TexKilled, TexTimeout
from ..typesetting import (
    PICTURE_FILE,
    BoxKilled,
    BoxStartFailed,
    BoxTimeout,
    SandboxLimits,
    resolve_user,
    run_boxed,
    work_directory,
)

DPI_DEFAULT = 96
DPI_MIN = 24
DPI_MAX = 300
PAGE_MAX = 999
# pdftoppm's exit status for "Wrong page range given".
_BAD_PAGE_RANGE = 99
# A page object, and an object whose stream follows (TeX puts pages in object streams).
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_STREAM_OBJECT = re.compile(rb"\bobj\s*<<((?:(?!>>).){0,400}?)>>\s*stream\r?\n", re.S)


@dataclass(frozen=True)
class PageRequest:
    """Which page, at what resolution (validated by whoever takes it from a client)."""

    page: int = 1
    dpi: int = DPI_DEFAULT

    def suffix(self) -> str:
        """What tells this picture apart from the PDF in cache keys and validators."""
        return f"p{self.page}-r{self.dpi}.png"


class PageRasterizer:
    """Turns one page of a PDF into PNG bytes."""

    def __init__(
        self,
        executable: str = "pdftoppm",
        *,
        work_root: Path | None = None,
        limits: SandboxLimits | None = None,
        user: str | None = None,
    ) -> None:
        resolved = shutil.which(executable)
        self.executable = resolved or executable
        self._found = resolved is not None
        self.work_root = work_root
        self.limits = limits or SandboxLimits()
        self._identity = resolve_user(user)

    async def png(self, pdf: bytes, request: PageRequest, *, timeout_s: float) -> bytes:
        """The page as a PNG.

        Raises:
            PageNotFound: the PDF has fewer pages than ``request.page``.
            TexTimeout: rasterizing ran past ``timeout_s`` (its process group was killed).
            EngineUnavailable: pdftoppm is missing or failed.
        """
        if not self._found:
            raise EngineUnavailable(f"{self.executable!r} (poppler-utils) is not installed")
        argv = [
            self.executable,
            "-png",
            "-r",
            str(request.dpi),
            "-f",
            str(request.page),
            "-l",
            str(request.page),
            "-singlefile",
            "-",
            PICTURE_FILE.removesuffix(".png"),  # pdftoppm adds the suffix
        ]
        async with work_directory(self.work_root, self._identity, kind="png") as workdir:
            try:
                code = await run_boxed(
                    argv,
                    cwd=workdir,
                    env={"PATH": "/usr/bin:/bin", "HOME": str(workdir), "LC_ALL": "C.UTF-8"},
                    timeout_s=timeout_s,
                    limits=self.limits,
                    identity=self._identity,
                    stdin=pdf,
                )
            except BoxTimeout:
                raise TexTimeout(f"rasterizing took longer than {timeout_s:g} s") from None
            except BoxStartFailed as exc:
                raise EngineUnavailable(f"{self.executable!r} cannot start: {exc}") from exc
            except BoxKilled as exc:
                raise TexKilled(f"rasterizing was {exc}; try again") from None
            if code == _BAD_PAGE_RANGE:
                pages = await trio.to_thread.run_sync(page_count, pdf)
                has = f"has {pages} page{'s' if pages != 1 else ''};" if pages else "has"
                raise PageNotFound(f"the document {has} no page {request.page}")
            try:
                picture = await trio.Path(workdir, PICTURE_FILE).read_bytes()
            except FileNotFoundError:
                picture = b""
            if code != 0 or not picture:
                raise EngineUnavailable(f"pdftoppm failed (exit status {code})")
            return picture


def page_count(pdf: bytes) -> int | None:
    """How many pages a PDF made by TeX has (its page objects, in object streams too), for the
    message of a page asked for past the last; None when they cannot be counted."""
    count = len(_PAGE_OBJECT.findall(pdf))
    for match in _STREAM_OBJECT.finditer(pdf):
        if b"/ObjStm" not in match.group(1) or b"/FlateDecode" not in match.group(1):
            continue
        try:
            objects = zlib.decompressobj().decompress(pdf[match.end() :], 16 * 1024 * 1024)
        except zlib.error:
            return None
        count += len(_PAGE_OBJECT.findall(objects))
    return count or None
