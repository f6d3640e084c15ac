"""Build every template's TeX format into the image, with the server's own code.

Run by the Containerfile as the image's user, with the image's ``TEXRENDER_*`` settings, so
the formats land where ``texrender serve`` looks (``TEXRENDER_FORMAT_DIR``) under the names it
will look for (a hash of the preamble and the engine's version). A container then adopts them
at start: one check compile each, no format compiled, nothing written outside ``/tmp``.

Exits non-zero, failing the image build, when any format is not ready: an image whose formats
do not load would start every render from scratch, at twice the CPU. So does an image whose
fast path cannot set Cyrillic and Greek (a package missing, the LH fonts' metrics not made):
such text would take the Unicode path, at three times the CPU.
"""

from __future__ import annotations

import os
import sys

import trio

from rendering import build_service
from server.settings import Settings

USABLE = {"ready", "none"}  # "none": a template with no fixed preamble has no format


async def build() -> dict[str, str]:
    """Each template's format state once every format is built and checked; and whether the
    fast path sets Cyrillic and Greek (their fonts' metrics, made by build_service in
    ``TEXRENDER_FORMAT_DIR``, are built into the image too), as ``cyrillic-greek``."""
    settings = Settings.from_env(os.environ)
    service = await build_service(settings.render_config())
    try:
        await service.build_formats()
        fast = all(template.cyrillic_greek for template in service.catalogue.values())
        return service.format_states() | {"cyrillic-greek": "ready" if fast else "failed"}
    finally:
        await service.aclose()


def main() -> int:
    states = trio.run(build)
    for template, state in sorted(states.items()):
        print(f"format of {template}: {state}")
    unusable = sorted(t for t, state in states.items() if state not in USABLE)
    if not states or unusable:
        print(f"formats not usable: {', '.join(unusable) or 'no template found'}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
