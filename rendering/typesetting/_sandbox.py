"""The box TeX runs in: resource limits, a lower priority, an unprivileged user, a bare
environment.

Everything here is decided before TeX starts and is plain data (argv prefixes, an environment
dict), so it is tested without running TeX. The engine (:mod:`rendering.typesetting._engine`)
puts it together with the command line and the process group.

* ``openin_any=p openout_any=p shell_escape=f`` in the child's environment: no reading or
  writing outside its directory (Debian's default ``openin_any=a`` would let
  ``\\input{/etc/passwd}`` into the PDF); ``MKTEXTFM=0`` (and the like): no METAFONT run;
* rlimits on CPU seconds, address space, output file size and processes, and a lower CPU
  priority than the server's, so the event loop gets a core the moment it needs one;
* when the server runs as root, an unprivileged user (``nobody`` by default), so that the
  process limit is enforced and the file system protects the rest of the machine.
"""

from __future__ import annotations

import functools
import os
import pwd
import resource
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ._cjkfonts import fonts_dir
from ._fontconfig import fontconfig_env
from ._xdvipdfmx import driver_env

_MIB = 1024 * 1024

# PDF dates and the trailer /ID come from this instead of the clock: the same input gives the
# same bytes (TeX's own \today still reads the clock; templates take dates from data).
SOURCE_DATE_EPOCH = "0"


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits applied to every TeX process (and its children)."""

    address_space_bytes: int = 1024 * _MIB
    output_file_bytes: int = 64 * _MIB
    max_processes: int = 64
    max_log_bytes: int = 256 * 1024
    # TeX yields the CPU to the server: health checks and cache hits stay fast on busy cores.
    niceness: int = 10


@dataclass(frozen=True)
class Identity:
    """The user and group a TeX process runs as."""

    uid: int
    gid: int


def resolve_user(name: str | None) -> Identity | None:
    """The identity TeX runs as: ``name`` if given, ``nobody`` when we are root, else our own
    (None: no change of user).

    Raises:
        KeyError: no user has that name.
    """
    if name is None and os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(name or "nobody")
    if entry.pw_uid == os.geteuid():
        return None
    return Identity(entry.pw_uid, entry.pw_gid)


def tex_process_env(
    workdir: Path,
    format_dir: Path | None = None,
    *,
    tfm_dir: Path | None = None,
    huge_pages: bool = False,
    own_fonts: bool = False,
) -> dict[str, str]:
    """The whole environment of a TeX process: no inherited secrets, kpathsea locked to the
    work directory, fixed PDF dates; the formats of ``format_dir`` and the font metrics of
    ``tfm_dir`` (made at start-up: rendering.typesetting._cyrgreek) found first.
    ``huge_pages``: pdfTeX gains from them, XeTeX started afresh does not (see below), a
    loaded XeTeX (a zygote, which pays the cost once) does. ``own_fonts``: font
    files are looked for first beside the formats (:mod:`._cjkfonts`; XeTeX's)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": str(workdir),
        "LC_ALL": "C.UTF-8",
        "openin_any": "p",
        "openout_any": "p",
        "shell_escape": "f",
        "max_print_line": "10000",
        # Room for 115,000 control sequences (a format holds about 33,000) instead of TeX Live's
        # 615,000: TeX clears its hash and equivalents table up to this size at every start,
        # about 5 ms of a 60 ms render's CPU (page faults, mostly).
        "hash_extra": "100000",
        "TEXMFVAR": str(workdir / ".texmf-var"),
        "TEXMFCONFIG": str(workdir / ".texmf-config"),
        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
        # A font file that is missing fails the render at once: TeX never runs METAFONT (or
        # makes a .mf driver) for it. The .tfm files texrender needs are made at start-up.
        "MKTEXTFM": "0",
        "MKTEXPK": "0",
        "MKTEXMF": "0",
        # TeX Live 2022's kpathsea retries a name it did not find in other letter cases by
        # listing every folder searched: about 1,300 directory reads in a render on the Unicode
        # path (fonts looked for in /usr/share/fonts//, microtype's configurations), 10 ms of
        # its CPU. Every name texrender asks for is spelled as on disk.
        "texmf_casefold_search": "0",
    }
    if huge_pages:
        # glibc gives TeX's large arrays (the format is read into ~19 MB of them) transparent
        # huge pages where the kernel allows them (THP "madvise" or "always"): a third of the
        # page faults, about 5 ms of a 55 ms pdfTeX render. Ignored where THP is off. Not for
        # XeTeX started afresh: its ~160 MB of tables made the kernel stall compacting memory
        # (median better, mean and p90 far worse over 40 runs). A zygote pays that once.
        env["GLIBC_TUNABLES"] = "glibc.malloc.hugetlb=1"
    if format_dir is not None:
        # Our formats first, then the standard search path (the trailing colon).
        env["TEXFORMATS"] = f"{format_dir}:"
        if own_fonts:
            # The cut copies of the CJK collections shadow the system's files of the same
            # name; XeTeX looks for an OpenType file, xdvipdfmx for a collection as TrueType.
            env["OPENTYPEFONTS"] = env["TTFONTS"] = f"{fonts_dir(format_dir)}:"
            # xdvipdfmx's own configuration (:mod:`._xdvipdfmx`), XeTeX's being the system's;
            # a fontconfig that lists no font, XeTeX's faces being loaded by file
            # (:mod:`._fontconfig`).
            env.update(driver_env(format_dir))
            env.update(fontconfig_env(format_dir))
    if tfm_dir is not None:
        env["TFMFONTS"] = f"{tfm_dir}:"
    return env


