"""XeTeX's fontconfig configuration on the Unicode path: one that lists no font.

XeTeX starts fontconfig when it opens its first font, in every render (a zygote's child too:
the first font is the document's). With the system's configuration that is some 40 XML files
parsed and a cache read and checked for every font folder, about 3 ms of a render's CPU, to
build a list of fonts by name that XeTeX never looks in here: texrender loads every face by
its file name (:mod:`._faces`), which kpathsea finds, and the Unicode path's templates take
their fonts from texrender's preamble. So XeTeX is given a configuration with no folder and no
rule (``FONTCONFIG_FILE``); a font asked for by name would not be found. The server's own
fontconfig (``fc-match`` and ``fc-list`` at start-up) keeps the system's.

Without the file (not written yet, a folder that cannot be written) fontconfig falls back to
its built-in configuration: the same PDF.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ._files import write_if_changed

log = logging.getLogger("texrender.fonts")

FONTCONFIG_SUBDIR = "fontconfig"
_FONTS_CONF = b"""\
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- texrender: XeTeX's fonts on the Unicode path are loaded by file, never by name
     (rendering/typesetting/_fontconfig.py) -->
<fontconfig>
</fontconfig>
"""


def fontconfig_file(format_dir: Path) -> Path:
    """XeTeX's fontconfig configuration for the formats of ``format_dir``."""
    return format_dir / FONTCONFIG_SUBDIR / "fonts.conf"


def fontconfig_env(format_dir: Path | None) -> dict[str, str]:
    """What XeTeX's environment adds to read that configuration (nothing without a formats'
    folder)."""
    return {} if format_dir is None else {"FONTCONFIG_FILE": str(fontconfig_file(format_dir))}


def write_fontconfig(format_dir: Path) -> Path | None:
    """Write (or keep) XeTeX's fontconfig configuration for ``format_dir``; its path, or None
    when it cannot be written (logged; fontconfig then uses its built-in one). Blocking: call
    from a thread."""
    target = fontconfig_file(format_dir)
    try:
        target.parent.mkdir(mode=0o755, exist_ok=True)
        write_if_changed(target, _FONTS_CONF)
        return target
    except OSError as exc:
        log.warning("XeTeX keeps the system's fontconfig configuration: %s", exc)
        return None
