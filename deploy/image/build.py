"""``buildah bud`` of the Containerfile, the way ``make image`` and the image test both build it.

``--isolation chroot`` needs no container runtime and no user namespaces beyond what root has;
``--layers`` keeps every step's layer, so a build after a code change redoes only the steps
from the first changed COPY. Where the machine has a CA bundle (a TLS-inspecting proxy's CA may
be in it), it is passed as the build secret ``build-ca``: the steps that download mount it for
their own run, and no layer of the image holds it.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .base import OFFICIAL_BASE
from .buildah import buildah, executable

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TAG = "localhost/texrender:dev"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")


@dataclass(frozen=True)
class Built:
    image_id: str
    seconds: float


def bud_argv(
    tag: str, base: str, *, host_ca: Path = HOST_CA, cache: bool = True, quiet: bool = False
) -> list[str]:
    """The ``buildah bud`` command line for the image."""
    argv = [executable(), "bud", "--isolation", "chroot", "--pull=never", "--tag", tag]
    argv += ["--layers"] if cache else ["--layers", "--no-cache"]
    argv += ["--quiet"] if quiet else []
    if base != OFFICIAL_BASE:
        argv += ["--build-arg", f"BASE={base}"]
    if host_ca.is_file():
        argv += ["--secret", f"id=build-ca,src={host_ca}"]
    return [*argv, "--file", str(REPO / "Containerfile"), str(REPO)]


def build(tag: str, base: str, *, cache: bool = True, quiet: bool = False) -> Built:
    """Build the image as ``tag`` from ``base`` (an image in the local store); ``quiet``: no
    step-by-step output.

    Raises:
        subprocess.CalledProcessError: the build failed (buildah printed why).
    """
    started = time.monotonic()
    subprocess.run(bud_argv(tag, base, cache=cache, quiet=quiet), check=True)
    seconds = time.monotonic() - started
    return Built(
        buildah("inspect", "--type", "image", "--format", "{{.FromImageID}}", tag), seconds
    )
