"""The image's base: the official Debian image when it can be had, else one made here.

Where no container registry answers, ``debootstrap --variant=minbase`` makes a bookworm root
file system from the machine's configured Debian mirror, trimmed as Debian's slim images are,
and it is imported into buildah's store (``buildah from scratch``, the files copied in,
``buildah commit``) as ``LOCAL_BASE``. That image is the cache: it is made again only when it
is older than ``MAX_AGE`` (so it does not fall far behind the mirror's security fixes) or when
asked.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .apt_sources import Mirrors, debian_mirrors, read_sources
from .buildah import buildah, image_exists, inspect_image, succeeds

OFFICIAL_BASE = "docker.io/library/debian:bookworm-slim"
LOCAL_BASE = "localhost/texrender-base:bookworm"
SUITE = "bookworm"
MAX_AGE = datetime.timedelta(days=7)
MADE_LABEL = "org.texrender.base.made"  # when debootstrap ran, ISO 8601 UTC
# Where the root file system is made (not /tmp: it may be a small tmpfs).
SCRATCH = Path(os.environ.get("TEXRENDER_IMAGE_SCRATCH", "/var/tmp"))  # noqa: S108 (a subfolder of its own)
# What the slim images leave out, removed from the made root file system likewise (apt's own
# "partial" folders and "lock" files stay).
TRIMMED = (
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "usr/share/lintian",
)


def usable_base(requested: str | None = None, *, refresh: bool = False) -> str:
    """A base image in the local store, for ``--build-arg BASE=``: ``requested`` if given
    (pulled if missing), else the official slim image (pulled if missing), else the local one
    (made if missing or stale, or if ``refresh``).

    Raises:
        RuntimeError: ``requested`` can be neither found nor pulled.
    """
    if requested:
        if not present_or_pulled(requested):
            raise RuntimeError(f"base image {requested} is not in the store and cannot be pulled")
        return requested
    if present_or_pulled(OFFICIAL_BASE):
        return OFFICIAL_BASE
    say(f"{OFFICIAL_BASE} cannot be pulled: using a local base made with debootstrap")
    if refresh or not fresh(LOCAL_BASE):
        make_local_base(debian_mirrors(read_sources()))
    return LOCAL_BASE


def present_or_pulled(reference: str) -> bool:
    return image_exists(reference) or succeeds("pull", "--quiet", "--retry", "0", reference)


def fresh(reference: str, now: datetime.datetime | None = None) -> bool:
    """Whether the local base exists and was made less than ``MAX_AGE`` ago."""
    if not image_exists(reference):
        return False
    labels = inspect_image(reference).get("OCIv1", {}).get("config", {}).get("Labels") or {}
    try:
        made = datetime.datetime.fromisoformat(labels[MADE_LABEL])
    except (KeyError, ValueError):
        return False
    return (now or datetime.datetime.now(datetime.UTC)) - made < MAX_AGE


def make_local_base(mirrors: Mirrors) -> None:
    """debootstrap a bookworm root file system from ``mirrors`` and commit it as LOCAL_BASE."""
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        raise RuntimeError("debootstrap not found: apt-get install debootstrap")
    made = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="texrender-base-", dir=SCRATCH) as scratch:
        rootfs = Path(scratch) / "rootfs"
        say(f"debootstrap --variant=minbase {SUITE} from {mirrors.main}")
        subprocess.run(
            [debootstrap, "--variant=minbase", SUITE, str(rootfs), mirrors.main],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        trim(rootfs, mirrors)
        commit_rootfs(rootfs, LOCAL_BASE, {MADE_LABEL: made.isoformat()})
    say(f"made {LOCAL_BASE}")


def trim(rootfs: Path, mirrors: Mirrors) -> None:
    """What makes a debootstrapped tree an image: the apt sources (with updates and security
    fixes), no downloaded packages or lists, no docs but copyright notices, no device nodes
    (the runtime makes /dev)."""
    for folder in TRIMMED:
        empty(rootfs / folder)
    for doc in (rootfs / "usr/share/doc").glob("*"):
        for item in doc.iterdir() if doc.is_dir() and not doc.is_symlink() else []:
            if item.name != "copyright":
                remove(item)
    empty(rootfs / "dev")
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(mirrors.deb822(SUITE))


def commit_rootfs(rootfs: Path, reference: str, labels: dict[str, str]) -> None:
    """A new image ``reference`` holding exactly ``rootfs`` (owners, modes and links kept)."""
    container = buildah("from", "scratch")
    try:
        mounted = buildah("mount", container)
        # cp -a keeps what an image must: owners, modes, links, hard links, extended attributes.
        subprocess.run([shutil.which("cp") or "/bin/cp", "-a", f"{rootfs}/.", mounted], check=True)
        buildah("umount", container)
        settings = ["--cmd", "/bin/bash", "--env", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        for name, value in labels.items():
            settings += ["--label", f"{name}={value}"]
        buildah("config", *settings, container)
        buildah("commit", "--quiet", container, reference)
    finally:
        succeeds("rm", container)


def empty(folder: Path) -> None:
    for item in folder.iterdir() if folder.is_dir() else []:
        if item.name not in {"partial", "lock"}:
            remove(item)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def say(message: str) -> None:
    print(f"image: {message}", file=sys.stderr, flush=True)
