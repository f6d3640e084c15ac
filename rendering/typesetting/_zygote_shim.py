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
import sys
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


def main(argv: list[str] | None = None) -> int:
    """``python3 rendering/typesetting/_zygote_shim.py OUTPUT``: the shim built as a server
    builds it (``build_shim``: the same compiler and flags), written to OUTPUT. For the
    Containerfile's build stage, whose compiler the image does not keep; the image's server is
    told OUTPUT by ``TEXRENDER_ZYGOTE_SHIM``. Run as a script: it needs only the standard
    library and ``zygote_shim.c`` beside it, not texrender's environment."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python3 _zygote_shim.py OUTPUT", file=sys.stderr)
        return 2
    output = Path(args[0])
    with tempfile.TemporaryDirectory() as scratch:
        built = build_shim(Path(scratch))
        if built is None:
            print("zygote shim: no C compiler (cc), or the build failed", file=sys.stderr)
            return 1
        shutil.copy2(built, output)  # keeps build_shim's mode, 0644
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
