"""buildah, called as a program: the few things the image tooling asks of it."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any


class BuildahMissing(RuntimeError):
    """buildah is not installed: say how to get it."""


def executable() -> str:
    found = shutil.which("buildah")
    if found is None:
        raise BuildahMissing(
            "buildah not found: apt-get install buildah debootstrap (both in .ci/test-packages.txt)"
        )
    return found


def buildah(*args: str) -> str:
    """Run ``buildah ARGS`` and return what it printed, stripped.

    Raises:
        subprocess.CalledProcessError: buildah failed (its error went to our stderr).
    """
    done = subprocess.run([executable(), *args], check=True, stdout=subprocess.PIPE, text=True)
    return done.stdout.strip()


def succeeds(*args: str) -> bool:
    """Whether ``buildah ARGS`` succeeds; what it prints is dropped."""
    done = subprocess.run(
        [executable(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return done.returncode == 0


def image_exists(reference: str) -> bool:
    """Whether the local store holds the image (never asks a registry)."""
    return succeeds("inspect", "--type", "image", reference)


def inspect_image(reference: str) -> dict[str, Any]:
    """``buildah inspect`` of an image in the local store, as JSON."""
    found: dict[str, Any] = json.loads(buildah("inspect", "--type", "image", reference))
    return found