@functools.cache
def sandbox_tools() -> dict[str, str | None]:
    """Where prlimit, nice and setpriv are: looked up once, not on every render (a PATH search
    is a series of stat calls, blocking file I/O on the event loop)."""
    return {name: shutil.which(name) for name in ("prlimit", "nice", "setpriv")}


def sandbox_prefix(
    cpu_seconds: int, limits: SandboxLimits, identity: Identity | None
) -> list[str] | None:
    """The commands that put TeX in its box before it starts: util-linux's ``prlimit`` (the
    rlimits), coreutils' ``nice``, and ``setpriv`` (an unprivileged user, no extra groups).

    Exec'ing these small programs costs TeX about a millisecond; doing the same in a
    ``preexec_fn`` forces a full ``fork`` of the server (page tables of a large Python process)
    instead of a ``vfork``, several milliseconds of the server's own CPU per render. None when
    the tools are missing (then :func:`make_preexec` does it in the child).
    """
    tools = sandbox_tools()
    if tools["prlimit"] is None or tools["nice"] is None:
        return None
    prefix = [
        tools["prlimit"],
        f"--cpu={cpu_seconds}:{cpu_seconds + 1}",
        f"--as={limits.address_space_bytes}",
        f"--fsize={limits.output_file_bytes}",
        f"--nproc={limits.max_processes}",
        "--core=0",
        "--",
        tools["nice"],
        "-n",
        str(limits.niceness),
        "--",
    ]
    if identity is not None:
        if tools["setpriv"] is None:
            return None
        prefix += [
            tools["setpriv"],
            f"--reuid={identity.uid}",
            f"--regid={identity.gid}",
            "--clear-groups",
            "--",
        ]
    return prefix


def make_preexec(cpu_seconds: int, limits: SandboxLimits) -> Callable[[], None]:
    """The fallback: a function the (forked) child runs before exec to apply the limits."""

    def apply_limits() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        resource.setrlimit(
            resource.RLIMIT_AS, (limits.address_space_bytes, limits.address_space_bytes)
        )
        resource.setrlimit(
            resource.RLIMIT_FSIZE, (limits.output_file_bytes, limits.output_file_bytes)
        )
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.nice(limits.niceness)

    return apply_limits
