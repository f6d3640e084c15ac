"""The zygote shim (``zygote_shim.c``) compiled with the system's C compiler, once per source.

Built at start-up rather than at install time: the library then always matches the source
beside it, and the build (about 0.1 CPU-s with gcc -O2) happens once per source, not per
start, because the file's name carries a digest of the source and the compiler. Without a
compiler there is no shim, and every render is started the usual way.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SHIM_SOURCE = Path(__file__).with_name("zygote_shim.c")
_FLAGS = ("-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror")


def build_shim(directory: Path, compiler: str = "cc") -> Path | None:
    """The shim library in ``directory`` (built there if missing), or None when it cannot be
    built (no compiler, or it failed). Blocking: call from a thread."""
    found = shutil.which(compiler)
    if found is None:
        return None
    source = SHIM_SOURCE.read_bytes()
    digest = hashlib.sha256(source + found.encode() + " ".join(_FLAGS).encode()).hexdigest()
    target = directory / f"texrender-zygote-{digest[:16]}.so"
    if target.is_file():
        return target
    handle, temporary = tempfile.mkstemp(prefix=".zygote-", suffix=".so", dir=directory)
    os.close(handle)
    try:
        result = subprocess.run(
            [found, *_FLAGS, "-o", temporary, str(SHIM_SOURCE)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=60,
        )
        if result.returncode != 0:
            return None
        os.chmod(temporary, 0o644)  # mapped by TeX's own (unprivileged) user
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target
