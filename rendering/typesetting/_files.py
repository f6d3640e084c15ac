"""Writing files so that no reader ever sees half of one (or rewrites one that is right), and
reading a program's output files without following a link it may have made."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(target: Path, write: Callable[[BinaryIO], object], mode: int = 0o644) -> None:
    """Create or replace ``target`` with what ``write`` puts into the file it is given.

    The bytes go to a private temporary file beside ``target``, which is renamed into place only
    when complete: a concurrent reader (or a second process writing the same file) sees the old
    file or the new one, never a part. Blocking: call from a worker thread.
    """
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_if_changed(target: Path, data: bytes, mode: int = 0o644) -> None:
    """``target`` holding ``data``: written (:func:`write_atomically`) only when it holds
    something else or is missing. Blocking: call from a worker thread."""
    if not target.is_file() or target.read_bytes() != data:
        write_atomically(target, lambda out: out.write(data), mode)


def read_output(path: Path, most: int | None = None) -> bytes | None:
    """The first ``most`` bytes (all: None) of the plain file ``path``; None when there is
    none there, or ``path`` is a link or not a plain file: a program's own output is read,
    never what a link it made points to. Blocking: call from a worker thread."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a link
            return None
        raise
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        return file.read(-1 if most is None else most)
