"""The image the image tests run: built once per session by the same code as ``make image``.

Building takes minutes the first time (a cached build, seconds), so the tests that need it run
only when ``TEXRENDER_IMAGE_TEST=1`` (``make image-test``, which ``.ci/run`` runs after ``make
test``), and only where buildah is installed.
"""

from __future__ import annotations

import os
import shutil

import pytest

from deploy.image.base import usable_base
from deploy.image.build import DEFAULT_TAG, build

ENABLED = os.environ.get("TEXRENDER_IMAGE_TEST") == "1"
NOT_ENABLED = (
    "builds and runs the container image (minutes): set TEXRENDER_IMAGE_TEST=1, or run "
    "`make image-test` (.ci/run does, after make test)"
)


@pytest.fixture(scope="session")
def image() -> str:
    if not ENABLED:
        pytest.skip(NOT_ENABLED)
    if shutil.which("buildah") is None:
        pytest.skip("buildah is not installed (apt-get install buildah debootstrap)")
    tag = os.environ.get("TEXRENDER_IMAGE", DEFAULT_TAG)
    build(tag, usable_base(), quiet=True)
    return tag
