"""Writing files so that no reader ever sees half of one."""

from __future__ import annotations

import contextlib
import os
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
